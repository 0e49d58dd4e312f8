"""OpenCLIP ViT state dicts (ViT-B/16, ViT-L/14, ...): keys map one to one onto OpenClip; the text
keys also map one to one onto SamClip's text tower (the visual tower is then set aside)."""

import math
import re
from typing import Dict

import torch
from torch import nn

from ..config import TextConfig, VisionConfig
from .keys import load_mapped

OPENCLIP_TEXT_MAP = [
    ("token_embedding.", "token_embedding."),
    ("positional_embedding", "positional_embedding"),
    ("transformer.", "transformer."),
    ("ln_final.", "ln_final."),
    ("text_projection", "text_projection"),
    ("logit_scale", "logit_scale"),
]
OPENCLIP_MAP = [("visual.", "visual.")] + OPENCLIP_TEXT_MAP


def is_openclip(state_dict: Dict[str, torch.Tensor]) -> bool:
    return "visual.conv1.weight" in state_dict and "token_embedding.weight" in state_dict


def load_openclip(module: nn.Module, state_dict: Dict[str, torch.Tensor]) -> nn.Module:
    """All keys into an OpenClip."""
    return load_mapped(module, state_dict, OPENCLIP_MAP, "OpenCLIP")


def load_openclip_text(module: nn.Module, state_dict: Dict[str, torch.Tensor]) -> nn.Module:
    """The text tower into a SamClip (or an OpenClip); visual.* is deliberately left out."""
    return load_mapped(module, state_dict, OPENCLIP_TEXT_MAP, "OpenCLIP text", ignore=("visual.",))


def _layers(state_dict: Dict[str, torch.Tensor], prefix: str) -> int:
    rx = re.compile(re.escape(prefix) + r"resblocks\.(\d+)\.")
    return len({m.group(1) for k in state_dict for m in [rx.match(k)] if m})


def infer_openclip_configs(state_dict: Dict[str, torch.Tensor]) -> "tuple[VisionConfig, TextConfig]":
    """Architecture from shapes; heads = width / 64 as in every OpenCLIP ViT config."""
    conv = state_dict["visual.conv1.weight"]
    width, patch = conv.shape[0], conv.shape[-1]
    grid = int(math.isqrt(state_dict["visual.positional_embedding"].shape[0] - 1))
    embed = state_dict["visual.proj"].shape[1]
    vision = VisionConfig(
        image_size=grid * patch, patch_size=patch, width=width, layers=_layers(state_dict, "visual.transformer."), heads=width // 64, embed_dim=embed
    )
    tok = state_dict["token_embedding.weight"]
    text = TextConfig(
        width=tok.shape[1],
        layers=_layers(state_dict, "transformer."),
        heads=tok.shape[1] // 64,
        embed_dim=state_dict["text_projection"].shape[1],
        context_length=state_dict["positional_embedding"].shape[0],
        vocab_size=tok.shape[0],
    )
    return vision, text
