"""Evaluation on the held-out synthetic test sets, computed the way the SDK computes each task.

zero-shot classification  30 colour–shape classes, template "a photo of a {}.", one-object images
point mIoU                one point per test instance (its most interior pixel) → the best of the
                          3 multimask outputs by predicted IoU (SamPredictor / SDK default)
box mIoU                  the instance's box → the single-mask output
semantic segmentation     6 shape classes + "background"; per-class logits scale·cos(cell, class)
                          on the dense grid, bilinear to the image, argmax (CLIP head alone), and
                          with SAM refinement as the SDK's segmentSemantic(refine: 'sam') does it:
                          per present class, a mask prompt of the class probability's log-odds
                          plus up to 3 points at its highest-probability cells; where SAM's
                          logit is positive and highest, that class wins the pixel
mIoU for segmentation is accumulated over the whole test set per class (standard semantic mIoU).
"""

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..model import OpenClip, SamClip
from ..tokenizer import SimpleTokenizer
from .data import SceneSet
from .losses import mask_iou
from .nets import backbone_features, clip_head_forward, clip_pixels, logit_scale_of, sam_pixels, unit
from .prompts import LOGIT_CLAMP, PAD, decode, interior_point, upscale
from .text import TEMPLATES, tokenize
from .world import BACKGROUND, SHAPES, class_names

SEMANTIC_CLASSES = list(SHAPES) + [BACKGROUND]


@torch.no_grad()
def class_embeddings(model, tokenizer: SimpleTokenizer, names: Sequence[str], context_length: int) -> torch.Tensor:
    """Unit text embeddings per class, averaged over the templates (then renormalised)."""
    rows = []
    for name in names:
        ids = tokenize(tokenizer, [t.format(name) for t in TEMPLATES], context_length)
        rows.append(unit(unit(model.encode_text(ids)).mean(0)))
    return torch.stack(rows)


@torch.no_grad()
def image_embeddings(model, images: torch.Tensor, resolution: int, chunk: int = 64) -> Tuple[torch.Tensor, torch.Tensor]:
    """(pooled [N,E], dense [N,g,g,E]) for a CLIP teacher (OpenClip) or the merged model (SamClip)."""
    pooled, dense = [], []
    for i in range(0, len(images), chunk):
        batch = images[i : i + chunk]
        if isinstance(model, OpenClip):
            p, d = model.visual(clip_pixels(batch, resolution))
        else:
            pixels = F.interpolate(sam_pixels(batch), size=(resolution, resolution), mode="bilinear", align_corners=False, antialias=True) if resolution != batch.shape[-1] else sam_pixels(batch)
            p, d = clip_head_forward(model.clip_head, backbone_features(model.image_encoder, pixels))
        pooled.append(p)
        dense.append(d)
    return torch.cat(pooled), torch.cat(dense)


def zero_shot_accuracy(model, tokenizer: SimpleTokenizer, scenes: SceneSet, resolution: int, context_length: int) -> float:
    names = class_names()
    labels = torch.tensor([names.index(f"{o[0]['colour']} {o[0]['shape']}") for o in scenes.objects])
    text = class_embeddings(model, tokenizer, names, context_length)
    pooled, _ = image_embeddings(model, scenes.images, resolution)
    pred = (unit(pooled) @ text.t()).argmax(dim=1)
    return float((pred == labels).float().mean())


