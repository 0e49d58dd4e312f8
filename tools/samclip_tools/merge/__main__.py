"""CLI.

  python -m samclip_tools.merge --config FILE [--out DIR] [--no-export]      the whole pipeline (resumes)
  python -m samclip_tools.merge eval --config FILE [--out DIR] [--docs PATH]  re-evaluate a finished run
  python -m samclip_tools.merge export --config FILE [--out DIR]             export merged.pt as a bundle
Under torchrun, every process runs the pipeline; evaluation and export run on rank 0.
"""

import argparse
import sys

from .pipeline import evaluate_run, export_merged, load_config


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and argv[0] in ("run", "eval", "export") else "run"
    rest = argv[1:] if argv and argv[0] == command else argv
    p = argparse.ArgumentParser(prog=f"samclip-merge {command}")
    p.add_argument("--config", required=True, help="merge config JSON (tools/configs/merge-toy.json)")
    p.add_argument("--out", help="run directory (default: the config's `out`)")
    if command == "run":
        p.add_argument("--no-export", action="store_true", help="skip exporting the merged bundle")
    if command == "eval":
        p.add_argument("--docs", help="fill the results section of this markdown file (docs/merge.md)")
    args = p.parse_args(rest)
    cfg = load_config(args.config)
    out = args.out or cfg["out"]
    if command == "run":
        from .pipeline import run_pipeline

        run_pipeline(args.config, out=out, skip_export=args.no_export)
    elif command == "eval":
        import torch

        from . import report

        torch.set_num_threads(cfg.get("threads", 2))
        evaluate_run(out, args.config)
        if args.docs:
            metrics, timings = report.load(out)
            report.write_docs(args.docs, report.tables(metrics, timings, f"npm run merge -- --config {args.config}"))
            print(f"wrote the results tables to {args.docs}")
    else:
        export_merged(out, cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
