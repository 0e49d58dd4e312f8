"""A seeded synthetic world: coloured shapes on textured backgrounds, with captions and instance masks.

Every scene is a pure function of (seed, split, index), so any subset regenerates identically on
any machine and in any process. A scene holds:
  image     uint8 [S, S, 3]
  instances uint8 [S, S]: 0 background, k ≥ 1 the k-th object (visible pixels only; later objects occlude)
  objects   [{"shape", "colour", "box": [x0, y0, x1, y1] of the visible pixels, "area"}] in instance order
  caption   "a photo of a red circle and a blue star on a striped background." (largest object first)
  texture   the background texture name
"""

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

SHAPES = ("circle", "square", "triangle", "star", "cross", "ring")
COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (235, 205, 40),
    "purple": (150, 50, 190),
}
TEXTURES = ("striped", "dotted", "checkered", "noisy", "plain")
BACKGROUND = "background"
SPLIT_OFFSETS = {"train": 0, "test": 1_000_003, "classify": 2_000_029, "val": 3_000_017}


def class_names() -> List[str]:
    """Zero-shot classification classes: every colour–shape pair ("red circle", …)."""
    return [f"{c} {s}" for s in SHAPES for c in COLOURS]


@dataclass(frozen=True)
class WorldConfig:
    image_size: int = 96
    min_objects: int = 0
    max_objects: int = 4
    min_radius: float = 10.0
    max_radius: float = 24.0
    min_visible: float = 0.5  # fraction of an object's own area that must stay visible


