"""Plain OpenCLIP ViT model: `visual.*` plus the text tower's top-level keys."""

from ..config import TextConfig, VisionConfig
from .clip_vision import VisionTransformer
from .text_encoder import TextEncoder


class OpenClip(TextEncoder):
    def __init__(self, vision: VisionConfig, text: TextConfig) -> None:
        if vision.embed_dim != text.embed_dim:
            raise ValueError(f"vision embed_dim {vision.embed_dim} differs from text embed_dim {text.embed_dim}")
        super().__init__(text)
        self.visual = VisionTransformer(vision)
