"""Turning checkpoint files into the ModelSet of a bundle kind.

sam-clip: one samclip-tools checkpoint of kind sam-clip.
sam:      one Meta SAM state dict, or a samclip-tools checkpoint of kind sam.
clip:     one OpenCLIP state dict, or a samclip-tools checkpoint of kind clip.
sam+clip: one of each of the two above, in either order.
"""

import dataclasses
from typing import Any, Dict, List, Sequence, Tuple

import torch

from ..config import VIT_B, ModelConfig
from ..models import ModelSet, build_models
from .meta_sam import infer_sam_configs, is_meta_sam, load_meta_sam
from .openclip import infer_openclip_configs, is_openclip, load_openclip
from .samclip import is_samclip_checkpoint, load_samclip_checkpoint


def read_checkpoint(path: str) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch without weights_only
        return torch.load(path, map_location="cpu")


def _unwrap_state_dict(obj: Any) -> Dict[str, torch.Tensor]:
    """Plain state dict from a raw one, a {"state_dict": ...} training checkpoint, or DDP's module.* keys."""
    sd = obj.get("state_dict", obj) if isinstance(obj, dict) and not is_samclip_checkpoint(obj) else obj
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ValueError("checkpoint is neither a state dict nor a samclip-tools checkpoint")
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module.") :]: v for k, v in sd.items()}
    return sd


def _classify(obj: Any, name: str) -> Tuple[str, Any]:
    if is_samclip_checkpoint(obj):
        return "samclip-tools:" + obj["samclip"]["kind"], obj
    sd = _unwrap_state_dict(obj)
    if is_meta_sam(sd):
        return "meta-sam", sd
    if is_openclip(sd):
        return "openclip", sd
    raise ValueError(f"{name}: not a Meta SAM, OpenCLIP or samclip-tools checkpoint (first keys: {list(sd)[:5]})")


def load_checkpoints(paths: Sequence[str], kind: str) -> Tuple[ModelSet, List[str]]:
    """The loaded models and a description of each source (for the manifest's provenance)."""
    classified = [_classify(read_checkpoint(p), p) for p in paths]
    formats = [fmt for fmt, _ in classified]
    if kind == "sam-clip":
        if formats != ["samclip-tools:sam-clip"]:
            raise ValueError(f"kind sam-clip needs one samclip-tools sam-clip checkpoint; got {formats}")
        return load_samclip_checkpoint(classified[0][1]), formats

    sam_part = [(f, o) for f, o in classified if f in ("meta-sam", "samclip-tools:sam")]
    clip_part = [(f, o) for f, o in classified if f in ("openclip", "samclip-tools:clip")]
    want_sam = kind in ("sam", "sam+clip")
    want_clip = kind in ("clip", "sam+clip")
    if len(sam_part) != int(want_sam) or len(clip_part) != int(want_clip) or len(classified) != int(want_sam) + int(want_clip):
        raise ValueError(f"kind {kind} needs {'a SAM checkpoint' if want_sam else ''}{' and ' if want_sam and want_clip else ''}{'a CLIP checkpoint' if want_clip else ''}; got {formats}")

    cfg: ModelConfig = dataclasses.replace(VIT_B, name="checkpoint")
    sam_loaded = clip_loaded = None
    if want_sam:
        fmt, obj = sam_part[0]
        if fmt == "meta-sam":
            enc, dec = infer_sam_configs(obj)
            cfg = dataclasses.replace(cfg, sam_encoder=enc, sam_decoder=dec)
        else:
            sam_loaded = load_samclip_checkpoint(obj)
            cfg = dataclasses.replace(cfg, sam_encoder=sam_loaded.config.sam_encoder, sam_decoder=sam_loaded.config.sam_decoder)
    if want_clip:
        fmt, obj = clip_part[0]
        if fmt == "openclip":
            vision, text = infer_openclip_configs(obj)
            cfg = dataclasses.replace(cfg, clip_vision=vision, clip_text=text)
        else:
            clip_loaded = load_samclip_checkpoint(obj)
            c = clip_loaded.config
            cfg = dataclasses.replace(cfg, clip_vision=c.clip_vision, clip_text=c.clip_text, tokenizer=c.tokenizer)
    models = build_models(kind, cfg)
    if want_sam:
        if sam_loaded is not None:
            models.sam = sam_loaded.sam
        else:
            load_meta_sam(models.sam, sam_part[0][1])
    if want_clip:
        if clip_loaded is not None:
            models.clip = clip_loaded.clip
        else:
            load_openclip(models.clip, clip_part[0][1])
    return models, formats
