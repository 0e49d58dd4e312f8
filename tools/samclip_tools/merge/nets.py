"""The toy architecture, model construction, preprocessing on tensors, and the backbone at any resolution.

The teachers and the student use samclip_tools' own modules: the SAM teacher is a `Sam`, the CLIP
teacher an `OpenClip`, the merged model a `SamClip` whose backbone, neck, prompt encoder and mask
decoder start as the SAM teacher's and whose text tower is the CLIP teacher's.
"""

import math
from typing import Any, Dict

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ClipHeadConfig, ModelConfig, SamDecoderConfig, SamEncoderConfig, TextConfig, VisionConfig
from ..model import OpenClip, Sam, SamClip
from ..model.image_encoder import Block, ImageEncoderViT, relative_position_index
from ..preprocess import CLIP_MEAN, CLIP_STD, SAM_MEAN, SAM_STD

TOKENIZER_NAME = "captions"  # ModelConfig.tokenizer: merges learned from the world's captions


def toy_model_config(m: Dict[str, Any], vocab_size: int) -> ModelConfig:
    """ModelConfig from the `model` section of a merge config (see tools/configs/merge-toy.json)."""
    sam, dec, head, text, vis = m["sam_encoder"], m["sam_decoder"], m["clip_head"], m["text"], m["clip_vision"]
    text_cfg = TextConfig(vocab_size=vocab_size, **text)
    return ModelConfig(
        name=m.get("name", "toy"),
        sam_encoder=SamEncoderConfig(**{**sam, "global_attn_indexes": tuple(sam["global_attn_indexes"])}),
        sam_decoder=SamDecoderConfig(**dec),
        clip_head=ClipHeadConfig(**head),
        samclip_text=text_cfg,
        clip_vision=VisionConfig(**vis),
        clip_text=text_cfg,
        tokenizer=TOKENIZER_NAME,
    )


@torch.no_grad()
def init_weights_(model: nn.Module) -> nn.Module:
    """torch's default layer initialisation (seeded by the caller) plus small random embeddings and
    projections, which the model classes leave at zero for checkpoint loading."""
    for name, p in model.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        if leaf in ("pos_embed", "positional_embedding", "class_embedding") or name.endswith("token_embedding.weight"):
            p.normal_(0, 0.02)
        elif leaf in ("text_projection", "proj") and p.dim() == 2:
            p.normal_(0, p.shape[0] ** -0.5)
    return model


def build_clip_teacher(cfg: ModelConfig, seed: int) -> OpenClip:
    torch.manual_seed(seed)
    return init_weights_(OpenClip(cfg.clip_vision, cfg.clip_text))


def build_sam_teacher(cfg: ModelConfig, seed: int) -> Sam:
    torch.manual_seed(seed)
    return init_weights_(Sam(cfg.sam_encoder, cfg.sam_decoder))


def build_student(cfg: ModelConfig, sam_teacher: Sam, clip_teacher: OpenClip, seed: int) -> SamClip:
    """SAM-CLIP initialised as the recipe starts it: SAM teacher's image encoder (backbone + neck),
    prompt encoder and mask decoder; the CLIP teacher's text tower; a fresh CLIP head."""
    torch.manual_seed(seed)
    student = init_weights_(SamClip(cfg))
    student.image_encoder.load_state_dict(sam_teacher.image_encoder.state_dict())
    student.prompt_encoder.load_state_dict(sam_teacher.prompt_encoder.state_dict())
    student.mask_decoder.load_state_dict(sam_teacher.mask_decoder.state_dict())
    text_keys = {k: v for k, v in clip_teacher.state_dict().items() if not k.startswith("visual.")}
    missing, unexpected = student.load_state_dict(text_keys, strict=False)
    if unexpected:
        raise ValueError(f"CLIP teacher text keys the student lacks: {unexpected}")
    return student


def text_parameters(model: nn.Module):
    """The parameters of an OpenCLIP-layout text tower (top-level keys of TextEncoder)."""
    names = ("token_embedding", "positional_embedding", "transformer", "ln_final", "text_projection", "logit_scale")
    return [p for n, p in model.named_parameters() if n.split(".", 1)[0] in names]


