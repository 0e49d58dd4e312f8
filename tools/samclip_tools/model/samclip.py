"""SAM-CLIP: one SAM ViT backbone serving SAM's neck + prompt decoder and the CLIP head, with an
OpenCLIP text tower. State-dict keys: Meta SAM's image_encoder.* (neck included), prompt_encoder.*,
mask_decoder.*; clip_head.*; OpenCLIP's text keys at the top level."""

from ..config import ModelConfig
from .clip_head import ClipHead
from .image_encoder import ImageEncoderViT
from .mask_decoder import MaskDecoder
from .sam import build_prompt_encoder
from .text_encoder import TextEncoder


class SamClip(TextEncoder):
    mask_threshold = 0.0

    def __init__(self, cfg: ModelConfig) -> None:
        if cfg.clip_head.embed_dim != cfg.samclip_text.embed_dim:
            raise ValueError("clip_head.embed_dim must equal samclip_text.embed_dim (one CLIP space)")
        super().__init__(cfg.samclip_text)
        enc = cfg.sam_encoder
        self.image_encoder = ImageEncoderViT(enc)
        self.prompt_encoder = build_prompt_encoder(enc, cfg.sam_decoder)
        self.mask_decoder = MaskDecoder(enc.out_chans, cfg.sam_decoder)
        self.clip_head = ClipHead(enc.width, enc.grid_size, cfg.clip_head)
