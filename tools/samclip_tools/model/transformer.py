"""SAM's TwoWayTransformer, key-compatible with Meta's `mask_decoder.transformer.*`."""

import math
from typing import Optional, Tuple

import torch
from torch import nn

from .common import MLPBlock


class Attention(nn.Module):
    """Attention with optional down-projection of the embedding size after the q/k/v projections.

    `export_form` (set by the exporter, see `export_form.decoder_export_form`) computes the same function
    reassociated for the decoder's cross-attentions, where one side has a handful of prompt tokens
    and the other the G² image tokens: the 128-wide projections of the image tokens are replaced by
    products with heads × tokens columns (56 for one click), about 2.3× less arithmetic.
    """

    #: Compute with the reassociated form when the two sides differ in length (export only).
    export_form = False
    #: The image side is the image embeddings themselves (the first layer's cross-attentions). The
    #: export form then projects the image tokens in full: the projections depend on the image alone,
    #: so an SDK that splits the graph at its prompt inputs computes them once per image.
    image_side_per_image = False

    def __init__(self, embedding_dim: int, num_heads: int, downsample_rate: int = 1) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.internal_dim = embedding_dim // downsample_rate
        self.q_proj = nn.Linear(embedding_dim, self.internal_dim)
        self.k_proj = nn.Linear(embedding_dim, self.internal_dim)
        self.v_proj = nn.Linear(embedding_dim, self.internal_dim)
        self.out_proj = nn.Linear(self.internal_dim, embedding_dim)

    def _separate_heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.num_heads, c // self.num_heads).transpose(1, 2)

    def _recombine_heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n_heads, n_tokens, c_per_head = x.shape
        return x.transpose(1, 2).reshape(b, n_tokens, n_heads * c_per_head)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if self.export_form and q.shape[1] != k.shape[1]:
            if k.shape[1] < q.shape[1]:
                return self._few_keys(q, k, v)
            if not self.image_side_per_image:
                return self._few_queries(q, k, v)
        q = self._separate_heads(self.q_proj(q))
        k = self._separate_heads(self.k_proj(k))
        v = self._separate_heads(self.v_proj(v))
        c_per_head = q.shape[-1]
        attn = (q @ k.permute(0, 1, 3, 2)) / math.sqrt(c_per_head)
        attn = torch.softmax(attn, dim=-1)
        return self.out_proj(self._recombine_heads(attn @ v))


    def _few_keys(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Many queries (image tokens) over few keys (prompt tokens), keys-major: the scores come out as
        (heads × keys) × queries, so the softmax over each head's n_k keys is elementwise work along the
        queries (engines run a softmax over rows of 7 values at a fraction of their speed on long rows).
        Per head h, q_h·k_hᵀ is computed as (k_h·W_q,h)·qᵀ + k_h·b_q,h and softmax(·)·v_h·W_o,h as
        P_h·(v_h·W_o,h). With `image_side_per_image` the queries are projected as in the standard form and
        transposed (both once per image), and each head's scores are k_h·q_hᵀ."""
        b, n_q, dim = q.shape
        n_k = k.shape[1]
        heads = self.num_heads
        head_dim = self.internal_dim // heads
        k_h = self.k_proj(k).reshape(b, n_k, heads, head_dim).permute(0, 2, 1, 3)
        v_h = self.v_proj(v).reshape(b, n_k, heads, head_dim).permute(0, 2, 1, 3)
        if self.image_side_per_image:
            queries_by_head = self.q_proj(q).transpose(1, 2).reshape(b, heads, head_dim, n_q)
            scores = torch.matmul(k_h, queries_by_head).reshape(b, heads * n_k, n_q)
        else:
            keys_in_input_space = torch.matmul(k_h, self.q_proj.weight.reshape(heads, head_dim, dim)).reshape(b, heads * n_k, dim)
            bias = torch.matmul(k_h, self.q_proj.bias.reshape(heads, head_dim, 1)).reshape(b, heads * n_k, 1)
            scores = torch.matmul(keys_in_input_space, q.transpose(1, 2)) + bias
        scores = (scores / math.sqrt(head_dim)).reshape(b, heads, n_k, n_q)
        # softmax over the keys (dim 2), spelled out so that it exports as elementwise ops and reductions
        # over a middle axis rather than a Softmax the engines would transpose to the last axis.
        exp = torch.exp(scores - torch.amax(scores, dim=2, keepdim=True))
        attn = (exp / torch.sum(exp, dim=2, keepdim=True)).reshape(b, heads * n_k, n_q)
        values_in_output_space = torch.matmul(v_h, self.out_proj.weight.reshape(dim, heads, head_dim).permute(1, 2, 0))
        # Each head's attention row sums to 1, so a row of all heads sums to `heads`: b_o/heads added
        # to every value row adds b_o to every output, on heads × n_k rows instead of n_q.
        values_in_output_space = values_in_output_space.reshape(b, heads * n_k, dim) + self.out_proj.bias / heads
        return torch.matmul(attn.transpose(1, 2), values_in_output_space)

    def _few_queries(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Few queries (prompt tokens) over many keys (image tokens): per head h,
        q_h·k_hᵀ = (q_h·W_k,h)·kᵀ (+ q_h·b_k,h, the same for every key, so softmax drops it) and
        P_h·v_h = (P_h·v)·W_v,hᵀ + b_v,h (each row of P_h sums to 1)."""
        b, n_q, dim = q.shape
        heads = self.num_heads
        head_dim = self.internal_dim // heads
        q_h = self.q_proj(q).reshape(b, n_q, heads, head_dim).permute(0, 2, 1, 3)
        queries_in_input_space = torch.matmul(q_h, self.k_proj.weight.reshape(heads, head_dim, dim)).reshape(b, heads * n_q, dim)
        attn = torch.softmax(torch.matmul(queries_in_input_space, k.transpose(1, 2)) / math.sqrt(head_dim), dim=-1)
        pooled = torch.matmul(attn, v).reshape(b, heads, n_q, dim)
        out = torch.matmul(pooled, self.v_proj.weight.reshape(heads, head_dim, dim).transpose(1, 2)) + self.v_proj.bias.reshape(heads, 1, head_dim)
        return self.out_proj(out.permute(0, 2, 1, 3).reshape(b, n_q, heads * head_dim))


class TwoWayAttentionBlock(nn.Module):
    def __init__(self, embedding_dim: int, num_heads: int, mlp_dim: int, attention_downsample_rate: int, skip_first_layer_pe: bool) -> None:
        super().__init__()
        self.self_attn = Attention(embedding_dim, num_heads)
        self.norm1 = nn.LayerNorm(embedding_dim)
        self.cross_attn_token_to_image = Attention(embedding_dim, num_heads, downsample_rate=attention_downsample_rate)
        self.norm2 = nn.LayerNorm(embedding_dim)
        self.mlp = MLPBlock(embedding_dim, mlp_dim, nn.ReLU)
        self.norm3 = nn.LayerNorm(embedding_dim)
        self.norm4 = nn.LayerNorm(embedding_dim)
        self.cross_attn_image_to_token = Attention(embedding_dim, num_heads, downsample_rate=attention_downsample_rate)
        self.skip_first_layer_pe = skip_first_layer_pe

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, query_pe: torch.Tensor, key_pe: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.skip_first_layer_pe:
            queries = self.self_attn(q=queries, k=queries, v=queries)
        else:
            q = queries + query_pe
            queries = queries + self.self_attn(q=q, k=q, v=queries)
        queries = self.norm1(queries)

        q = queries + query_pe
        # Both cross-attentions read the same keys + key_pe: one add over the G² image tokens.
        k = keys + key_pe
        queries = self.norm2(queries + self.cross_attn_token_to_image(q=q, k=k, v=keys))
        queries = self.norm3(queries + self.mlp(queries))

        q = queries + query_pe
        keys = self.norm4(keys + self.cross_attn_image_to_token(q=k, k=q, v=queries))
        return queries, keys


class TwoWayTransformer(nn.Module):
    def __init__(self, depth: int, embedding_dim: int, num_heads: int, mlp_dim: int, attention_downsample_rate: int = 2) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            TwoWayAttentionBlock(embedding_dim, num_heads, mlp_dim, attention_downsample_rate, skip_first_layer_pe=(i == 0))
            for i in range(depth)
        )
        # The first layer's keys are the image embeddings (plus the dense prompt).
        self.layers[0].cross_attn_token_to_image.image_side_per_image = True
        self.layers[0].cross_attn_image_to_token.image_side_per_image = True
        self.final_attn_token_to_image = Attention(embedding_dim, num_heads, downsample_rate=attention_downsample_rate)
        self.norm_final_attn = nn.LayerNorm(embedding_dim)

    def forward(
        self, image_embedding: torch.Tensor, image_pe: torch.Tensor, point_embedding: torch.Tensor, output_tokens: Optional[int] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Meta's TwoWayTransformer.forward. With `output_tokens` the final token-to-image attention runs for
        the first that many tokens only, and only they come back: each token attends to the image on its own,
        so theirs are the same, and the mask decoder reads no other (the prompt tokens' last update is unused)."""
        image_embedding = image_embedding.flatten(2).permute(0, 2, 1)
        image_pe = image_pe.flatten(2).permute(0, 2, 1)
        queries = point_embedding
        keys = image_embedding
        for layer in self.layers:
            queries, keys = layer(queries=queries, keys=keys, query_pe=point_embedding, key_pe=image_pe)
        if output_tokens is not None:
            queries = queries[:, :output_tokens]
            point_embedding = point_embedding[:, :output_tokens]
        q = queries + point_embedding
        k = keys + image_pe
        queries = self.norm_final_attn(queries + self.final_attn_token_to_image(q=q, k=k, v=keys))
        return queries, keys
