"""Plain SAM (Meta's `Sam`: image_encoder, prompt_encoder, mask_decoder) and the prompt-decoder
graph that reproduces Meta's SamOnnxModel (segment_anything/utils/onnx.py) input for input."""

from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from ..config import SamDecoderConfig, SamEncoderConfig
from .common import layer_norm_2d
from .image_encoder import ImageEncoderViT
from .mask_decoder import MaskDecoder
from .prompt_encoder import PromptEncoder


def build_prompt_encoder(enc: SamEncoderConfig, dec: SamDecoderConfig) -> PromptEncoder:
    grid = enc.grid_size
    return PromptEncoder(enc.out_chans, (grid, grid), (enc.image_size, enc.image_size), dec.mask_in_chans)


class Sam(nn.Module):
    mask_threshold = 0.0

    def __init__(self, enc: SamEncoderConfig, dec: SamDecoderConfig) -> None:
        super().__init__()
        self.image_encoder = ImageEncoderViT(enc)
        self.prompt_encoder = build_prompt_encoder(enc, dec)
        self.mask_decoder = MaskDecoder(enc.out_chans, dec)


@torch.jit.script
def _source_with_dense_prompt(
    image_embeddings: torch.Tensor,
    mask_input: torch.Tensor,
    has_mask_input: torch.Tensor,
    no_mask_embed: torch.Tensor,
    downscaling: List[torch.Tensor],
    eps: float,
) -> torch.Tensor:
    """image_embeddings + the dense prompt, with mask_downscaling only when a mask is given: a
    scripted branch, so the graph gets an ONNX If instead of computing both and weighting by 0/1."""
    if bool(has_mask_input[0] != 0):
        x = F.conv2d(mask_input, downscaling[0], downscaling[1], stride=2)
        x = F.gelu(layer_norm_2d(x, downscaling[2], downscaling[3], eps))
        x = F.conv2d(x, downscaling[4], downscaling[5], stride=2)
        x = F.gelu(layer_norm_2d(x, downscaling[6], downscaling[7], eps))
        return image_embeddings + F.conv2d(x, downscaling[8], downscaling[9])
    return image_embeddings + no_mask_embed.reshape(1, -1, 1, 1)


