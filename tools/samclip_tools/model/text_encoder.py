"""OpenCLIP's text tower, key-compatible with OpenCLIP state dicts.

Keys sit at the top level of the owning model, exactly as OpenCLIP writes them: token_embedding,
positional_embedding, transformer.resblocks.N.*, ln_final, text_projection, logit_scale. SAM-CLIP
and the plain CLIP model therefore subclass TextEncoder instead of holding it as a child module.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..config import TextConfig


class MultiheadSelfAttention(nn.Module):
    """nn.MultiheadAttention's parameter layout (in_proj_weight/in_proj_bias/out_proj), batch first.

    Written out so the ONNX graph is plain MatMul/Softmax on both torch 1.13 and 2.x.
    """

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x: torch.Tensor, attn_mask: "torch.Tensor | None" = None) -> torch.Tensor:
        B, L, W = x.shape
        head_dim = W // self.heads
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q = q.reshape(B, L, self.heads, head_dim).transpose(1, 2)
        k = k.reshape(B, L, self.heads, head_dim).transpose(1, 2)
        v = v.reshape(B, L, self.heads, head_dim).transpose(1, 2)
        attn = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            attn = attn + attn_mask
        out = attn.softmax(dim=-1) @ v
        return self.out_proj(out.transpose(1, 2).reshape(B, L, W))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = MultiheadSelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, hidden))
        self.mlp.add_module("gelu", nn.GELU())
        self.mlp.add_module("c_proj", nn.Linear(hidden, width))

    def forward(self, x: torch.Tensor, attn_mask: "torch.Tensor | None" = None) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), attn_mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(ResidualAttentionBlock(width, heads) for _ in range(layers))

    def forward(self, x: torch.Tensor, attn_mask: "torch.Tensor | None" = None) -> torch.Tensor:
        for block in self.resblocks:
            x = block(x, attn_mask)
        return x


class TextEncoder(nn.Module):
    def __init__(self, cfg: TextConfig) -> None:
        super().__init__()
        self.text_cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.width)
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.context_length, cfg.width))
        self.transformer = Transformer(cfg.width, cfg.layers, cfg.heads)
        self.ln_final = nn.LayerNorm(cfg.width)
        self.text_projection = nn.Parameter(torch.zeros(cfg.width, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        causal = torch.full((cfg.context_length, cfg.context_length), float("-inf")).triu_(1)
        self.register_buffer("attn_mask", causal, persistent=False)

    def encode_text(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids int64 [B, L] → text_embeds [B, E], pooled at the end token (the largest id)."""
        x = self.token_embedding(input_ids) + self.positional_embedding
        x = self.ln_final(self.transformer(x, self.attn_mask))
        end = input_ids.argmax(dim=-1)
        index = end.reshape(-1, 1, 1).expand(-1, 1, x.shape[-1])
        return torch.gather(x, 1, index).squeeze(1) @ self.text_projection
