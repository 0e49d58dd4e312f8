"""PyTorch modules mirroring segment-anything's modeling split, plus the CLIP towers and SAM-CLIP."""

from .clip import OpenClip
from .sam import PromptDecoder, Sam
from .samclip import SamClip

__all__ = ["OpenClip", "PromptDecoder", "Sam", "SamClip"]
