"""The prompt decoder as the exporter writes it: the same function as Meta's modules, arranged for
the engines that run it once per click (see the `export_form` flag of each class)."""

from contextlib import contextmanager
from typing import Iterator

from torch import nn

from .mask_decoder import MaskDecoder
from .sam import PromptDecoder
from .transformer import Attention

_FORMS = (Attention, MaskDecoder, PromptDecoder)


@contextmanager
def decoder_export_form(module: nn.Module) -> Iterator[None]:
    """Within the block, every Attention, MaskDecoder and PromptDecoder in `module` computes with
    its export form: few-token cross-attentions, upscaling in the token layout, the mask branch
    only when a mask is given."""
    forms = [m for m in module.modules() if isinstance(m, _FORMS)]
    for m in forms:
        m.export_form = True
    try:
        yield
    finally:
        for m in forms:
            del m.export_form
