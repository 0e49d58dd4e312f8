"""Losses of the recipe: CLIP's contrastive loss (teacher), cosine distillation (L_CLIP), and SAM's
focal + dice mask loss at SAM's 20:1 ratio (L_SAM, and the SAM teacher's supervised loss)."""

import torch
import torch.nn.functional as F

FOCAL_WEIGHT = 20.0


def contrastive(image_embeds: torch.Tensor, text_embeds: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE over the batch (captions are the positives of their own images)."""
    logits = logit_scale * F.normalize(image_embeds, dim=-1) @ F.normalize(text_embeds, dim=-1).t()
    target = torch.arange(logits.shape[0], device=logits.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def cosine_distill(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean of 1 − cos(student, teacher) over the batch."""
    return (1 - F.cosine_similarity(student.float(), teacher.float(), dim=-1)).mean()


def focal(logits: torch.Tensor, target: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """Sigmoid focal loss per mask (mean over pixels): logits and target [..., H, W] → [...]."""
    logits, target = logits.float(), target.float()
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return loss.flatten(-2).mean(-1)


def dice(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 − soft Dice per mask: [..., H, W] → [...]."""
    p = torch.sigmoid(logits.float()).flatten(-2)
    t = target.float().flatten(-2)
    return 1 - (2 * (p * t).sum(-1) + 1) / (p.sum(-1) + t.sum(-1) + 1)


def mask_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SAM's mask loss per mask, 20·focal + dice."""
    return FOCAL_WEIGHT * focal(logits, target) + dice(logits, target)


def mask_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU of (logits > 0) with a binary target, per mask."""
    pred = (logits > 0).flatten(-2)
    t = target.bool().flatten(-2)
    inter = (pred & t).sum(-1).float()
    union = (pred | t).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(inter))