def sam_pixels(images: torch.Tensor) -> torch.Tensor:
    """uint8 [B,3,S,S] → SAM-normalised float32 (world images are already S×S: no resize, no pad)."""
    mean = torch.tensor(SAM_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(SAM_STD, device=images.device).view(1, 3, 1, 1)
    return (images.float() - mean) / std


def clip_pixels(images: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 [B,3,S,S] → CLIP-normalised float32 at size×size (antialiased bicubic)."""
    x = images.float()
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False, antialias=True).clamp(0, 255)
    mean = torch.tensor(CLIP_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=images.device).view(1, 3, 1, 1)
    return (x - mean) / std


def resize_pixels(pixels: torch.Tensor, size: int) -> torch.Tensor:
    if pixels.shape[-1] == size:
        return pixels
    return F.interpolate(pixels, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def _resized_rel_pos(rel_pos: torch.Tensor, length: int) -> torch.Tensor:
    """Meta's get_rel_pos interpolation: the table linearly resampled to `length` rows."""
    if rel_pos.shape[0] == length:
        return rel_pos
    return F.interpolate(rel_pos.t().unsqueeze(0), size=length, mode="linear", align_corners=False).squeeze(0).t()


def _global_attention(attn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The backbone's Attention on an H×W grid other than the one it was built for."""
    B, H, W, _ = x.shape
    qkv = attn.qkv(x).reshape(B, H * W, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
    q, k, v = qkv.reshape(3, B * attn.num_heads, H * W, -1).unbind(0)
    scores = (q * attn.scale) @ k.transpose(-2, -1)
    Rh = _resized_rel_pos(attn.rel_pos_h, 2 * H - 1)[relative_position_index(H, H).to(x.device)]
    Rw = _resized_rel_pos(attn.rel_pos_w, 2 * W - 1)[relative_position_index(W, W).to(x.device)]
    BH, _, dim = q.shape
    r_q = q.reshape(BH, H, W, dim)
    rel_h = torch.matmul(r_q, Rh.transpose(1, 2))
    rel_w = torch.matmul(r_q.transpose(1, 2), Rw.transpose(1, 2)).transpose(1, 2)
    scores = (scores.view(BH, H, W, H, W) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]).view(BH, H * W, H * W)
    out = (scores.softmax(dim=-1) @ v).view(B, attn.num_heads, H, W, -1).permute(0, 2, 3, 1, 4).reshape(B, H, W, -1)
    return attn.proj(out)


def _block_any(blk: Block, x: torch.Tensor, native: bool) -> torch.Tensor:
    if native or blk.window_size > 0:  # windowed attention never sees more than one window
        return blk(x)
    x = x + _global_attention(blk.attn, blk.norm1(x))
    return x + blk.mlp(blk.norm2(x))


def backbone_features(encoder: ImageEncoderViT, pixels: torch.Tensor) -> torch.Tensor:
    """backbone_features [B, g, g, D] for pixels at any multiple of the patch size: the position
    embedding is resampled bicubically and global blocks' relative positions linearly (as Meta's
    SAM does for other resolutions). At the native size this is exactly forward_backbone."""
    if pixels.shape[-1] == encoder.img_size:
        return encoder.forward_backbone(pixels)
    x = encoder.patch_embed(pixels)
    g = x.shape[1]
    pos = F.interpolate(encoder.pos_embed.permute(0, 3, 1, 2), size=(g, g), mode="bicubic", align_corners=False).permute(0, 2, 3, 1)
    x = x + pos
    for blk in encoder.blocks:
        x = _block_any(blk, x, native=False)
    return x


def clip_head_forward(head: nn.Module, features: torch.Tensor):
    """ClipHead.forward for a token grid of any size (its global blocks built for the native grid)."""
    native = head.blocks[0].attn.rel_pos_h.shape[0] == 2 * features.shape[1] - 1 if len(head.blocks) else True
    x = features
    for blk in head.blocks:
        x = _block_any(blk, x, native=native)
    pooled = head.mlp(head.norm(x.amax(dim=(1, 2))))
    return pooled, head.mlp(head.norm(x))


def logit_scale_of(model: nn.Module) -> torch.Tensor:
    return model.logit_scale.exp().clamp(max=100.0)


def unit(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x, dim=-1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def cosine_lr(step: int, total: int, warmup: int) -> float:
    """Multiplier of the base learning rate: linear warm-up, then cosine to zero."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
