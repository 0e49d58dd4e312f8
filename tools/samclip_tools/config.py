"""Model configurations: `tiny` (fast tests, a bundle under 5 MB) and `vit-b` (the real shapes).

One preset holds every tower; a bundle kind picks the towers it needs:
sam-clip → sam_encoder (+ its neck), sam_decoder, clip_head, samclip_text;
sam → sam_encoder, sam_decoder; clip → clip_vision, clip_text; sam+clip → all four of those.
"""

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Tuple

# The tiny tokenizer learns exactly this many merges, so its vocabulary is 256 bytes + 256 `</w>`
# forms + merges + 2 special tokens (see samclip_tools.tokenizer).
TINY_BPE_MERGES = 300
TINY_VOCAB_SIZE = 512 + TINY_BPE_MERGES + 2
OPENAI_VOCAB_SIZE = 49408


@dataclass(frozen=True)
class SamEncoderConfig:
    image_size: int
    patch_size: int
    width: int
    depth: int
    heads: int
    window_size: int
    global_attn_indexes: Tuple[int, ...]
    out_chans: int  # C: the neck's output channels
    mlp_ratio: float = 4.0

    @property
    def grid_size(self) -> int:
        return self.image_size // self.patch_size


@dataclass(frozen=True)
class SamDecoderConfig:
    transformer_depth: int = 2
    transformer_heads: int = 8
    transformer_mlp_dim: int = 2048
    iou_head_hidden_dim: int = 256
    mask_in_chans: int = 16
    num_multimask_outputs: int = 3


@dataclass(frozen=True)
class ClipHeadConfig:
    depth: int
    heads: int
    mlp_hidden_dim: int
    embed_dim: int  # E


@dataclass(frozen=True)
class TextConfig:
    width: int
    layers: int
    heads: int
    embed_dim: int  # E
    context_length: int = 77
    vocab_size: int = OPENAI_VOCAB_SIZE


@dataclass(frozen=True)
class VisionConfig:
    image_size: int
    patch_size: int
    width: int
    layers: int
    heads: int
    embed_dim: int  # E

    @property
    def grid_size(self) -> int:
        return self.image_size // self.patch_size


@dataclass(frozen=True)
class ModelConfig:
    name: str
    sam_encoder: SamEncoderConfig
    sam_decoder: SamDecoderConfig
    clip_head: ClipHeadConfig
    samclip_text: TextConfig
    clip_vision: VisionConfig
    clip_text: TextConfig
    tokenizer: str = field(default="openai")  # "openai" (49408 ids) or "generated" (tiny)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


TINY = ModelConfig(
    name="tiny",
    sam_encoder=SamEncoderConfig(
        image_size=256, patch_size=16, width=64, depth=4, heads=2, window_size=6, global_attn_indexes=(1, 3), out_chans=32
    ),
    sam_decoder=SamDecoderConfig(
        transformer_depth=2, transformer_heads=2, transformer_mlp_dim=64, iou_head_hidden_dim=32, mask_in_chans=8
    ),
    clip_head=ClipHeadConfig(depth=1, heads=2, mlp_hidden_dim=64, embed_dim=64),
    samclip_text=TextConfig(width=64, layers=2, heads=2, embed_dim=64, vocab_size=TINY_VOCAB_SIZE),
    clip_vision=VisionConfig(image_size=64, patch_size=8, width=64, layers=2, heads=2, embed_dim=64),
    clip_text=TextConfig(width=64, layers=2, heads=2, embed_dim=64, vocab_size=TINY_VOCAB_SIZE),
    tokenizer="generated",
)

# SAM ViT-B (Meta's sam_vit_b_01ec64), the SAM-CLIP paper's CLIP head on its 768-wide tokens, and the
# OpenCLIP ViT-L/14 (DataComp) text tower for E = 768; plain CLIP is OpenCLIP ViT-B/16.
VIT_B = ModelConfig(
    name="vit-b",
    sam_encoder=SamEncoderConfig(
        image_size=1024, patch_size=16, width=768, depth=12, heads=12, window_size=14, global_attn_indexes=(2, 5, 8, 11), out_chans=256
    ),
    sam_decoder=SamDecoderConfig(),
    clip_head=ClipHeadConfig(depth=3, heads=12, mlp_hidden_dim=768, embed_dim=768),
    samclip_text=TextConfig(width=768, layers=12, heads=12, embed_dim=768),
    clip_vision=VisionConfig(image_size=224, patch_size=16, width=768, layers=12, heads=12, embed_dim=512),
    clip_text=TextConfig(width=512, layers=12, heads=8, embed_dim=512),
)

PRESETS: Dict[str, ModelConfig] = {"tiny": TINY, "vit-b": VIT_B}

KINDS = ("sam-clip", "sam", "clip", "sam+clip")


def preset(name: str) -> ModelConfig:
    if name not in PRESETS:
        raise ValueError(f"unknown config {name!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[name]


def model_config_from_dict(data: Dict[str, Any]) -> ModelConfig:
    """Inverse of ModelConfig.to_dict (checkpoint metadata stores configs as plain dicts)."""
    enc = dict(data["sam_encoder"])
    enc["global_attn_indexes"] = tuple(enc["global_attn_indexes"])
    return ModelConfig(
        name=data["name"],
        sam_encoder=SamEncoderConfig(**enc),
        sam_decoder=SamDecoderConfig(**data["sam_decoder"]),
        clip_head=ClipHeadConfig(**data["clip_head"]),
        samclip_text=TextConfig(**data["samclip_text"]),
        clip_vision=VisionConfig(**data["clip_vision"]),
        clip_text=TextConfig(**data["clip_text"]),
        tokenizer=data.get("tokenizer", "openai"),
    )
