"""The stages of the pipeline as objectives and batch builders for train.train_stage.

CLIP teacher   contrastive image–caption training of an OpenClip (in-batch negatives per process)
SAM teacher    promptable masks from world instances: points (best of the 3 multimask outputs),
               boxes and coarse-mask + points prompts (single-mask output), plus the IoU head
stage I        head probing: the SAM-initialised backbone frozen, the CLIP head trained by cosine
               distillation to the CLIP teacher's image embeddings (low resolution)
stage II       multi-task distillation: L = L_CLIP + λ·L_SAM, L_SAM = focal + dice (20:1) between
               student and frozen SAM teacher masks (the output SAM answers the prompt with),
               + IoU-prediction MSE, SAM data in every step,
               backbone and SAM head at a fraction (0.1×) of the CLIP head's learning rate
resolution     the CLIP head alone, cosine distillation at the SAM input resolution
"""

from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..model import OpenClip, Sam, SamClip
from .data import SceneSet, global_batch, rank_slice
from .losses import contrastive, cosine_distill, mask_iou, mask_loss
from .nets import backbone_features, clip_head_forward, clip_pixels, logit_scale_of, resize_pixels, sam_pixels
from .prompts import decode, kind_at, sample_prompts, upscale


def set_trainable(module: nn.Module, flag: bool) -> None:
    for p in module.parameters():
        p.requires_grad_(flag)


class WorldBatches:
    """Global batches over a training SceneSet, split by rank; everything a function of the step."""

    def __init__(self, scenes: SceneSet, ids: torch.Tensor, seed: int, device: torch.device) -> None:
        self.scenes = scenes
        self.ids = ids
        self.seed = seed
        self.device = device
        self.with_objects = np.asarray([i for i, objs in enumerate(scenes.objects) if objs], dtype=np.int64)
        self.image_size = scenes.images.shape[-1]

    def scene_indices(self, step: int, batch_size: int, rank: int, world_size: int, stream: int) -> np.ndarray:
        return rank_slice(global_batch(step, batch_size, len(self.scenes), self.seed * 1000 + stream), rank, world_size)

    def clip_batch(self, step: int, batch_size: int, rank: int, world_size: int, resolution: int, targets: torch.Tensor = None) -> Dict:
        """CLIP-side data: teacher-format pixels + captions, or student pixels + teacher targets."""
        idx = self.scene_indices(step, batch_size, rank, world_size, stream=1)
        images = self.scenes.images[idx].to(self.device)
        if targets is None:
            return {"pixels": clip_pixels(images, resolution), "ids": self.ids[idx].to(self.device)}
        return {"pixels": resize_pixels(sam_pixels(images), resolution), "target": targets[idx].to(self.device)}

    def sam_batch(self, step: int, images: int, prompts_per_image: int, rank: int, world_size: int, grid: int) -> Dict:
        """SAM-side data: `images` scenes with objects, `prompts_per_image` prompted instances each
        (the image encoder runs once per scene), the prompt kind fixed per step."""
        scene_idx = rank_slice(global_batch(step, images, len(self.with_objects), self.seed * 1000 + 2), rank, world_size)
        scene_idx = self.with_objects[scene_idx]
        kind, num_points = kind_at(step)
        rows, instance_ids, rngs = [], [], []
        for j, scene in enumerate(scene_idx):
            for p in range(prompts_per_image):
                rng = np.random.default_rng([self.seed, 7, step, int(scene), p])
                instance_ids.append(int(rng.integers(1, len(self.scenes.objects[scene]) + 1)))
                rows.append(j)
                rngs.append(rng)
        image_index = torch.tensor(rows)
        per_prompt_scene = torch.from_numpy(scene_idx)[image_index]
        masks = self.scenes.instances[per_prompt_scene] == torch.tensor(instance_ids, dtype=torch.uint8)[:, None, None]
        boxes = torch.tensor([self.scenes.objects[int(s)][k - 1]["box"] for s, k in zip(per_prompt_scene, instance_ids)], dtype=torch.float32)
        coords, labels, mask_input = sample_prompts(masks, boxes, kind, num_points, grid, rngs)
        dev = self.device
        return {
            "pixels": sam_pixels(self.scenes.images[torch.from_numpy(scene_idx)].to(dev)),
            "image_index": image_index.to(dev),
            "coords": coords.to(dev),
            "labels": labels.to(dev),
            "mask_input": None if mask_input is None else mask_input.to(dev),
            "target": masks.to(dev),
            "kind": kind,
        }


def _prompt_decode(model: nn.Module, embeddings: torch.Tensor, batch: Dict, image_size: int):
    return decode(model.prompt_encoder, model.mask_decoder, embeddings, batch["coords"], batch["labels"], batch["mask_input"], image_size)


class ClipTeacherObjective(nn.Module):
    def __init__(self, clip: OpenClip) -> None:
        super().__init__()
        self.clip = clip

    def forward(self, batch: Dict):
        image_embeds, _ = self.clip.visual(batch["pixels"])
        text_embeds = self.clip.encode_text(batch["ids"])
        scale = logit_scale_of(self.clip)
        return contrastive(image_embeds, text_embeds, scale), {"scale": scale}


