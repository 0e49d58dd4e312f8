"""A few stage II steps on a tiny world, for the distributed-equivalence and resume tests.

  python -m samclip_tools.merge.ddp_check LOSSES.json STATE_DIR [STEPS]
  python -m torch.distributed.run --standalone --nproc_per_node 2 -m samclip_tools.merge.ddp_check ...

The global batch is the same however many processes share it, so the loss curve written by rank 0
must match between 1 process and N (up to floating-point reduction order).
"""

import json
import sys
from typing import Callable, Dict, List, Tuple

import torch

from .data import _stack
from .nets import build_clip_teacher, build_sam_teacher, build_student, toy_model_config
from .stages import MergeObjective, WorldBatches, clip_teacher_targets, set_trainable
from .text import learn_caption_merges, tokenize, vocab_size
from .train import Dist, StageSettings, init_distributed, train_stage
from .world import WorldConfig, make_scene
from ..tokenizer import SimpleTokenizer

SMOKE_MODEL = {
    "name": "ddp-check",
    "sam_encoder": {"image_size": 32, "patch_size": 8, "width": 32, "depth": 2, "heads": 2, "window_size": 2, "global_attn_indexes": [1], "out_chans": 16},
    "sam_decoder": {"transformer_depth": 1, "transformer_heads": 2, "transformer_mlp_dim": 32, "iou_head_hidden_dim": 16, "mask_in_chans": 4},
    "clip_head": {"depth": 1, "heads": 2, "mlp_hidden_dim": 32, "embed_dim": 32},
    "text": {"width": 32, "layers": 1, "heads": 2, "embed_dim": 32, "context_length": 24},
    "clip_vision": {"image_size": 24, "patch_size": 8, "width": 32, "layers": 1, "heads": 2, "embed_dim": 32},
}
CLIP_BATCH = 8
SAM_IMAGES = 4
PROMPTS_PER_IMAGE = 2


def stage2_setup(dist: Dist, seed: int = 0) -> Tuple[MergeObjective, List[Dict], Callable[[int, int, int], Dict]]:
    """A stage II objective (random teachers, student initialised from them), its parameter groups
    at the recipe's LR scales, and its batch function."""
    scenes = _stack([make_scene(seed, "train", i, WorldConfig(image_size=32, min_radius=5.0, max_radius=9.0, max_objects=3)) for i in range(48)])
    merges = learn_caption_merges(scenes.captions, 200)
    cfg = toy_model_config(SMOKE_MODEL, vocab_size(merges))
    ids = tokenize(SimpleTokenizer(merges), scenes.captions, cfg.clip_text.context_length)
    clip = build_clip_teacher(cfg, seed + 1)
    sam = build_sam_teacher(cfg, seed + 2)
    set_trainable(clip, False)
    set_trainable(sam, False)
    student = build_student(cfg, sam, clip, seed + 3)
    set_trainable(student, False)
    for part in (student.image_encoder, student.prompt_encoder, student.mask_decoder, student.clip_head):
        set_trainable(part, True)
    targets = clip_teacher_targets(clip, scenes, cfg.clip_vision.image_size, dist.device)
    batches = WorldBatches(scenes, ids, seed, dist.device)
    backbone = [p for n, p in student.image_encoder.named_parameters() if not n.startswith("neck.")]
    sam_head = list(student.image_encoder.neck.parameters()) + list(student.prompt_encoder.parameters()) + list(student.mask_decoder.parameters())
    groups = [{"params": list(student.clip_head.parameters())}, {"params": backbone, "lr_scale": 0.1}, {"params": sam_head, "lr_scale": 0.1}]
    G = cfg.sam_encoder.grid_size

    def batch_at(step: int, rank: int, world_size: int) -> Dict:
        return {
            "clip": batches.clip_batch(step, CLIP_BATCH, rank, world_size, 24, targets),
            "sam": batches.sam_batch(step, SAM_IMAGES, PROMPTS_PER_IMAGE, rank, world_size, G),
        }

    return MergeObjective(student, sam, 10.0, cfg.sam_encoder.image_size), groups, batch_at


def settings(steps: int) -> StageSettings:
    return StageSettings(steps=steps, lr=1e-3, warmup=1, checkpoint_every=2, log_every=1000)


def main(argv: List[str]) -> int:
    losses_path, state_dir = argv[0], argv[1]
    steps = int(argv[2]) if len(argv) > 2 else 4
    torch.set_num_threads(1)
    dist = init_distributed("cpu")
    objective, groups, batch_at = stage2_setup(dist)
    history = train_stage("ddp_check", objective, groups, batch_at, settings(steps), dist, state_dir, log=lambda *_: None)
    if dist.is_main:
        with open(losses_path, "w", encoding="utf-8") as f:
            json.dump({"world_size": dist.world_size, "losses": history}, f)
    if dist.world_size > 1:
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
