"""Checkpoint loaders: Meta SAM, OpenCLIP and our own SAM-CLIP format (see docs/checkpoints.md)."""

from .keys import CheckpointKeyError, map_state_dict
from .loader import load_checkpoints
from .meta_sam import infer_sam_configs, is_meta_sam, load_meta_sam
from .openclip import infer_openclip_configs, is_openclip, load_openclip, load_openclip_text
from .samclip import is_samclip_checkpoint, load_samclip_checkpoint, save_samclip_checkpoint

__all__ = [
    "CheckpointKeyError",
    "infer_openclip_configs",
    "infer_sam_configs",
    "is_meta_sam",
    "is_openclip",
    "is_samclip_checkpoint",
    "load_checkpoints",
    "load_meta_sam",
    "load_openclip",
    "load_openclip_text",
    "load_samclip_checkpoint",
    "map_state_dict",
    "save_samclip_checkpoint",
]
