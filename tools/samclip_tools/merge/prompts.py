"""SAM prompts on world instances and batched prompt decoding.

Prompts follow what the SDK feeds the exported prompt decoder (SamPredictor's conventions):
  point  [p (label 1), padding (0, 0, −1)]                     → multimask outputs 1..3
  box    [corner (2), corner (3)]                               → single-mask output 0
  mask   [k points (1)…, padding] + a coarse mask prompt (log-odds) → single-mask output 0
Every sample in a batch has the same kind and point count, so token counts match inference.
Coordinates are in the S×S input frame (world images are S×S, so also image pixels).
"""

from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..model.sam import PromptDecoder

KINDS = ("point", "box", "mask")
PAD = (0.0, 0.0, -1.0)
LOGIT_CLAMP = 20.0


def kind_at(step: int, offset: int = 0) -> Tuple[str, int]:
    """The prompt kind of a training step (cycling) and, for mask prompts, the point count 1..3."""
    kind = KINDS[(step + offset) % len(KINDS)]
    return kind, 1 + (step // len(KINDS)) % 3


def interior_point(mask: np.ndarray) -> Tuple[float, float]:
    """The most interior pixel centre (largest erosion depth; first in raster order on ties)."""
    m = torch.from_numpy(mask.astype(np.float32))[None, None]
    depth = torch.zeros_like(m)
    while m.sum() > 0:
        depth += m
        m = -F.max_pool2d(-m, 3, stride=1, padding=1)
    flat = int(depth.flatten().argmax())
    y, x = divmod(flat, mask.shape[1])
    return float(x), float(y)


def coarse_mask_logits(masks: torch.Tensor, grid: int, rng: Optional[np.random.Generator]) -> torch.Tensor:
    """A CLIP-like coarse prompt from binary masks [B,S,S]: area fractions on the G×G grid, as
    probabilities (noisy when training), log-odds clamped to ±20, resampled to SAM's 4G×4G input."""
    frac = F.adaptive_avg_pool2d(masks.float()[:, None], grid)
    prob = 0.05 + 0.9 * frac
    if rng is not None:
        noise = torch.from_numpy(rng.normal(0, 0.15, prob.shape).astype(np.float32))
        prob = (prob + noise).clamp(0.01, 0.99)
    logits = torch.log(prob / (1 - prob)).clamp(-LOGIT_CLAMP, LOGIT_CLAMP)
    return F.interpolate(logits, size=(4 * grid, 4 * grid), mode="bilinear", align_corners=False)


def sample_prompts(masks: torch.Tensor, boxes: torch.Tensor, kind: str, num_points: int, grid: int, rngs: Sequence[np.random.Generator]):
    """Training prompts for binary masks [B,S,S] and their boxes [B,4] (x0, y0, x1, y1 exclusive):
    points uniform over the mask, boxes jittered by ~10 % of their side (as SAM's training does),
    one generator per sample (so prompts do not depend on how a batch is split over processes)."""
    B, S = masks.shape[0], masks.shape[-1]
    coords: List[List[Tuple[float, float]]] = []
    labels: List[List[float]] = []
    for b in range(B):
        rng = rngs[b]
        if kind == "box":
            x0, y0, x1, y1 = [float(v) for v in boxes[b]]
            w, h = x1 - x0, y1 - y0
            jitter = rng.normal(0, 0.1, 4) * np.asarray([w, h, w, h])
            x0, y0, x1, y1 = np.clip(np.asarray([x0, y0, x1 - 1, y1 - 1]) + jitter, 0, S - 1)
            coords.append([(min(x0, x1), min(y0, y1)), (max(x0, x1), max(y0, y1))])
            labels.append([2.0, 3.0])
            continue
        ys, xs = np.nonzero(masks[b].numpy())
        n = 1 if kind == "point" else num_points
        pick = rng.integers(0, len(xs), n)
        coords.append([(float(xs[i]), float(ys[i])) for i in pick] + [PAD[:2]])
        labels.append([1.0] * n + [PAD[2]])
    mask_input = torch.cat([coarse_mask_logits(masks[b : b + 1], grid, rngs[b]) for b in range(B)]) if kind == "mask" else None
    return torch.tensor(coords, dtype=torch.float32), torch.tensor(labels, dtype=torch.float32), mask_input


def decode(prompt_encoder, mask_decoder, image_embeddings: torch.Tensor, coords: torch.Tensor, labels: torch.Tensor, mask_input: Optional[torch.Tensor], image_size: int):
    """Low-res mask logits [B,4,4G,4G] and IoU predictions [B,4] for one prompt per image, through
    the same prompt embedding as the exported prompt decoder."""
    pd = PromptDecoder(prompt_encoder, mask_decoder, image_size)
    sparse = pd._embed_points(coords, labels)
    # Always through the mask path (has_mask_input 0 or 1), exactly as the exported graph: every
    # prompt-encoder weight takes part in every step, which DistributedDataParallel requires.
    has_mask = torch.ones(1, device=coords.device) if mask_input is not None else torch.zeros(1, device=coords.device)
    if mask_input is None:
        side = 4 * image_embeddings.shape[-1]
        mask_input = torch.zeros(image_embeddings.shape[0], 1, side, side, device=coords.device)
    dense = pd._embed_masks(mask_input, has_mask)
    return mask_decoder.predict_masks(image_embeddings, dense_positional_encoding(prompt_encoder, image_embeddings.device), sparse, dense)


def dense_positional_encoding(prompt_encoder, device: torch.device) -> torch.Tensor:
    """PromptEncoder.get_dense_pe built on `device` (the model's version makes its grid on the CPU)."""
    h, w = prompt_encoder.image_embedding_size
    grid = torch.ones((h, w), device=device)
    y = (grid.cumsum(dim=0) - 0.5) / h
    x = (grid.cumsum(dim=1) - 0.5) / w
    return prompt_encoder.pe_layer.pe_encoding(torch.stack([x, y], dim=-1)).permute(2, 0, 1).unsqueeze(0)


def upscale(low_res: torch.Tensor, size: int) -> torch.Tensor:
    """Low-res logits → S×S logits (the prompt decoder's postprocessing for an S×S image)."""
    return F.interpolate(low_res, size=(size, size), mode="bilinear", align_corners=False)
