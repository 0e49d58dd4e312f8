"""Reference tensors as serialized ONNX TensorProto, and the task-level references (tasks.json).

Task references run the PyTorch pipelines the way Meta's SamPredictor and CLIP do — prompt encoder
and mask decoder called natively, not through the exported prompt-decoder wrapper — so they also
check that the wrapper reproduces SAM.
"""

from typing import Dict, List, Optional, Sequence, Tuple

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
    h, w = orig_hw
    nh, nw = sam_resized_size(h, w, size)
    sx, sy = nw / w, nh / h
    coords: List[List[float]] = []
    labs: List[float] = []
    for (x, y), lab in zip(points or [], labels or []):
        coords.append([x * sx, y * sy])
        labs.append(float(lab))
    if box is not None:
        coords += [[box[0] * sx, box[1] * sy], [box[2] * sx, box[3] * sy]]
        labs += [2.0, 3.0]
    else:
        coords.append([0.0, 0.0])
        labs.append(-1.0)
    return np.asarray([coords], dtype=np.float32), np.asarray([labs], dtype=np.float32)


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
    decoder (masks 1..3 if multimask else mask 0), postprocess_masks, threshold at 0."""
    h, w = orig_hw
    nh, nw = sam_resized_size(h, w, size)
    pts = None
    if points is not None:
        c = torch.tensor(points, dtype=torch.float32)[None].clone()
        c[..., 0] *= nw / w
        c[..., 1] *= nh / h
        pts = (c, torch.tensor(labels, dtype=torch.float32)[None])
    boxes = None
    if box is not None:
        b = torch.tensor(box, dtype=torch.float32).reshape(1, 2, 2).clone()
        b[..., 0] *= nw / w
        b[..., 1] *= nh / h
        boxes = b.reshape(1, 4)
    masks_in = torch.from_numpy(mask_input) if mask_input is not None else None
    sparse, dense = prompt_encoder(points=pts, boxes=boxes, masks=masks_in)
    low_res, iou = mask_decoder(image_embeddings, prompt_encoder.get_dense_pe(), sparse, dense, multimask_output=multimask)
    up = F.interpolate(low_res, (size, size), mode="bilinear", align_corners=False)[..., :nh, :nw]
    up = F.interpolate(up, (h, w), mode="bilinear", align_corners=False)
    return {
        "masks": (up[0] > 0.0).numpy().astype(np.uint8),
        "logits": up[0].numpy(),
        "iou": iou[0].numpy(),
        "low_res": low_res[0].numpy(),
    }


def cosine_softmax(image_embeds: np.ndarray, text_embeds: np.ndarray, logit_scale: float) -> Tuple[np.ndarray, np.ndarray]:
    img = torch.from_numpy(image_embeds).double()
    txt = torch.from_numpy(text_embeds).double()
    img = img / img.norm(dim=-1, keepdim=True)
    txt = txt / txt.norm(dim=-1, keepdim=True)
    logits = logit_scale * (img @ txt.T)
    return logits.numpy(), logits.softmax(dim=-1).numpy()
