"""CLI: python3 -m samclip_tools.export <checkpoint ... | --random --config tiny|vit-b> --kind K --out DIR [--seed N]"""

import argparse
import datetime
import os
import sys
import time

import torch

from ..checkpoints import load_checkpoints
from ..config import KINDS, PRESETS, preset
from ..models import build_random_models
from .bundle import export_bundle

PAIR_SUFFIX = {"sam-clip": "", "sam": "-sam", "clip": "-clip", "sam+clip": "-sam-clip-pair"}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="samclip-export", description="Export SAM / CLIP / SAM-CLIP PyTorch models to a samclip ONNX bundle.")
    p.add_argument("checkpoints", nargs="*", help="Meta SAM, OpenCLIP or samclip-tools checkpoint files (sam+clip: one SAM and one CLIP)")
    p.add_argument("--random", action="store_true", help="seeded random weights instead of checkpoints")
    p.add_argument("--config", choices=sorted(PRESETS), help="architecture for --random")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--out", required=True, help="output directory (created; an existing bundle there is replaced)")
    p.add_argument("--seed", type=int, default=0, help="seed for random weights, the test image and reference inputs")
    p.add_argument("--name", help="bundle name (default: from config or checkpoint)")
    p.add_argument("--vocab", help="CLIP BPE merges file (default: ../shared/data/clip/bpe_simple_vocab_16e6.txt.gz)")
    p.add_argument("--single-mask", action="store_true", help="prompt decoder returns the best mask only (K=1), like Meta's --return-single-mask")
    p.add_argument(
        "--reference-dtype",
        choices=["float64", "float32"],
        default="float64",
        help="precision of the PyTorch reference outputs (stored as float32 either way); float64 makes them independent of the CPU, float32 is faster",
    )
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    args = p.parse_args(argv)
    if args.random == bool(args.checkpoints):
        p.error("give checkpoint files or --random, not both and not neither")
    if args.random and not args.config:
        p.error("--random needs --config")
    if args.checkpoints and args.config:
        p.error("--config applies to --random only; checkpoint architectures are read from the files")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.time()
    if args.random:
        models = build_random_models(args.kind, preset(args.config), args.seed)
        source = {"checkpoint": "random", "seed": args.seed, "config": args.config}
        name = args.name or f"{args.config}-random{PAIR_SUFFIX[args.kind]}"
        created = None  # seeded exports are reproducible byte for byte
    else:
        models, formats = load_checkpoints(args.checkpoints, args.kind)
        source = {"checkpoint": [os.path.basename(c) for c in args.checkpoints], "formats": formats, "seed": args.seed}
        name = args.name or os.path.splitext(os.path.basename(args.checkpoints[0]))[0]
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    export_bundle(
        models,
        args.out,
        name=name,
        source=source,
        seed=args.seed,
        vocab_path=args.vocab,
        created=created,
        return_single_mask=args.single_mask,
        reference_dtype=getattr(torch, args.reference_dtype),
    )
    print(f"wrote {args.kind} bundle {name!r} to {args.out} in {time.time() - start:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
