"""SAM's mask decoder, key-compatible with Meta's `mask_decoder.*`."""

from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..config import SamDecoderConfig
from .common import MLP, LayerNorm2d
from .transformer import TwoWayTransformer


class TokenLayoutUpscaling(nn.Module):
    """output_upscaling and the hypernetwork product on src [B, h·w, C] (row-major tokens).

    ConvTranspose2d(k=2, s=2) gives output pixel (2y+i, 2x+j) = W[:, :, i, j]ᵀ·src(y, x) + b, one
    MatMul onto 4·C_out columns ordered (i, j, c). Rows then run over (y, x, i, j) for the first
    upscaling and (y, x, i, j, k, l) for the second; the K masks are interleaved back to rows
    4y+2i+k, columns 4x+2j+l with two rank-5 transposes (every engine's Transpose handles rank 5).

    It owns no parameters: it reads the decoder's `output_upscaling` without registering it, so
    checkpoints keep Meta's keys. It is a module so that exported node names carry its scope
    (`/output_upscaling_token_layout/...`), which the converter's default exclusions keep in float
    as they keep `output_upscaling`.
    """

    def __init__(self, output_upscaling: nn.Sequential) -> None:
        super().__init__()
        object.__setattr__(self, "_upscaling", output_upscaling)
        # Plain ints, so the traced weight rearrangements are constants the exporter folds.
        self.channels = (output_upscaling[0].weight.shape[0], output_upscaling[0].weight.shape[1], output_upscaling[3].weight.shape[1])

    @staticmethod
    def _sub_pixel_weights(conv: nn.ConvTranspose2d, c_in: int, c_out: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """The [C_in, 4·C_out] MatMul weight, columns ordered (i, j, c), and the bias per column."""
        weight = conv.weight.permute(0, 2, 3, 1).reshape(c_in, 4 * c_out)
        return weight, torch.cat([conv.bias] * 4)

    def forward(self, src: torch.Tensor, hyper_in: torch.Tensor, h: int, w: int) -> torch.Tensor:
        upscale_1, norm, _, upscale_2, _ = self._upscaling
        c, c1, c2 = self.channels
        b, n = src.shape[0], src.shape[1]
        w1, b1 = self._sub_pixel_weights(upscale_1, c, c1)
        w2, b2 = self._sub_pixel_weights(upscale_2, c1, c2)
        # Two-dimensional MatMuls, so engines fuse the bias add into the product (Gemm).
        x = src.reshape(b * n, c) @ w1 + b1
        x = F.gelu(F.layer_norm(x.reshape(b * n * 4, c1), (c1,), norm.weight, norm.bias, norm.eps))
        x = F.gelu((x @ w2 + b2).reshape(b, n * 16, c2))
        k = hyper_in.shape[1]
        # [B, h·w·16, K] then K first: cheaper than a K-row product against the transposed embedding.
        masks = (x @ hyper_in.transpose(1, 2)).transpose(1, 2)  # [B, K, h·w·16]: (y, x, i, j, k, l)
        masks = masks.reshape(b * k * h, w, 2, 2, 4).permute(0, 2, 1, 3, 4)  # (y, i, x, j, kl)
        masks = masks.reshape(b * k * h * 2, w, 2, 2, 2).permute(0, 3, 1, 2, 4)  # (y, i, k, x, j, l)
        return masks.reshape(b, k, 4 * h, 4 * w)


class MaskDecoder(nn.Module):
    """SAM's mask decoder.

    `export_form` (set by the exporter, see `export_form.decoder_export_form`) computes the same
    masks with the output upscaling in the transformer's token layout (TokenLayoutUpscaling): each
    stride-2, 2×2 ConvTranspose is a MatMul onto the four sub-pixels of every input pixel,
    LayerNorm2d a LayerNormalization over the last axis, and the sub-pixels are interleaved into the
    image layout only once, after the hypernetwork product, on the K masks instead of the 32-channel
    embedding. Engines run these MatMuls faster than ConvTranspose and need no NCHW/NHWC reorders.
    The transformer's final attention then updates only the IoU and mask tokens, the ones read after it.
    """

    #: Upscale in the token layout, final attention for the output tokens only (export only).
    export_form = False

    def __init__(self, transformer_dim: int, cfg: SamDecoderConfig) -> None:
        super().__init__()
        self.transformer = TwoWayTransformer(cfg.transformer_depth, transformer_dim, cfg.transformer_heads, cfg.transformer_mlp_dim)
        self.num_mask_tokens = cfg.num_multimask_outputs + 1
        self.iou_token = nn.Embedding(1, transformer_dim)
        self.mask_tokens = nn.Embedding(self.num_mask_tokens, transformer_dim)
        self.output_upscaling = nn.Sequential(
            nn.ConvTranspose2d(transformer_dim, transformer_dim // 4, kernel_size=2, stride=2),
            LayerNorm2d(transformer_dim // 4),
            nn.GELU(),
            nn.ConvTranspose2d(transformer_dim // 4, transformer_dim // 8, kernel_size=2, stride=2),
            nn.GELU(),
        )
        self.output_upscaling_token_layout = TokenLayoutUpscaling(self.output_upscaling)
        self.output_hypernetworks_mlps = nn.ModuleList(
            MLP(transformer_dim, transformer_dim, transformer_dim // 8, 3) for _ in range(self.num_mask_tokens)
        )
        self.iou_prediction_head = MLP(transformer_dim, cfg.iou_head_hidden_dim, self.num_mask_tokens, 3)

    def forward(
        self,
        image_embeddings: torch.Tensor,
        image_pe: torch.Tensor,
        sparse_prompt_embeddings: torch.Tensor,
        dense_prompt_embeddings: torch.Tensor,
        multimask_output: bool,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Meta's MaskDecoder.forward: masks 1..3 when multimask_output, else mask 0."""
        masks, iou_pred = self.predict_masks(image_embeddings, image_pe, sparse_prompt_embeddings, dense_prompt_embeddings)
        mask_slice = slice(1, None) if multimask_output else slice(0, 1)
        return masks[:, mask_slice, :, :], iou_pred[:, mask_slice]

    def predict_masks(
        self,
        image_embeddings: torch.Tensor,
        image_pe: torch.Tensor,
        sparse_prompt_embeddings: torch.Tensor,
        dense_prompt_embeddings: torch.Tensor,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """All num_mask_tokens masks [B, 4, 4G, 4G] and IoU predictions [B, 4]."""
        # One image per call: Meta's repeat_interleave over the prompt batch is a broadcast here.
        return self.predict_masks_from_source(image_embeddings + dense_prompt_embeddings, image_pe, sparse_prompt_embeddings)

    def predict_masks_from_source(
        self, src: torch.Tensor, image_pe: torch.Tensor, sparse_prompt_embeddings: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """predict_masks after the dense prompt is added: src = image embeddings + dense embeddings."""
        output_tokens = torch.cat([self.iou_token.weight, self.mask_tokens.weight], dim=0)
        output_tokens = output_tokens.unsqueeze(0).expand(sparse_prompt_embeddings.size(0), -1, -1)
        tokens = torch.cat((output_tokens, sparse_prompt_embeddings), dim=1)
        pos_src = image_pe.expand(src.shape[0], -1, -1, -1)
        b, c, h, w = src.shape

        # The export form's final attention updates only the output tokens (the IoU and mask tokens).
        hs, src = self.transformer(src, pos_src, tokens, output_tokens=1 + self.num_mask_tokens if self.export_form else None)
        iou_token_out = hs[:, 0, :]
        mask_tokens_out = hs[:, 1 : (1 + self.num_mask_tokens), :]
        hyper_in = torch.stack(
            [mlp(mask_tokens_out[:, i, :]) for i, mlp in enumerate(self.output_hypernetworks_mlps)], dim=1
        )
        iou_pred = self.iou_prediction_head(iou_token_out)
        if self.export_form:
            return self.output_upscaling_token_layout(src, hyper_in, h, w), iou_pred

        src = src.transpose(1, 2).reshape(b, c, h, w)
        upscaled_embedding = self.output_upscaling(src)
        b, c, h, w = upscaled_embedding.shape
        masks = (hyper_in @ upscaled_embedding.reshape(b, c, h * w)).reshape(b, -1, h, w)
        return masks, iou_pred
