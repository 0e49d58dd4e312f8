#!/usr/bin/env bash
# Runs the Python tool tests (tools/tests) with Debian's python3: python3-torch, python3-onnx,
# python3-pytest, python3-numpy and python3-pil from apt. "No tests collected" counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
  echo "run-pytest: $PY not found; install Debian's python3 with: apt-get install -y python3-torch python3-onnx python3-pytest python3-pil" >&2
  exit 1
fi
missing=()
for mod in torch onnx pytest numpy PIL; do
  "$PY" -c "import $mod" >/dev/null 2>&1 || missing+=("$mod")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run-pytest: python modules missing: ${missing[*]}" >&2
  echo "  install them with: apt-get install -y python3-torch python3-onnx python3-pytest python3-numpy python3-pil" >&2
  exit 1
fi
if [ ! -d node_modules/onnxruntime-node ]; then
  echo "run-pytest: node_modules/onnxruntime-node is missing; run 'npm ci' at the repository root first" >&2
  exit 1
fi
set +e
PYTHONPATH=tools "$PY" -m pytest tools/tests -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "run-pytest: no tests were collected from tools/tests; that is a failure" >&2
  exit 1
fi
exit "$status"
