"""Meta's SAM checkpoints (sam_vit_b_01ec64.pth and the other sizes): keys map one to one."""

import re
from typing import Dict

import torch
from torch import nn

from ..config import SamDecoderConfig, SamEncoderConfig
from .keys import load_mapped

META_SAM_MAP = [
    ("image_encoder.", "image_encoder."),
    ("prompt_encoder.", "prompt_encoder."),
    ("mask_decoder.", "mask_decoder."),
]


def is_meta_sam(state_dict: Dict[str, torch.Tensor]) -> bool:
    return "image_encoder.patch_embed.proj.weight" in state_dict and "mask_decoder.iou_token.weight" in state_dict and "clip_head.norm.weight" not in state_dict


def load_meta_sam(module: nn.Module, state_dict: Dict[str, torch.Tensor]) -> nn.Module:
    """Loads into a Sam or into the SAM part of a SamClip (its clip_head and text tower untouched)."""
    return load_mapped(module, state_dict, META_SAM_MAP, "Meta SAM")


def _count(state_dict: Dict[str, torch.Tensor], pattern: str) -> int:
    rx = re.compile(pattern)
    return len({m.group(1) for k in state_dict for m in [rx.match(k)] if m})


def infer_sam_configs(state_dict: Dict[str, torch.Tensor], prefix: str = "") -> "tuple[SamEncoderConfig, SamDecoderConfig]":
    """Reads the architecture off the tensor shapes (heads: head dim from rel_pos; decoder heads are 8 in every SAM)."""
    p = prefix
    pos = state_dict[f"{p}image_encoder.pos_embed"]
    grid, width = pos.shape[1], pos.shape[3]
    patch = state_dict[f"{p}image_encoder.patch_embed.proj.weight"].shape[-1]
    depth = _count(state_dict, re.escape(p) + r"image_encoder\.blocks\.(\d+)\.")
    head_dim = state_dict[f"{p}image_encoder.blocks.0.attn.rel_pos_h"].shape[1]
    global_idx, window = [], 0
    for i in range(depth):
        rows = state_dict[f"{p}image_encoder.blocks.{i}.attn.rel_pos_h"].shape[0]
        if rows == 2 * grid - 1:
            global_idx.append(i)
        else:
            window = (rows + 1) // 2
    enc = SamEncoderConfig(
        image_size=grid * patch,
        patch_size=patch,
        width=width,
        depth=depth,
        heads=width // head_dim,
        window_size=window,
        global_attn_indexes=tuple(global_idx),
        out_chans=state_dict[f"{p}image_encoder.neck.0.weight"].shape[0],
    )
    dec = SamDecoderConfig(
        transformer_depth=_count(state_dict, re.escape(p) + r"mask_decoder\.transformer\.layers\.(\d+)\."),
        transformer_mlp_dim=state_dict[f"{p}mask_decoder.transformer.layers.0.mlp.lin1.weight"].shape[0],
        iou_head_hidden_dim=state_dict[f"{p}mask_decoder.iou_prediction_head.layers.0.weight"].shape[0],
        mask_in_chans=state_dict[f"{p}prompt_encoder.mask_downscaling.3.weight"].shape[0],
        num_multimask_outputs=state_dict[f"{p}mask_decoder.mask_tokens.weight"].shape[0] - 1,
    )
    return enc, dec
