"""The SAM-CLIP paper's CLIP head on the shared backbone tokens.

Three (config: clip_head.depth) global-attention transformer blocks of the backbone's own kind, then
  pooled path: max over all G·G tokens → LayerNorm → MLP (two hidden layers) → image_embeds [1, E]
  dense path:  the same LayerNorm → MLP on every token               → dense_embeds [1, G, G, E]
"""

from typing import Tuple

import torch
from torch import nn

from ..config import ClipHeadConfig
from .image_encoder import LN_EPS, Block


class ProjectionMLP(nn.Module):
    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(in_dim, hidden_dim), nn.Linear(hidden_dim, hidden_dim), nn.Linear(hidden_dim, out_dim)])
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.layers[0](x))
        x = self.act(self.layers[1](x))
        return self.layers[2](x)


class ClipHead(nn.Module):
    def __init__(self, backbone_dim: int, grid_size: int, cfg: ClipHeadConfig) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(Block(backbone_dim, cfg.heads, 4.0, 0, (grid_size, grid_size)) for _ in range(cfg.depth))
        self.norm = nn.LayerNorm(backbone_dim, eps=LN_EPS)
        self.mlp = ProjectionMLP(backbone_dim, cfg.mlp_hidden_dim, cfg.embed_dim)

    def forward(self, backbone_features: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = backbone_features
        for blk in self.blocks:
            x = blk(x)
        pooled = self.mlp(self.norm(x.amax(dim=(1, 2))))
        dense = self.mlp(self.norm(x))
        return pooled, dense