def shape_mask(shape: str, size: int, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    """Boolean [size, size] raster of one shape centred at (cx, cy) with outer radius r."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx, dy = xx - cx, yy - cy
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "ring":
        d2 = dx * dx + dy * dy
        return (d2 <= r * r) & (d2 >= (0.55 * r) ** 2)
    if shape == "square":
        h = 0.82 * r
        return (np.abs(dx) <= h) & (np.abs(dy) <= h)
    if shape == "cross":
        h, arm = 0.95 * r, 0.34 * r
        return ((np.abs(dx) <= h) & (np.abs(dy) <= arm)) | ((np.abs(dx) <= arm) & (np.abs(dy) <= h))
    ca, sa = math.cos(angle), math.sin(angle)
    u, v = ca * dx + sa * dy, -sa * dx + ca * dy
    theta = np.arctan2(v, u)
    rho = np.sqrt(u * u + v * v)
    if shape == "triangle":
        # Inside the equilateral triangle with circumradius r: within the inradius r/2 of every edge.
        inside = np.ones_like(rho, dtype=bool)
        for a in (math.pi / 2, 7 * math.pi / 6, 11 * math.pi / 6):  # edge normals, opposite the vertices
            inside &= (u * math.cos(a) + v * math.sin(a)) <= r / 2
        return inside
    if shape == "star":
        # Five points: the radius falls linearly from r at a tip to 0.45·r between tips.
        sector = (theta % (2 * math.pi / 5)) / (2 * math.pi / 5)
        bound = 0.45 * r + 0.55 * r * np.abs(2 * sector - 1)
        return rho <= bound
    raise ValueError(f"unknown shape {shape!r}; choose one of {SHAPES}")


def _texture(rng: np.random.Generator, size: int, name: str) -> np.ndarray:
    base = rng.uniform(110, 200, 3)
    # Muted backgrounds: mix towards grey so object colours stay the most saturated thing in a scene.
    base = 0.6 * base + 0.4 * base.mean()
    other = np.clip(base + rng.choice([-1, 1]) * rng.uniform(25, 45), 0, 255)
    yy, xx = np.mgrid[0:size, 0:size]
    if name == "striped":
        period = rng.integers(6, 12)
        vertical = rng.random() < 0.5
        pattern = ((xx if vertical else yy) // (period // 2)) % 2 == 0
    elif name == "dotted":
        period = rng.integers(7, 12)
        pattern = ((xx % period - period / 2) ** 2 + (yy % period - period / 2) ** 2) <= (period / 4) ** 2
    elif name == "checkered":
        period = rng.integers(8, 16)
        pattern = ((xx // period) + (yy // period)) % 2 == 0
    elif name == "noisy":
        return base[None, None, :] + rng.normal(0, 18, (size, size, 1))
    elif name == "plain":
        pattern = np.zeros((size, size), dtype=bool)
    else:
        raise ValueError(f"unknown texture {name!r}")
    return np.where(pattern[..., None], other[None, None, :], base[None, None, :])


def caption_for(objects: Sequence[Dict], texture: str, rng: np.random.Generator) -> str:
    """Largest object first. Captions vary the way web alt-text does: an optional "a photo of"
    prefix, colours left out in some captions, the background named in about half; an empty
    scene is "a (textured) background"."""
    prefix = ["", "a photo of ", "a picture of "][int(rng.integers(0, 3))]
    with_colour = rng.random() < 0.7
    with_background = rng.random() < 0.5
    if not objects:
        return f"{prefix}a {texture + ' ' if with_background else ''}{BACKGROUND}."
    names = [f"{o['colour']} {o['shape']}" if with_colour else o["shape"] for o in sorted(objects, key=lambda o: -o["area"])]
    phrases = [f"a {n}" for n in names]
    body = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    return f"{prefix}{body}{f' on a {texture} {BACKGROUND}' if with_background else ''}."


def make_scene(seed: int, split: str, index: int, cfg: WorldConfig, num_objects: Optional[int] = None, only: Optional[Tuple[str, str]] = None) -> Dict:
    """One scene; `num_objects`/`only` (colour, shape) pin the content (classification images)."""
    rng = np.random.default_rng([seed, SPLIT_OFFSETS[split], index])
    S = cfg.image_size
    texture = TEXTURES[int(rng.integers(0, len(TEXTURES)))]
    image = _texture(rng, S, texture)
    n = int(rng.integers(cfg.min_objects, cfg.max_objects + 1)) if num_objects is None else num_objects
    instances = np.zeros((S, S), dtype=np.uint8)
    objects: List[Dict] = []
    attempts = 0
    while len(objects) < n and attempts < 50 * max(n, 1):
        attempts += 1
        if only is not None:
            colour, shape = only
        else:
            colour = list(COLOURS)[int(rng.integers(0, len(COLOURS)))]
            shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
        r = float(rng.uniform(cfg.min_radius, cfg.max_radius)) * (1.15 if num_objects == 1 else 1.0)
        cx, cy = rng.uniform(r * 0.8, S - r * 0.8, 2)
        mask = shape_mask(shape, S, float(cx), float(cy), r, float(rng.uniform(0, 2 * math.pi)))
        area = int(mask.sum())
        if area < 40:
            continue
        # Later objects occlude earlier ones; every earlier object must keep enough of itself.
        trial = instances.copy()
        trial[mask] = len(objects) + 1
        if any((trial == k + 1).sum() < cfg.min_visible * o["full_area"] for k, o in enumerate(objects)):
            continue
        instances = trial
        jitter = rng.normal(0, 10, 3)
        rgb = np.clip(np.asarray(COLOURS[colour], dtype=np.float64) + jitter, 0, 255)
        image[mask] = rgb
        objects.append({"shape": shape, "colour": colour, "full_area": area})
    image = np.clip(np.round(image + rng.normal(0, 4, image.shape)), 0, 255).astype(np.uint8)
    final: List[Dict] = []
    for k, o in enumerate(objects):
        ys, xs = np.nonzero(instances == k + 1)
        final.append({"shape": o["shape"], "colour": o["colour"], "area": int(len(xs)), "box": [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]})
    return {"image": image, "instances": instances, "objects": final, "caption": caption_for(final, texture, rng), "texture": texture}


def semantic_map(scene: Dict) -> np.ndarray:
    """Per-pixel shape class: 0..len(SHAPES)-1, and len(SHAPES) for background."""
    out = np.full(scene["instances"].shape, len(SHAPES), dtype=np.uint8)
    for k, o in enumerate(scene["objects"]):
        out[scene["instances"] == k + 1] = SHAPES.index(o["shape"])
    return out


def classification_scene(seed: int, index: int, cfg: WorldConfig) -> Tuple[Dict, int]:
    """A one-object scene whose colour–shape class cycles with the index (class-balanced)."""
    names = class_names()
    label = index % len(names)
    colour, shape = names[label].split(" ")
    return make_scene(seed, "classify", index, cfg, num_objects=1, only=(colour, shape)), label
