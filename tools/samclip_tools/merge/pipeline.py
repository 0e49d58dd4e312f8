"""One config file → the whole run: world, tokenizer, teachers, the merge, evaluation, export.

Everything lands under the config's `out` directory:
  data/{train,test,classify}/   the world (train in the configured layout; test sets as image folders)
  tokenizer/bpe_vocab.txt.gz    merges learned from the training captions
  state/<stage>.state.pt        training state per stage (resume), <stage>.loss.json loss curves
  checkpoints/*.pt              clip-teacher, sam-teacher, merged-stage2, merged (samclip-tools format)
  eval.json, timings.json       metrics and wall times
Re-running the same command resumes: finished stages load, an interrupted one continues.
"""

import gzip
import json
import os
import time
from typing import Any, Dict, Optional

import torch

from ..checkpoints import load_samclip_checkpoint, save_samclip_checkpoint
from ..checkpoints.loader import read_checkpoint
from ..models import ModelSet
from ..tokenizer import SimpleTokenizer, parse_merges
from .data import read_dataset, write_dataset
from .nets import build_clip_teacher, build_sam_teacher, build_student, toy_model_config
from .stages import (
    ClipTeacherObjective,
    HeadProbeObjective,
    MergeObjective,
    SamTeacherObjective,
    WorldBatches,
    clip_teacher_targets,
    set_trainable,
)
from .text import learn_caption_merges, merges_bytes, tokenize, vocab_size
from .train import Dist, StageSettings, init_distributed, train_stage
from .world import WorldConfig, classification_scene, make_scene


