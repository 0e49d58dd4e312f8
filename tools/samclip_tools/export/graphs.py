"""One nn.Module per bundle role, with the role's ONNX input/output names, and the ONNX export."""

import inspect
import io
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import onnx
import torch
from torch import nn

from ..model.clip_head import ClipHead
from ..model.clip_vision import VisionTransformer
from ..model.export_form import decoder_export_form
from ..model.image_encoder import ImageEncoderViT
from ..model.sam import PromptDecoder
from ..model.sam_neck import SamNeck
from ..model.text_encoder import TextEncoder

OPSET = 17


class BackboneGraph(nn.Module):
    def __init__(self, encoder: ImageEncoderViT) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.encoder.forward_backbone(pixel_values)


class SamNeckGraph(nn.Module):
    def __init__(self, neck: SamNeck) -> None:
        super().__init__()
        self.neck = neck

    def forward(self, backbone_features: torch.Tensor) -> torch.Tensor:
        return self.neck(backbone_features)


class SamEncoderGraph(nn.Module):
    def __init__(self, encoder: ImageEncoderViT) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.encoder(pixel_values)


class ClipHeadGraph(nn.Module):
    def __init__(self, head: ClipHead) -> None:
        super().__init__()
        self.head = head

    def forward(self, backbone_features: torch.Tensor):
        return self.head(backbone_features)


class ClipImageGraph(nn.Module):
    def __init__(self, visual: VisionTransformer) -> None:
        super().__init__()
        self.visual = visual

    def forward(self, pixel_values: torch.Tensor):
        return self.visual(pixel_values)


class TextGraph(nn.Module):
    def __init__(self, text: TextEncoder) -> None:
        super().__init__()
        self.text = text

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.text.encode_text(input_ids)


@dataclass
class GraphSpec:
    role: str
    module: nn.Module
    input_names: List[str]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]] = field(default_factory=dict)
    parameters: int = 0  # trainable parameters the graph computes with (PyTorch count, before constant folding)