@torch.no_grad()
def prompt_miou(sam_like, scenes: SceneSet, image_size: int, chunk: int = 32) -> Dict[str, float]:
    """Point- and box-prompt mIoU over every test instance (mean of per-instance IoU)."""
    point_ious: List[float] = []
    box_ious: List[float] = []
    for start in range(0, len(scenes), chunk):
        stop = min(start + chunk, len(scenes))
        embeddings = sam_like.image_encoder(sam_pixels(scenes.images[start:stop]))
        rows, points, boxes, masks = [], [], [], []
        for i in range(start, stop):
            for k, obj in enumerate(scenes.objects[i]):
                mask = (scenes.instances[i] == k + 1).numpy()
                rows.append(i - start)
                points.append(interior_point(mask))
                x0, y0, x1, y1 = obj["box"]
                boxes.append([(x0, y0), (x1 - 1, y1 - 1)])
                masks.append(torch.from_numpy(mask))
        if not rows:
            continue
        emb = embeddings[torch.tensor(rows)]
        target = torch.stack(masks)
        coords = torch.tensor([[p, PAD[:2]] for p in points], dtype=torch.float32)
        labels = torch.tensor([[1.0, PAD[2]]] * len(rows))
        low, iou_pred = decode(sam_like.prompt_encoder, sam_like.mask_decoder, emb, coords, labels, None, image_size)
        best = 1 + iou_pred[:, 1:].argmax(dim=1)
        chosen = upscale(low, image_size)[torch.arange(len(rows)), best]
        point_ious += mask_iou(chosen, target).tolist()
        coords = torch.tensor(boxes, dtype=torch.float32)
        labels = torch.tensor([[2.0, 3.0]] * len(rows))
        low, _ = decode(sam_like.prompt_encoder, sam_like.mask_decoder, emb, coords, labels, None, image_size)
        box_ious += mask_iou(upscale(low, image_size)[:, 0], target).tolist()
    return {"point_miou": float(np.mean(point_ious)), "box_miou": float(np.mean(box_ious)), "instances": len(point_ious)}


def semantic_targets(scenes: SceneSet) -> torch.Tensor:
    out = torch.full(scenes.instances.shape, len(SHAPES), dtype=torch.long)
    for i, objs in enumerate(scenes.objects):
        for k, o in enumerate(objs):
            out[i][scenes.instances[i] == k + 1] = SHAPES.index(o["shape"])
    return out


