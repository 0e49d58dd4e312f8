"""Reference tensors as serialized ONNX TensorProto, and the task-level references (tasks.json).

Task references run the PyTorch pipelines the way Meta's SamPredictor and CLIP do — prompt encoder
and mask decoder called natively, not through the exported prompt-decoder wrapper — so they also
check that the wrapper reproduces SAM.
"""

from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from onnx import numpy_helper

from ..model.mask_decoder import MaskDecoder
from ..model.prompt_encoder import PromptEncoder
from ..preprocess import sam_resized_size


def tensor_pb(array: np.ndarray, name: str) -> bytes:
    return numpy_helper.from_array(np.ascontiguousarray(array), name=name).SerializeToString()


def decoder_prompt_inputs(
    points: Optional[Sequence[Sequence[float]]],
    labels: Optional[Sequence[int]],
    box: Optional[Sequence[float]],
    orig_hw: Tuple[int, int],
    size: int,
) -> Tuple[np.ndarray, np.ndarray]:
    """What the SDK feeds point_coords/point_labels: points and box corners (labels 2, 3) scaled
    into the resized frame; a padding point (0, 0, −1) when there is no box, as SamPredictor does."""
    parts = [_to_resized_frame(points, orig_hw, size)] if points else []
    labs = [float(v) for v in labels or []]
    if box is not None:
        parts.append(_to_resized_frame(box, orig_hw, size))
        labs += [2.0, 3.0]
    else:
        parts.append(np.zeros((1, 2), dtype=np.float32))
        labs.append(-1.0)
    return np.concatenate(parts)[None], np.asarray([labs], dtype=np.float32)


def _to_resized_frame(xy: np.ndarray, orig_hw: Tuple[int, int], size: int) -> np.ndarray:
    """ResizeLongestSide.apply_coords: float64 arithmetic, then float32 as SamPredictor feeds torch."""
    h, w = orig_hw
    nh, nw = sam_resized_size(h, w, size)
    out = np.array(xy, dtype=np.float64).reshape(-1, 2)
    out[:, 0] *= nw / w
    out[:, 1] *= nh / h
    return out.astype(np.float32)


@torch.no_grad()
def sam_predict(
    prompt_encoder: PromptEncoder,
    mask_decoder: MaskDecoder,
    image_embeddings: torch.Tensor,
    size: int,
    orig_hw: Tuple[int, int],
    points: Optional[Sequence[Sequence[float]]],
    labels: Optional[Sequence[int]],
    box: Optional[Sequence[float]],
    mask_input: Optional[np.ndarray],
    multimask: bool,
) -> Dict[str, np.ndarray]:
    """SamPredictor.predict: coordinates transformed to the resized frame, prompt encoder, mask
    decoder (masks 1..3 if multimask else mask 0), postprocess_masks, threshold at 0. Runs in the
    modules' dtype; results come back as float32 (masks as uint8 0/1)."""
    dtype = prompt_encoder.no_mask_embed.weight.dtype
    h, w = orig_hw
    nh, nw = sam_resized_size(h, w, size)
    pts = None
    if points is not None:
        coords = torch.from_numpy(_to_resized_frame(points, orig_hw, size))[None].to(dtype)
        pts = (coords, torch.tensor([labels], dtype=dtype))
    boxes = None
    if box is not None:
        boxes = torch.from_numpy(_to_resized_frame(box, orig_hw, size)).reshape(1, 4).to(dtype)
    masks_in = torch.from_numpy(mask_input).to(dtype) if mask_input is not None else None
    sparse, dense = prompt_encoder(points=pts, boxes=boxes, masks=masks_in)
    low_res, iou = mask_decoder(image_embeddings.to(dtype), prompt_encoder.get_dense_pe(), sparse, dense, multimask_output=multimask)
    up = F.interpolate(low_res, (size, size), mode="bilinear", align_corners=False)[..., :nh, :nw]
    up = F.interpolate(up, (h, w), mode="bilinear", align_corners=False)
    return {
        "masks": (up[0] > 0.0).numpy().astype(np.uint8),
        "iou": iou[0].float().numpy(),
        "low_res": low_res[0].float().numpy(),
    }


def cosine_softmax(image_embeds: np.ndarray, text_embeds: np.ndarray, logit_scale: float) -> Tuple[np.ndarray, np.ndarray]:
    img = torch.from_numpy(image_embeds).double()
    txt = torch.from_numpy(text_embeds).double()
    img = img / img.norm(dim=-1, keepdim=True)
    txt = txt / txt.norm(dim=-1, keepdim=True)
    logits = logit_scale * (img @ txt.T)
    return logits.numpy(), logits.softmax(dim=-1).numpy()