def _count(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def _text_parameters(text: TextEncoder) -> int:
    # logit_scale is a text-tower key but no part of the text graph.
    return _count(text.token_embedding, text.transformer, text.ln_final) + text.positional_embedding.numel() + text.text_projection.numel()


def role_specs(models, return_single_mask: bool = False) -> Dict[str, GraphSpec]:
    """The graphs of a ModelSet, keyed by role, in the order of the kind's role list."""
    specs: Dict[str, GraphSpec] = {}
    decoder_io = (
        ["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"],
        ["masks", "iou_predictions", "low_res_masks"],
        # masks follow orig_im_size, a runtime value.
        {"point_coords": {1: "num_points"}, "point_labels": {1: "num_points"}, "masks": {2: "height", 3: "width"}},
    )
    text_io = (["input_ids"], ["text_embeds"], {"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}})
    if models.samclip is not None:
        m = models.samclip
        specs["backbone"] = GraphSpec("backbone", BackboneGraph(m.image_encoder), ["pixel_values"], ["backbone_features"])
        specs["sam_neck"] = GraphSpec("sam_neck", SamNeckGraph(m.image_encoder.neck), ["backbone_features"], ["image_embeddings"])
        specs["prompt_decoder"] = GraphSpec(
            "prompt_decoder", PromptDecoder(m.prompt_encoder, m.mask_decoder, m.image_encoder.img_size, return_single_mask), *decoder_io
        )
        specs["clip_head"] = GraphSpec("clip_head", ClipHeadGraph(m.clip_head), ["backbone_features"], ["image_embeds", "dense_embeds"])
        specs["text_encoder"] = GraphSpec("text_encoder", TextGraph(m), *text_io)
    if models.sam is not None:
        m = models.sam
        specs["sam_encoder"] = GraphSpec("sam_encoder", SamEncoderGraph(m.image_encoder), ["pixel_values"], ["image_embeddings"])
        specs["prompt_decoder"] = GraphSpec(
            "prompt_decoder", PromptDecoder(m.prompt_encoder, m.mask_decoder, m.image_encoder.img_size, return_single_mask), *decoder_io
        )
    if models.clip is not None:
        m = models.clip
        specs["clip_image_encoder"] = GraphSpec("clip_image_encoder", ClipImageGraph(m.visual), ["pixel_values"], ["image_embeds", "dense_embeds"])
        specs["text_encoder"] = GraphSpec("text_encoder", TextGraph(m), *text_io)
    for spec in specs.values():
        spec.module.eval()
    if models.samclip is not None:
        m = models.samclip
        specs["backbone"].parameters = _count(m.image_encoder) - _count(m.image_encoder.neck)
        specs["sam_neck"].parameters = _count(m.image_encoder.neck)
        specs["prompt_decoder"].parameters = _count(m.prompt_encoder, m.mask_decoder)
        specs["clip_head"].parameters = _count(m.clip_head)
        specs["text_encoder"].parameters = _text_parameters(m)
    if models.sam is not None:
        specs["sam_encoder"].parameters = _count(models.sam.image_encoder)
        specs["prompt_decoder"].parameters = _count(models.sam.prompt_encoder, models.sam.mask_decoder)
    if models.clip is not None:
        specs["clip_image_encoder"].parameters = _count(models.clip.visual)
        specs["text_encoder"].parameters = _text_parameters(models.clip)
    return specs


def _export_kwargs() -> Dict:
    # torch ≥ 2.5 has a dynamo exporter (the default from 2.9); the TorchScript exporter is the one
    # that behaves the same on 1.13 and 2.x.
    kwargs: Dict = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    return kwargs


def _fix_output_shapes(model: onnx.ModelProto, spec: GraphSpec, example_outputs: Sequence[Sequence[int]]) -> None:
    """States every output dim: the traced size where static, the dynamic axis name where dynamic.
    (The tracer loses static sizes behind reshapes with -1, e.g. after window unpartitioning.)"""
    for vi, shape in zip(model.graph.output, example_outputs):
        dynamic = spec.dynamic_axes.get(vi.name, {})
        dims = vi.type.tensor_type.shape.dim
        if len(dims) != len(shape):
            del dims[:]
            for _ in shape:
                dims.add()
        for axis, (dim, size) in enumerate(zip(dims, shape)):
            if axis in dynamic:
                dim.dim_param = dynamic[axis]
            else:
                dim.dim_value = int(size)


def export_onnx(spec: GraphSpec, example_inputs: Sequence[torch.Tensor], example_outputs: Sequence[Sequence[int]]) -> bytes:
    """The serialized ONNX model of one role, opset 17, constants folded, no doc strings, checked."""
    buffer = io.BytesIO()
    # The decoder exports in its export form (same function, less arithmetic and memory traffic per
    # click); the reference outputs come from the modules' standard form, so they check the rewrite.
    with torch.no_grad(), warnings.catch_warnings(), decoder_export_form(spec.module):
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        torch.onnx.export(
            spec.module,
            tuple(example_inputs),
            buffer,
            export_params=True,
            verbose=False,
            opset_version=OPSET,
            do_constant_folding=True,
            input_names=spec.input_names,
            output_names=spec.output_names,
            dynamic_axes=spec.dynamic_axes or None,
            **_export_kwargs(),
        )
    model = onnx.load_from_string(buffer.getvalue())
    _fix_output_shapes(model, spec, example_outputs)
    model.doc_string = ""
    for node in model.graph.node:
        node.doc_string = ""
    onnx.checker.check_model(model)
    return model.SerializeToString()


def count_onnx_parameters(model_bytes: bytes) -> int:
    model = onnx.load_from_string(model_bytes)
    total = 0
    for init in model.graph.initializer:
        n = 1
        for d in init.dims:
            n *= d
        total += n
    return total
