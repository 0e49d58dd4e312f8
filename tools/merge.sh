#!/usr/bin/env bash
# npm run merge -- --config FILE [--out DIR] [--no-export]
#   The SAM-CLIP merge recipe end to end (world, teachers, stage I, stage II, resolution adaptation,
#   evaluation, export); re-running resumes. Several processes: MERGE_NPROC=2 npm run merge -- ...
#   (torchrun; gloo on CPU, NCCL on GPUs). Paths are relative to the repository root.
set -euo pipefail
tools_dir="$(cd "$(dirname "$0")" && pwd)"
export PYTHONPATH="$tools_dir${PYTHONPATH:+:$PYTHONPATH}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ "${MERGE_NPROC:-1}" -gt 1 ]; then
  # --redirects/--tee 2: Debian's torch 1.13 under Python 3.11 cannot parse their default "0".
  exec "$PY" -m torch.distributed.run --standalone --nproc_per_node "$MERGE_NPROC" --redirects 2 --tee 2 -m samclip_tools.merge run "$@"
fi
exec "$PY" -m samclip_tools.merge run "$@"