class SamTeacherObjective(nn.Module):
    def __init__(self, sam: Sam, image_size: int) -> None:
        super().__init__()
        self.sam = sam
        self.image_size = image_size

    def forward(self, batch: Dict):
        embeddings = self.sam.image_encoder(batch["pixels"])[batch["image_index"]]
        low_res, iou_pred = _prompt_decode(self.sam, embeddings, batch, self.image_size)
        logits = upscale(low_res, self.image_size)
        target = batch["target"][:, None].expand_as(logits)
        per_mask = mask_loss(logits, target)  # [B, 4]
        iou_true = mask_iou(logits.detach(), target)
        outputs = slice(1, 4) if batch["kind"] == "point" else slice(0, 1)
        # Ambiguity-aware: only the best of the multimask outputs learns from a single point.
        loss_mask = per_mask[:, outputs].min(dim=1).values.mean()
        loss_iou = F.mse_loss(iou_pred[:, outputs], iou_true[:, outputs])
        return loss_mask + loss_iou, {"mask": loss_mask, "iou": loss_iou, "miou": iou_true[:, outputs].max(dim=1).values.mean()}


class HeadProbeObjective(nn.Module):
    """Stage I and resolution adaptation: the backbone frozen, the CLIP head distilled."""

    def __init__(self, student: SamClip) -> None:
        super().__init__()
        self.student = student

    def forward(self, batch: Dict):
        with torch.no_grad():
            features = backbone_features(self.student.image_encoder, batch["pixels"])
        pooled, _ = clip_head_forward(self.student.clip_head, features)
        loss = cosine_distill(pooled, batch["target"])
        return loss, {"cos": 1 - loss.detach()}


class MergeObjective(nn.Module):
    """Stage II: L = L_CLIP + λ·L_SAM on one CLIP batch and one SAM batch per step."""

    def __init__(self, student: SamClip, sam_teacher: Sam, lam: float, image_size: int, sam_targets: str = "masks") -> None:
        super().__init__()
        if sam_targets not in ("masks", "probabilities"):
            raise ValueError(f"sam_targets must be 'masks' or 'probabilities', not {sam_targets!r}")
        self.student = student
        self.sam_teacher = sam_teacher
        self.lam = lam
        self.image_size = image_size
        self.sam_targets = sam_targets

    def forward(self, batch: Dict):
        clip, sam = batch["clip"], batch["sam"]
        pooled, _ = clip_head_forward(self.student.clip_head, backbone_features(self.student.image_encoder, clip["pixels"]))
        loss_clip = cosine_distill(pooled, clip["target"])
        low_res, iou_pred = _prompt_decode(self.student, self.student.image_encoder(sam["pixels"])[sam["image_index"]], sam, self.image_size)
        with torch.no_grad():
            t_low, t_iou = _prompt_decode(self.sam_teacher, self.sam_teacher.image_encoder(sam["pixels"])[sam["image_index"]], sam, self.image_size)
        # Distil the mask SAM answers with: for a single point the teacher's best multimask output
        # (by its predicted IoU; the other two were never trained towards anything), otherwise the
        # single-mask output. The IoU head follows the teacher's on the outputs of this kind.
        rows = torch.arange(low_res.shape[0], device=low_res.device)
        if sam["kind"] == "point":
            chosen = 1 + t_iou[:, 1:].argmax(dim=1)
            iou_outputs = slice(1, 4)
        else:
            chosen = torch.zeros_like(rows)
            iou_outputs = slice(0, 1)
        # "masks": the teacher's thresholded masks (the paper's pseudo-labels); "probabilities": its
        # sigmoid, so that a student that already answers like the teacher gets no push towards
        # masks sharper than the teacher's (which degrades the SAM head of a weak teacher).
        chosen_logits = t_low[rows, chosen]
        target = torch.sigmoid(chosen_logits.float()) if self.sam_targets == "probabilities" else (chosen_logits > 0).float()
        target = target.to(low_res.dtype)
        loss_sam = mask_loss(low_res[rows, chosen], target).mean() + F.mse_loss(iou_pred[:, iou_outputs].float(), t_iou[:, iou_outputs].float())
        return loss_clip + self.lam * loss_sam, {"clip": loss_clip, "sam": loss_sam}


@torch.no_grad()
def clip_teacher_targets(clip: OpenClip, scenes: SceneSet, resolution: int, device: torch.device, chunk: int = 256) -> torch.Tensor:
    """The CLIP teacher's image embeddings of every scene (the distillation targets)."""
    clip.eval()
    out: List[torch.Tensor] = []
    for i in range(0, len(scenes), chunk):
        pixels = clip_pixels(scenes.images[i : i + chunk].to(device), resolution)
        out.append(clip.visual(pixels)[0].float().cpu())
    return torch.cat(out)
