#!/usr/bin/env bash
# npm run export -- <checkpoint ... | --random --config tiny|vit-b> --kind sam-clip|sam|clip|sam+clip --out DIR [--seed N]
# Paths are relative to the directory it is run from (the repository root under npm run).
set -euo pipefail
tools_dir="$(cd "$(dirname "$0")" && pwd)"
PYTHONPATH="$tools_dir${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m samclip_tools.export "$@"
