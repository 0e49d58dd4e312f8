"""eval.json → the paper-shaped tables of docs/merge.md (between the results markers)."""

import json
import os
from typing import Any, Dict

START = "<!-- merge-results:start -->"
END = "<!-- merge-results:end -->"


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.1f}"


def tables(metrics: Dict[str, Any], timings: Dict[str, Any], command: str) -> str:
    c, s = metrics["clip_teacher"], metrics["sam_teacher"]
    rows = [("CLIP teacher (OpenCLIP-style ViT)", c["zero_shot_accuracy"], None, None), ("SAM teacher (SAM-style ViT)", None, s["point_miou"], s["box_miou"])]
    sem = [("CLIP teacher, dense tokens", c["semantic"]["miou"], None)]
    for name, label in (("merged_stage2", "SAM-CLIP after stage II (before resolution adaptation)"), ("merged", "SAM-CLIP (merged, final)")):
        if name in metrics:
            m = metrics[name]
            rows.append((label, m["zero_shot_accuracy"], m["point_miou"], m["box_miou"]))
            sem.append((label, m["semantic"]["miou"], m["semantic"]["refined_miou"]))
    lines = [
        f"Produced by `{command}`; test set: {metrics['test_set']['scenes']} scenes ({metrics['sam_teacher']['instances']} instances), "
        f"{metrics['test_set']['classification_images']} one-object classification images.",
        "",
        "**Table 1 (zero-shot classification and promptable segmentation).** Accuracy over 30 colour–shape classes; mIoU over test instances.",
        "",
        "| Model | Zero-shot acc. (%) | Point-prompt mIoU (%) | Box-prompt mIoU (%) |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {n} | {_pct(a)} | {_pct(p)} | {_pct(b)} |" for n, a, p, b in rows]
    lines += [
        "",
        "**Table 2 (zero-shot semantic segmentation).** mIoU over 6 shape classes + background, accumulated over the test set.",
        "",
        "| Model | CLIP head alone (%) | + SAM refinement (%) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {n} | {_pct(a)} | {_pct(r)} |" for n, a, r in sem]
    if "merged" in metrics:
        m = metrics["merged"]
        keep_sam = m["point_miou"] / s["point_miou"] if s["point_miou"] else float("nan")
        keep_clip = m["zero_shot_accuracy"] / c["zero_shot_accuracy"] if c["zero_shot_accuracy"] else float("nan")
        lines += [
            "",
            f"Retention: the merged model keeps {100 * keep_sam:.1f}% of the SAM teacher's point-prompt mIoU and "
            f"{100 * keep_clip:.1f}% of the CLIP teacher's zero-shot accuracy.",
        ]
    if timings:
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        lines += ["", f"Wall time (s): {parts}."]
    return "\n".join(lines)


def write_docs(path: str, body: str) -> None:
    text = open(path, encoding="utf-8").read() if os.path.isfile(path) else f"# Merge results\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        raise ValueError(f"{path} has no {START} … {END} section to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{START}\n{body}\n{END}{tail}")


def load(out: str):
    with open(os.path.join(out, "eval.json"), encoding="utf-8") as f:
        metrics = json.load(f)
    timings_path = os.path.join(out, "timings.json")
    timings = json.load(open(timings_path, encoding="utf-8")) if os.path.isfile(timings_path) else {}
    return metrics, timings
