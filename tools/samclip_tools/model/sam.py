"""Plain SAM (Meta's `Sam`: image_encoder, prompt_encoder, mask_decoder) and the prompt-decoder
graph that reproduces Meta's SamOnnxModel (segment_anything/utils/onnx.py) input for input."""

import torch
import torch.nn.functional as F
from torch import nn

from ..config import SamDecoderConfig, SamEncoderConfig
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


class PromptDecoder(nn.Module):
    """Meta's SamOnnxModel: the prompt encoding runs inside the graph.

    Inputs (Meta's names): image_embeddings [1,C,G,G]; point_coords [1,N,2] in the resized frame
    (longest side S); point_labels [1,N] (1 fg, 0 bg, 2/3 box corners, −1 padding point);
    mask_input [1,1,4G,4G]; has_mask_input [1]; orig_im_size [2] (h, w).
    Outputs: masks [1,K,h,w] (logits at orig_im_size), iou_predictions [1,K], low_res_masks [1,K,4G,4G].
    K = 4 (the single-mask output, then the three multimask outputs) unless return_single_mask.
    """

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
        dense_embedding = self._embed_masks(mask_input, has_mask_input)
        masks, scores = self.mask_decoder.predict_masks(
            image_embeddings=image_embeddings,
            image_pe=self.prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse_embedding,
            dense_prompt_embeddings=dense_embedding,
        )
        if self.return_single_mask:
            masks, scores = self.select_masks(masks, scores, point_coords.shape[1])
        upscaled_masks = self.mask_postprocessing(masks, orig_im_size)
        return upscaled_masks, scores, masks
