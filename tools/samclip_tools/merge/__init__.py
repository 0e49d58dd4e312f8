"""The SAM-CLIP merge recipe on a seeded synthetic world.

world      scenes of coloured shapes on textured backgrounds, captions and instance masks
data       image-folder and sharded datasets over those scenes, rank-aware batching
text       the caption tokenizer (CLIP byte-level BPE with merges learned from the captions)
nets       the toy architecture, the teachers and the student, multi-resolution backbone forward
prompts    SAM prompts (points, boxes, coarse masks) and batched prompt decoding
losses     contrastive, cosine distillation, focal and dice
train      the training loop: DDP (torchrun), mixed precision on GPUs, checkpoints and resume
stages     CLIP teacher, SAM teacher, stage I head probing, stage II distillation, resolution adaptation
evaluate   zero-shot classification, point/box mIoU, zero-shot semantic segmentation (± SAM refinement)
pipeline   one config file → the whole run; `python -m samclip_tools.merge --config FILE`
"""
