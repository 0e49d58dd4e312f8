"""SAM's neck: conv1x1 → LayerNorm2d → conv3x3 → LayerNorm2d, [B, G, G, D] tokens → [B, C, G, G].

Subclasses nn.Sequential so its keys are Meta's `image_encoder.neck.{0,1,2,3}.*`.
"""

import torch
from torch import nn

from .common import LayerNorm2d


class SamNeck(nn.Sequential):
    def __init__(self, in_dim: int, out_chans: int) -> None:
        super().__init__(
            nn.Conv2d(in_dim, out_chans, kernel_size=1, bias=False),
            LayerNorm2d(out_chans),
            nn.Conv2d(out_chans, out_chans, kernel_size=3, padding=1, bias=False),
            LayerNorm2d(out_chans),
        )

    def forward(self, backbone_features: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(backbone_features.permute(0, 3, 1, 2))
