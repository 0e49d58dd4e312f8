"""Image preprocessing exactly as the PyTorch reference pipelines do it, on uint8 RGB [H, W, 3].

SAM (Meta's SamPredictor.set_image): resize the longest side to S with PIL bilinear (antialiased when
shrinking), normalise with SAM's mean/std in float32, zero-pad bottom/right to S×S.
CLIP (OpenCLIP's image transform): shortest side to R with PIL bicubic, center crop R×R, normalise.
Normalisation is written as (pixel − mean₂₅₅) / std₂₅₅ in float32, the form the bundle states.
"""

from typing import Dict, List, Tuple

import numpy as np
from PIL import Image

SAM_MEAN = [123.675, 116.28, 103.53]
SAM_STD = [58.395, 57.12, 57.375]
# OpenAI CLIP's mean/std × 255, rounded to 4 decimals; the reference uses exactly what the bundle states.
CLIP_MEAN = [122.7709, 116.7460, 104.0937]
CLIP_STD = [68.5005, 66.6322, 70.3232]


def sam_resized_size(h: int, w: int, longest: int) -> Tuple[int, int]:
    """ResizeLongestSide.get_preprocess_shape."""
    scale = longest * 1.0 / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def _normalize(image: np.ndarray, mean: List[float], std: List[float]) -> np.ndarray:
    x = image.astype(np.float32)
    x = (x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)
    return x.transpose(2, 0, 1)[None]  # [1, 3, H, W]


def preprocess_sam(image: np.ndarray, size: int) -> Tuple[np.ndarray, Tuple[int, int]]:
    """pixel_values [1, 3, S, S] float32 and the resized (h, w) inside the padding."""
    h, w = image.shape[:2]
    nh, nw = sam_resized_size(h, w, size)
    resized = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BILINEAR))
    x = _normalize(resized, SAM_MEAN, SAM_STD)
    out = np.zeros((1, 3, size, size), dtype=np.float32)
    out[:, :, :nh, :nw] = x
    return out, (nh, nw)


def preprocess_clip(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    if w <= h:
        nw, nh = size, int(size * h / w)
    else:
        nh, nw = size, int(size * w / h)
    resized = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BICUBIC))
    top = int(round((nh - size) / 2.0))
    left = int(round((nw - size) / 2.0))
    return _normalize(resized[top : top + size, left : left + size], CLIP_MEAN, CLIP_STD)


def synthetic_image(height: int, width: int, seed: int) -> np.ndarray:
    """A seeded RGB test image: a smooth colour gradient, a filled disc, a rectangle and mild noise,
    so segmentation prompts land on distinct regions."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([60 + 120 * xx / width, 80 + 100 * yy / height, 140 - 60 * xx / width], axis=-1)
    cy, cx, r = height * 0.45, width * 0.3, min(height, width) * 0.22
    disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    img[disc] = [220, 60, 50]
    rect = (yy > height * 0.3) & (yy < height * 0.8) & (xx > width * 0.6) & (xx < width * 0.9)
    img[rect] = [40, 170, 90]
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def preprocess_manifest(sam_size: int = 0, clip_size: int = 0) -> Dict[str, Dict]:
    out: Dict[str, Dict] = {}
    if sam_size:
        out["sam"] = {"longestSide": sam_size, "mean": SAM_MEAN, "std": SAM_STD, "resize": "bilinear-antialias", "pad": "bottom-right"}
    if clip_size:
        out["clip"] = {
            "size": clip_size,
            "mean": CLIP_MEAN,
            "std": CLIP_STD,
            "resize": "bicubic-antialias",
            "crop": "center",
        }
    return out
