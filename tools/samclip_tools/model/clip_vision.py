"""OpenCLIP's ViT image tower, key-compatible with OpenCLIP's `visual.*`."""

from typing import Tuple

import torch
from torch import nn

from ..config import VisionConfig
from .text_encoder import Transformer


class VisionTransformer(nn.Module):
    def __init__(self, cfg: VisionConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        self.conv1 = nn.Conv2d(3, w, kernel_size=cfg.patch_size, stride=cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.grid_size**2 + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = Transformer(w, cfg.layers, cfg.heads)
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.zeros(w, cfg.embed_dim))

    def forward(self, pixel_values: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """pixel_values [1, 3, R, R] → (image_embeds [1, E] from the class token, dense_embeds [1, g, g, E])."""
        x = self.conv1(pixel_values)
        B, W, g, _ = x.shape
        x = x.reshape(B, W, g * g).permute(0, 2, 1)
        cls = self.class_embedding.reshape(1, 1, W).expand(B, 1, W)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_post(self.transformer(self.ln_pre(x)))
        x = x @ self.proj
        return x[:, 0], x[:, 1:].reshape(B, g, g, -1)
