"""Building the PyTorch models a bundle kind needs."""

from dataclasses import dataclass
from typing import Optional

import torch

from .config import KINDS, ModelConfig
from .model import OpenClip, Sam, SamClip
from .random_init import randomize_


@dataclass
class ModelSet:
    """The models behind one bundle: samclip for sam-clip, sam and/or clip for the other kinds."""

    kind: str
    config: ModelConfig
    samclip: Optional[SamClip] = None
    sam: Optional[Sam] = None
    clip: Optional[OpenClip] = None

    def modules(self):
        return [m for m in (self.samclip, self.sam, self.clip) if m is not None]


def build_models(kind: str, cfg: ModelConfig) -> ModelSet:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {list(KINDS)}")
    models = ModelSet(kind=kind, config=cfg)
    if kind == "sam-clip":
        models.samclip = SamClip(cfg)
    if kind in ("sam", "sam+clip"):
        models.sam = Sam(cfg.sam_encoder, cfg.sam_decoder)
    if kind in ("clip", "sam+clip"):
        models.clip = OpenClip(cfg.clip_vision, cfg.clip_text)
    for m in models.modules():
        m.eval()
    return models


def build_random_models(kind: str, cfg: ModelConfig, seed: int) -> ModelSet:
    models = build_models(kind, cfg)
    for offset, m in enumerate(models.modules()):
        randomize_(m, seed + offset)
    return models


def count_parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