class PromptDecoder(nn.Module):
    """Meta's SamOnnxModel: the prompt encoding runs inside the graph.

    Inputs (Meta's names): image_embeddings [1,C,G,G]; point_coords [1,N,2] in the resized frame
    (longest side S); point_labels [1,N] (1 fg, 0 bg, 2/3 box corners, −1 padding point);
    mask_input [1,1,4G,4G]; has_mask_input [1]; orig_im_size [2] (h, w).
    Outputs: masks [1,K,h,w] (logits at orig_im_size), iou_predictions [1,K], low_res_masks [1,K,4G,4G].
    K = 4 (the single-mask output, then the three multimask outputs) unless return_single_mask.

    `export_form` (set by the exporter, see `export_form.decoder_export_form`) runs the mask
    downscaling only when has_mask_input is non-zero (Meta's contract: 0 or 1), instead of always
    running it and multiplying by has_mask_input.
    """

    #: Branch on has_mask_input (export only).
    export_form = False

    def __init__(self, prompt_encoder: PromptEncoder, mask_decoder: MaskDecoder, img_size: int, return_single_mask: bool = False) -> None:
        super().__init__()
        self.prompt_encoder = prompt_encoder
        self.mask_decoder = mask_decoder
        self.img_size = img_size
        self.return_single_mask = return_single_mask

    @staticmethod
    def resize_longest_image_size(input_image_size: torch.Tensor, longest_side: int) -> torch.Tensor:
        input_image_size = input_image_size.to(torch.float32)
        scale = longest_side / torch.max(input_image_size)
        return torch.floor(scale * input_image_size + 0.5).to(torch.int64)

    def _embed_points(self, point_coords: torch.Tensor, point_labels: torch.Tensor) -> torch.Tensor:
        pe = self.prompt_encoder
        point_coords = (point_coords + 0.5) / self.img_size
        point_embedding = pe.pe_layer.pe_encoding(point_coords)
        point_labels = point_labels.unsqueeze(-1).expand_as(point_embedding)
        point_embedding = point_embedding * (point_labels != -1)
        point_embedding = point_embedding + pe.not_a_point_embed.weight * (point_labels == -1)
        for i in range(pe.num_point_embeddings):
            point_embedding = point_embedding + pe.point_embeddings[i].weight * (point_labels == i)
        return point_embedding

    def _embed_masks(self, input_mask: torch.Tensor, has_mask_input: torch.Tensor) -> torch.Tensor:
        mask_embedding = has_mask_input * self.prompt_encoder.mask_downscaling(input_mask)
        return mask_embedding + (1 - has_mask_input) * self.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1)

    def _source_on_demand(self, image_embeddings: torch.Tensor, input_mask: torch.Tensor, has_mask_input: torch.Tensor) -> torch.Tensor:
        conv_1, norm_1, _, conv_2, norm_2, _, conv_3 = self.prompt_encoder.mask_downscaling
        if norm_1.eps != norm_2.eps:
            raise ValueError("mask_downscaling's two LayerNorm2d must share eps")
        parameters = [conv_1.weight, conv_1.bias, norm_1.weight, norm_1.bias, conv_2.weight, conv_2.bias, norm_2.weight, norm_2.bias, conv_3.weight, conv_3.bias]
        return _source_with_dense_prompt(image_embeddings, input_mask, has_mask_input, self.prompt_encoder.no_mask_embed.weight, parameters, norm_1.eps)

    def mask_postprocessing(self, masks: torch.Tensor, orig_im_size: torch.Tensor) -> torch.Tensor:
        masks = F.interpolate(masks, size=(self.img_size, self.img_size), mode="bilinear", align_corners=False)
        prepadded_size = self.resize_longest_image_size(orig_im_size, self.img_size)
        masks = masks[..., : prepadded_size[0], : prepadded_size[1]]
        orig_im_size = orig_im_size.to(torch.int64)
        h, w = orig_im_size[0], orig_im_size[1]
        return F.interpolate(masks, size=(h, w), mode="bilinear", align_corners=False)

    def select_masks(self, masks: torch.Tensor, iou_preds: torch.Tensor, num_points: int):
        # Meta's reweighting: prefer the single-mask output when more than two points are given.
        score_reweight = torch.tensor([[1000] + [0] * (self.mask_decoder.num_mask_tokens - 1)])
        score = iou_preds + (num_points - 2.5) * score_reweight
        best_idx = torch.argmax(score, dim=1)
        masks = masks[torch.arange(masks.shape[0]), best_idx, :, :].unsqueeze(1)
        iou_preds = iou_preds[torch.arange(masks.shape[0]), best_idx].unsqueeze(1)
        return masks, iou_preds

    def forward(
        self,
        image_embeddings: torch.Tensor,
        point_coords: torch.Tensor,
        point_labels: torch.Tensor,
        mask_input: torch.Tensor,
        has_mask_input: torch.Tensor,
        orig_im_size: torch.Tensor,
    ):
        sparse_embedding = self._embed_points(point_coords, point_labels)
        if self.export_form:
            masks, scores = self.mask_decoder.predict_masks_from_source(
                self._source_on_demand(image_embeddings, mask_input, has_mask_input), self.prompt_encoder.get_dense_pe(), sparse_embedding
            )
        else:
            masks, scores = self.mask_decoder.predict_masks(
                image_embeddings=image_embeddings,
                image_pe=self.prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse_embedding,
                dense_prompt_embeddings=self._embed_masks(mask_input, has_mask_input),
            )
        if self.return_single_mask:
            masks, scores = self.select_masks(masks, scores, point_coords.shape[1])
        upscaled_masks = self.mask_postprocessing(masks, orig_im_size)
        return upscaled_masks, scores, masks
