#!/usr/bin/env bash
# npm run merge:eval [-- --config FILE] [--out DIR] [--docs PATH]
#   Evaluates a finished merge run (default config tools/configs/merge-toy.json) on its held-out
#   synthetic test sets: zero-shot accuracy, point/box mIoU, zero-shot semantic segmentation with
#   and without SAM refinement, for both teachers and the merged model; writes <out>/eval.json and,
#   with --docs, the tables of docs/merge.md.
set -euo pipefail
tools_dir="$(cd "$(dirname "$0")" && pwd)"
export PYTHONPATH="$tools_dir${PYTHONPATH:+:$PYTHONPATH}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
args=("$@")
case " $* " in *" --config "*) ;; *) args=(--config tools/configs/merge-toy.json "${args[@]}") ;; esac
exec "$PY" -m samclip_tools.merge eval "${args[@]}"