class ConfusionMIoU:
    def __init__(self, num_classes: int) -> None:
        self.inter = np.zeros(num_classes)
        self.union = np.zeros(num_classes)

    def add(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        for c in range(len(self.inter)):
            p, t = pred == c, target == c
            self.inter[c] += int((p & t).sum())
            self.union[c] += int((p | t).sum())

    def per_class(self) -> List[float]:
        return [float(i / u) if u > 0 else float("nan") for i, u in zip(self.inter, self.union)]

    def miou(self) -> float:
        return float(np.nanmean(self.per_class()))


def _refine_points(probs: torch.Tensor, winner: torch.Tensor, c: int, image_size: int) -> List[Tuple[float, float]]:
    """Up to 3 cells won by class c, highest probability first, at least max(1, round(G/8)) cells
    apart (Chebyshev), as cell centres in image pixels."""
    G = probs.shape[-1]
    cells = torch.nonzero(winner.flatten() == c).flatten().tolist()
    cells.sort(key=lambda i: -float(probs[c].flatten()[i]))
    spacing = max(1, round(G / 8))
    chosen: List[int] = []
    for cell in cells:
        if all(max(abs(o % G - cell % G), abs(o // G - cell // G)) >= spacing for o in chosen):
            chosen.append(cell)
        if len(chosen) == 3:
            break
    return [(min((i % G + 0.5) / G * image_size, image_size - 1), min((i // G + 0.5) / G * image_size, image_size - 1)) for i in chosen]


@torch.no_grad()
def semantic_segmentation(model, tokenizer: SimpleTokenizer, scenes: SceneSet, resolution: int, context_length: int, refine_with: Optional[SamClip] = None) -> Dict:
    """Zero-shot semantic mIoU of the dense CLIP path; with `refine_with`, SAM-refined as well."""
    S = scenes.images.shape[-1]
    text = class_embeddings(model, tokenizer, SEMANTIC_CLASSES, context_length)
    scale = float(logit_scale_of(model))
    targets = semantic_targets(scenes)
    plain = ConfusionMIoU(len(SEMANTIC_CLASSES))
    refined = ConfusionMIoU(len(SEMANTIC_CLASSES))
    refinable = len(SEMANTIC_CLASSES) - 1  # the background class is never prompted
    for start in range(0, len(scenes), 32):
        images = scenes.images[start : start + 32]
        _, dense = image_embeddings(model, images, resolution)
        grid_logits = scale * torch.einsum("bhwe,ce->bchw", unit(dense), text)  # [B, C, G, G]
        labels = upscale(grid_logits, S).argmax(dim=1)
        for b in range(len(images)):
            plain.add(labels[b], targets[start + b])
        if refine_with is None:
            continue
        embeddings = refine_with.image_encoder(sam_pixels(images))
        probs_all = grid_logits.softmax(dim=1)
        for b in range(len(images)):
            probs = probs_all[b]
            winner = probs.argmax(dim=0)
            out = labels[b].clone()
            best = torch.zeros(S, S)
            for c in range(refinable):
                points = _refine_points(probs, winner, c, S)
                if not points:
                    continue
                p = probs[c].clamp(1e-9, 1 - 1e-9)
                log_odds = torch.log(p / (1 - p)).clamp(-LOGIT_CLAMP, LOGIT_CLAMP)
                side = 4 * embeddings.shape[-1]
                mask_input = F.interpolate(log_odds[None, None], size=(side, side), mode="bilinear", align_corners=False)
                coords = torch.tensor([points + [PAD[:2]]], dtype=torch.float32)
                lab = torch.tensor([[1.0] * len(points) + [PAD[2]]])
                low, _ = decode(refine_with.prompt_encoder, refine_with.mask_decoder, embeddings[b : b + 1], coords, lab, mask_input, S)
                logits = upscale(low[:, :1], S)[0, 0]
                win = logits > best
                best = torch.where(win, logits, best)
                out[win] = c
            refined.add(out, targets[start + b])
    result = {"miou": plain.miou(), "per_class": dict(zip(SEMANTIC_CLASSES, plain.per_class()))}
    if refine_with is not None:
        result["refined_miou"] = refined.miou()
        result["refined_per_class"] = dict(zip(SEMANTIC_CLASSES, refined.per_class()))
    return result


def evaluate_all(models: Dict, tokenizer: SimpleTokenizer, test: SceneSet, classify: SceneSet, cfg, log=print) -> Dict:
    """Every metric for the CLIP teacher, the SAM teacher and the merged model(s).
    `models`: {"clip_teacher": OpenClip, "sam_teacher": Sam, "merged": SamClip, optional "merged_stage2": SamClip}."""
    S = cfg.sam_encoder.image_size
    R = cfg.clip_vision.image_size
    L = cfg.clip_text.context_length
    out: Dict[str, Dict] = {}
    for m in models.values():
        m.eval()
    clip_t = models["clip_teacher"]
    out["clip_teacher"] = {"zero_shot_accuracy": zero_shot_accuracy(clip_t, tokenizer, classify, R, L), "semantic": semantic_segmentation(clip_t, tokenizer, test, R, L)}
    log(f"clip teacher: {out['clip_teacher']['zero_shot_accuracy']:.4f} acc, {out['clip_teacher']['semantic']['miou']:.4f} semantic mIoU")
    out["sam_teacher"] = prompt_miou(models["sam_teacher"], test, S)
    log(f"sam teacher: {out['sam_teacher']}")
    for name in ("merged_stage2", "merged"):
        if name not in models:
            continue
        m = models[name]
        entry = {"zero_shot_accuracy": zero_shot_accuracy(m, tokenizer, classify, S, L)}
        entry.update(prompt_miou(m, test, S))
        entry["semantic"] = semantic_segmentation(m, tokenizer, test, S, L, refine_with=m)
        out[name] = entry
        log(f"{name}: {entry['zero_shot_accuracy']:.4f} acc, point {entry['point_miou']:.4f}, box {entry['box_miou']:.4f}, semantic {entry['semantic']['miou']:.4f} → refined {entry['semantic']['refined_miou']:.4f}")
    return out
