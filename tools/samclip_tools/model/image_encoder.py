"""SAM's ViT image encoder (backbone + neck), key-compatible with Meta's `image_encoder.*`.

The backbone is the patch embedding, absolute position embedding and the transformer blocks
(windowed attention except at `global_attn_indexes`, decomposed relative position embeddings in
every block). Its output, `backbone_features` [1, G, G, D], is what SAM-CLIP shares between the SAM
neck and the CLIP head.
"""

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..config import SamEncoderConfig
from .common import MLPBlock
from .sam_neck import SamNeck

LN_EPS = 1e-6


def relative_position_index(q_size: int, k_size: int) -> torch.Tensor:
    """Rows of rel_pos to gather for every (query, key) position pair (Meta's get_rel_pos, static sizes)."""
    q_coords = torch.arange(q_size)[:, None] * max(k_size / q_size, 1.0)
    k_coords = torch.arange(k_size)[None, :] * max(q_size / k_size, 1.0)
    relative = (q_coords - k_coords) + (k_size - 1) * max(q_size / k_size, 1.0)
    return relative.long()


class Attention(nn.Module):
    """Multi-head attention over an [B, H, W, D] token grid with decomposed relative positions."""

    def __init__(self, dim: int, num_heads: int, input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.num_heads = num_heads
        head_dim = dim // num_heads
        self.scale = head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)
        self.rel_pos_h = nn.Parameter(torch.zeros(2 * input_size[0] - 1, head_dim))
        self.rel_pos_w = nn.Parameter(torch.zeros(2 * input_size[1] - 1, head_dim))
        # Sizes are static, so the gather indices are constants (not part of the state dict).
        self.register_buffer("rel_index_h", relative_position_index(input_size[0], input_size[0]), persistent=False)
        self.register_buffer("rel_index_w", relative_position_index(input_size[1], input_size[1]), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, _ = x.shape
        qkv = self.qkv(x).reshape(B, H * W, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.reshape(3, B * self.num_heads, H * W, -1).unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = self._add_decomposed_rel_pos(attn, q, H, W)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).view(B, self.num_heads, H, W, -1).permute(0, 2, 3, 1, 4).reshape(B, H, W, -1)
        return self.proj(x)

    def _add_decomposed_rel_pos(self, attn: torch.Tensor, q: torch.Tensor, H: int, W: int) -> torch.Tensor:
        # Meta writes these products with einsum; batched MatMul keeps the exported graph to
        # operators every backend has: rel_h[b,h,w,k] = Σc q[b,h,w,c]·Rh[h,k,c].
        Rh = self.rel_pos_h[self.rel_index_h]  # [H, H, c]
        Rw = self.rel_pos_w[self.rel_index_w]  # [W, W, c]
        BH, _, dim = q.shape
        r_q = q.reshape(BH, H, W, dim)
        rel_h = torch.matmul(r_q, Rh.transpose(1, 2))  # [BH, H, W, H]
        rel_w = torch.matmul(r_q.transpose(1, 2), Rw.transpose(1, 2)).transpose(1, 2)  # [BH, H, W, W]
        attn = attn.view(BH, H, W, H, W) + rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]
        return attn.view(BH, H * W, H * W)


def window_partition(x: torch.Tensor, window_size: int) -> Tuple[torch.Tensor, Tuple[int, int]]:
    B, H, W, C = x.shape
    pad_h = (window_size - H % window_size) % window_size
    pad_w = (window_size - W % window_size) % window_size
    if pad_h > 0 or pad_w > 0:
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
    Hp, Wp = H + pad_h, W + pad_w
    x = x.view(B, Hp // window_size, window_size, Wp // window_size, window_size, C)
    windows = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, window_size, window_size, C)
    return windows, (Hp, Wp)


def window_unpartition(windows: torch.Tensor, window_size: int, pad_hw: Tuple[int, int], hw: Tuple[int, int]) -> torch.Tensor:
    Hp, Wp = pad_hw
    H, W = hw
    B = windows.shape[0] // (Hp * Wp // window_size // window_size)
    x = windows.view(B, Hp // window_size, Wp // window_size, window_size, window_size, -1)
    x = x.permute(0, 1, 3, 2, 4, 5).contiguous().view(B, Hp, Wp, -1)
    if Hp > H or Wp > W:
        x = x[:, :H, :W, :].contiguous()
    return x


class Block(nn.Module):
    """Pre-norm transformer block; window_size 0 means global attention over the whole grid."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, window_size: int, input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        attn_size = input_size if window_size == 0 else (window_size, window_size)
        self.attn = Attention(dim, num_heads, attn_size)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = MLPBlock(dim, int(dim * mlp_ratio), nn.GELU)
        self.window_size = window_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.norm1(x)
        if self.window_size > 0:
            H, W = x.shape[1], x.shape[2]
            x, pad_hw = window_partition(x, self.window_size)
            x = self.attn(x)
            x = window_unpartition(x, self.window_size, pad_hw, (H, W))
        else:
            x = self.attn(x)
        x = shortcut + x
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, in_chans: int, embed_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).permute(0, 2, 3, 1)  # B H W C


class ImageEncoderViT(nn.Module):
    """Meta's ImageEncoderViT; `forward_backbone` stops before the neck (the `backbone` role)."""

    def __init__(self, cfg: SamEncoderConfig, with_neck: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.img_size = cfg.image_size
        grid = cfg.grid_size
        self.patch_embed = PatchEmbed(cfg.patch_size, 3, cfg.width)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid, grid, cfg.width))
        self.blocks = nn.ModuleList(
            Block(
                cfg.width,
                cfg.heads,
                cfg.mlp_ratio,
                0 if i in cfg.global_attn_indexes else cfg.window_size,
                (grid, grid),
            )
            for i in range(cfg.depth)
        )
        self.neck: Optional[SamNeck] = SamNeck(cfg.width, cfg.out_chans) if with_neck else None

    def forward_backbone(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(pixel_values) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return x  # [B, G, G, D]

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if self.neck is None:
            raise RuntimeError("this image encoder was built without its neck; call forward_backbone")
        return self.neck(self.forward_backbone(pixel_values))