def load_config(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _stage_settings(section: Dict[str, Any], cfg: Dict[str, Any]) -> StageSettings:
    return StageSettings(
        steps=section["steps"],
        lr=section["lr"],
        warmup=section.get("warmup", 0),
        weight_decay=section.get("weight_decay", 0.05),
        checkpoint_every=cfg.get("checkpoint_every", 100),
        log_every=cfg.get("log_every", 25),
    )


def world_config(cfg: Dict[str, Any]) -> WorldConfig:
    w = cfg["world"]
    return WorldConfig(**{k: w[k] for k in ("image_size", "min_objects", "max_objects", "min_radius", "max_radius", "min_visible") if k in w})


def build_world(cfg: Dict[str, Any], data_dir: str, dist: Dist, log=print) -> None:
    """Writes the three datasets once (rank 0); a finished world is recognised by world.json."""
    marker = os.path.join(data_dir, "world.json")
    w = cfg["world"]
    world_cfg = world_config(cfg)
    if dist.is_main and not os.path.isfile(marker):
        seed = cfg["seed"]
        write_dataset(os.path.join(data_dir, "train"), w.get("train_layout", "sharded"), lambda i: make_scene(seed, "train", i, world_cfg), w["train"], w.get("shard_size", 512))
        test_layout = w.get("test_layout", "image-folder")
        write_dataset(os.path.join(data_dir, "test"), test_layout, lambda i: make_scene(seed, "test", i, world_cfg, num_objects=1 + i % 4), w["test"])
        write_dataset(os.path.join(data_dir, "classify"), test_layout, lambda i: classification_scene(seed, i, world_cfg)[0], w["classify"])
        with open(marker, "w", encoding="utf-8") as f:
            json.dump({"seed": seed, **w}, f, indent=2)
        log(f"world: {w['train']} train, {w['test']} test, {w['classify']} classification scenes in {data_dir}")
    dist.barrier()


def read_tokenizer(path: str) -> SimpleTokenizer:
    with open(path, "rb") as f:
        return SimpleTokenizer(parse_merges(gzip.decompress(f.read()).decode("utf-8")))


def run_pipeline(config_path: str, out: Optional[str] = None, skip_export: bool = False, log=print) -> Dict[str, Any]:
    cfg = load_config(config_path)
    out = out or cfg["out"]
    torch.set_num_threads(cfg.get("threads", 2))
    dist = init_distributed(cfg.get("device", "auto"))
    amp = cfg.get("amp", "off")
    seed = cfg["seed"]
    timings: Dict[str, float] = {}
    t_all = time.time()

    def timed(name: str, t0: float) -> None:
        timings[name] = round(time.time() - t0, 1)

    t0 = time.time()
    data_dir = os.path.join(out, "data")
    build_world(cfg, data_dir, dist, log)
    train = read_dataset(os.path.join(data_dir, "train"))
    timed("world", t0)

    # Tokenizer: merges from the training captions.
    tok_path = os.path.join(out, "tokenizer", "bpe_vocab.txt.gz")
    merges = learn_caption_merges(train.captions, cfg["tokenizer"]["max_merges"])
    if dist.is_main:
        os.makedirs(os.path.dirname(tok_path), exist_ok=True)
        with open(tok_path, "wb") as f:
            f.write(merges_bytes(merges))
    tokenizer = SimpleTokenizer(merges)
    mcfg = toy_model_config(cfg["model"], vocab_size(merges))
    ids = tokenize(tokenizer, train.captions, mcfg.clip_text.context_length)
    batches = WorldBatches(train, ids, seed, dist.device)
    state_dir = os.path.join(out, "state")
    ckpt_dir = os.path.join(out, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)
    S, R = mcfg.sam_encoder.image_size, mcfg.clip_vision.image_size
    G = mcfg.sam_encoder.grid_size

    def save(models: ModelSet, name: str) -> None:
        if dist.is_main:
            save_samclip_checkpoint(models, os.path.join(ckpt_dir, name))

    # CLIP teacher.
    t0 = time.time()
    sec = cfg["clip_teacher"]
    clip = build_clip_teacher(mcfg, seed + 11).to(dist.device)
    train_stage("clip_teacher", ClipTeacherObjective(clip), [{"params": list(clip.parameters())}],
                lambda step, rank, ws: batches.clip_batch(step, sec["batch_size"], rank, ws, R), _stage_settings(sec, cfg), dist, state_dir, amp, log=log)
    set_trainable(clip, False)
    save(ModelSet(kind="clip", config=mcfg, clip=clip), "clip-teacher.pt")
    timed("clip_teacher", t0)

    # SAM teacher.
    t0 = time.time()
    sec = cfg["sam_teacher"]
    sam = build_sam_teacher(mcfg, seed + 12).to(dist.device)
    train_stage("sam_teacher", SamTeacherObjective(sam, S), [{"params": list(sam.parameters())}],
                lambda step, rank, ws: batches.sam_batch(step, sec["images"], sec["prompts_per_image"], rank, ws, G), _stage_settings(sec, cfg), dist, state_dir, amp, log=log)
    set_trainable(sam, False)
    sam.eval()
    save(ModelSet(kind="sam", config=mcfg, sam=sam), "sam-teacher.pt")
    timed("sam_teacher", t0)

    # The merge.
    merge = cfg["merge"]
    low = merge["low_resolution"]
    t0 = time.time()
    targets = clip_teacher_targets(clip, train, R, dist.device)
    student = build_student(mcfg, sam, clip, seed + 13).to(dist.device)

    set_trainable(student, False)
    set_trainable(student.clip_head, True)
    sec = merge["stage1"]
    train_stage("stage1_head_probing", HeadProbeObjective(student), [{"params": list(student.clip_head.parameters())}],
                lambda step, rank, ws: batches.clip_batch(step, sec["batch_size"], rank, ws, low, targets), _stage_settings(sec, cfg), dist, state_dir, amp, log=log)
    timed("stage1", t0)

    t0 = time.time()
    sec = merge["stage2"]
    for part in (student.image_encoder, student.prompt_encoder, student.mask_decoder, student.clip_head):
        set_trainable(part, True)
    backbone = [p for n, p in student.image_encoder.named_parameters() if not n.startswith("neck.")]
    sam_head = list(student.image_encoder.neck.parameters()) + list(student.prompt_encoder.parameters()) + list(student.mask_decoder.parameters())
    groups = [
        {"params": list(student.clip_head.parameters())},
        {"params": backbone, "lr_scale": sec.get("backbone_lr_scale", 0.1)},
        {"params": sam_head, "lr_scale": sec.get("sam_head_lr_scale", 0.1)},
    ]
    train_stage(
        "stage2_distillation",
        MergeObjective(student, sam, merge["lambda_sam"], S, sec.get("sam_targets", "masks")),
        groups,
        lambda step, rank, ws: {
            "clip": batches.clip_batch(step, sec["clip_batch_size"], rank, ws, low, targets),
            "sam": batches.sam_batch(step, sec["sam_images"], sec["prompts_per_image"], rank, ws, G),
        },
        _stage_settings(sec, cfg),
        dist,
        state_dir,
        amp,
        log=log,
    )
    save(ModelSet(kind="sam-clip", config=mcfg, samclip=student), "merged-stage2.pt")
    timed("stage2", t0)

    t0 = time.time()
    sec = merge["resolution"]
    set_trainable(student, False)
    set_trainable(student.clip_head, True)
    train_stage("resolution_adaptation", HeadProbeObjective(student), [{"params": list(student.clip_head.parameters())}],
                lambda step, rank, ws: batches.clip_batch(step, sec["batch_size"], rank, ws, S, targets), _stage_settings(sec, cfg), dist, state_dir, amp, log=log)
    set_trainable(student, False)
    save(ModelSet(kind="sam-clip", config=mcfg, samclip=student), "merged.pt")
    timed("resolution_adaptation", t0)
    timings["train_total"] = round(time.time() - t_all, 1)

    result: Dict[str, Any] = {"out": out, "timings": timings}
    if dist.is_main:
        t0 = time.time()
        result["eval"] = evaluate_run(out, config_path, log=log)
        timed("evaluate", t0)
        if cfg.get("export") and not skip_export:
            t0 = time.time()
            export_merged(out, cfg, log=log)
            timed("export", t0)
        timings["total"] = round(time.time() - t_all, 1)
        with open(os.path.join(out, "timings.json"), "w", encoding="utf-8") as f:
            json.dump(timings, f, indent=2)
        log(f"timings (s): {json.dumps(timings)}")
    dist.barrier()
    return result


def load_run_models(out: str) -> Dict[str, Any]:
    ckpt = os.path.join(out, "checkpoints")
    models = {
        "clip_teacher": load_samclip_checkpoint(read_checkpoint(os.path.join(ckpt, "clip-teacher.pt"))).clip,
        "sam_teacher": load_samclip_checkpoint(read_checkpoint(os.path.join(ckpt, "sam-teacher.pt"))).sam,
    }
    stage2 = os.path.join(ckpt, "merged-stage2.pt")
    if os.path.isfile(stage2):
        models["merged_stage2"] = load_samclip_checkpoint(read_checkpoint(stage2)).samclip
    merged = load_samclip_checkpoint(read_checkpoint(os.path.join(ckpt, "merged.pt")))
    models["merged"] = merged.samclip
    return {"models": models, "config": merged.config}


def evaluate_run(out: str, config_path: str, log=print) -> Dict[str, Any]:
    """Evaluates a finished run's checkpoints on its test sets; writes out/eval.json."""
    from .evaluate import evaluate_all

    loaded = load_run_models(out)
    tokenizer = read_tokenizer(os.path.join(out, "tokenizer", "bpe_vocab.txt.gz"))
    test = read_dataset(os.path.join(out, "data", "test"))
    classify = read_dataset(os.path.join(out, "data", "classify"))
    t0 = time.time()
    metrics = evaluate_all(loaded["models"], tokenizer, test, classify, loaded["config"], log=log)
    metrics["test_set"] = {"scenes": len(test), "classification_images": len(classify), "config": os.path.relpath(config_path)}
    metrics["eval_seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(out, "eval.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
    return metrics


def export_merged(out: str, cfg: Dict[str, Any], log=print) -> str:
    """The merged checkpoint as a sam-clip bundle (samclip_tools.export), with the caption
    tokenizer and one test scene (samples/scene.png + samples/scene.json) beside it."""
    from PIL import Image

    from ..export import export_bundle

    exp = cfg["export"]
    target = exp["out"]
    models = load_samclip_checkpoint(read_checkpoint(os.path.join(out, "checkpoints", "merged.pt")))
    vocab = os.path.join(out, "tokenizer", "bpe_vocab.txt.gz")
    export_bundle(models, target, name=exp.get("name", "toy-samclip"), source={"checkpoint": "merged.pt", "config": cfg["name"], "seed": cfg["seed"], "recipe": "samclip_tools.merge"},
                  seed=cfg["seed"], vocab_path=vocab, log=lambda *_: None)
    samples = os.path.join(target, "samples")
    os.makedirs(samples, exist_ok=True)
    scene = make_scene(cfg["seed"], "test", 0, world_config(cfg), num_objects=3)
    Image.fromarray(scene["image"]).save(os.path.join(samples, "scene.png"))
    Image.fromarray(scene["instances"]).save(os.path.join(samples, "scene-instances.png"))
    with open(os.path.join(samples, "scene.json"), "w", encoding="utf-8") as f:
        json.dump({"caption": scene["caption"], "objects": scene["objects"], "texture": scene["texture"]}, f, indent=2)
    log(f"exported the merged model to {target}")
    return target
