"""The training loop every stage shares: DistributedDataParallel when launched by torchrun (gloo on
CPU, NCCL on GPUs), autocast on GPUs only, AdamW with warm-up + cosine, checkpoints and resume.

A stage is an `objective` module whose forward(batch) returns (loss, logs) for this process's
share of the global batch, and a `batch_at(step, rank, world_size)` function. Batches and prompts
are functions of the step, so a resumed run continues exactly where the interrupted one stopped,
and N processes see the same global batch as one.
"""

import contextlib
import json
import os
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.distributed as torch_dist
from torch import nn

from .nets import cosine_lr


@dataclass
class Dist:
    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world_size > 1:
            torch_dist.barrier()

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of a scalar over processes."""
        if self.world_size == 1:
            return value
        value = value.detach().clone()
        torch_dist.all_reduce(value)
        return value / self.world_size


def init_distributed(device: str = "auto") -> Dist:
    """Reads torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK); a plain launch is one process."""
    use_cuda = torch.cuda.is_available() if device == "auto" else device == "cuda"
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world_size > 1 and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return Dist(rank=rank, world_size=world_size, device=dev)


def autocast(dist: Dist, amp: str):
    """Mixed precision on CUDA only ("bf16" or "fp16"); CPU training stays fp32."""
    if amp == "off" or dist.device.type != "cuda":
        return contextlib.nullcontext()
    if amp not in ("bf16", "fp16"):
        raise ValueError(f"amp must be 'off', 'bf16' or 'fp16', got {amp!r}")
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


@dataclass
class StageSettings:
    steps: int
    lr: float
    warmup: int = 0
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    checkpoint_every: int = 100
    log_every: int = 25


def _save_atomic(obj: Dict, path: str) -> None:
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_stage(
    name: str,
    objective: nn.Module,
    param_groups: Sequence[Dict],
    batch_at: Callable[[int, int, int], Dict],
    settings: StageSettings,
    dist: Dist,
    state_dir: str,
    amp: str = "off",
    stop_after: Optional[int] = None,
    log: Callable[[str], None] = print,
) -> List[float]:
    """Trains `objective` for settings.steps steps (resuming from state_dir/<name>.state.pt when it
    exists) and returns the loss curve (the global-batch mean per step). `stop_after` ends the run
    early after that many steps, leaving a checkpoint, as an interruption would."""
    os.makedirs(state_dir, exist_ok=True)
    state_path = os.path.join(state_dir, f"{name}.state.pt")
    groups = [dict(g, base_lr=settings.lr * g.get("lr_scale", 1.0)) for g in param_groups]
    optimizer = torch.optim.AdamW([{"params": g["params"], "lr": g["base_lr"]} for g in groups], lr=settings.lr, weight_decay=settings.weight_decay, betas=(0.9, 0.98))
    scaler = torch.cuda.amp.GradScaler(enabled=amp == "fp16" and dist.device.type == "cuda")
    start, history = 0, []
    if os.path.isfile(state_path):
        state = torch.load(state_path, map_location=dist.device)
        objective.load_state_dict(state["objective"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        start, history = state["step"], list(state["history"])
        log(f"[{name}] resuming at step {start}/{settings.steps}")
    model: nn.Module = objective
    if dist.world_size > 1:
        model = nn.parallel.DistributedDataParallel(objective, device_ids=[dist.device.index] if dist.device.type == "cuda" else None)
    model.train()
    params = [p for g in groups for p in g["params"]]
    t0 = time.time()

    def checkpoint(step: int) -> None:
        if dist.is_main:
            _save_atomic({"step": step, "objective": objective.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "history": history}, state_path)
        dist.barrier()

    end = settings.steps if stop_after is None else min(settings.steps, stop_after)
    for step in range(start, end):
        scale = cosine_lr(step, settings.steps, settings.warmup)
        for g, pg in zip(groups, optimizer.param_groups):
            pg["lr"] = g["base_lr"] * scale
        batch = batch_at(step, dist.rank, dist.world_size)
        with autocast(dist, amp):
            loss, logs = model(batch)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if settings.grad_clip > 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
        scaler.step(optimizer)
        scaler.update()
        value = float(dist.mean(loss.detach().float()))
        history.append(value)
        if step % settings.log_every == 0 or step == settings.steps - 1:
            parts = " ".join(f"{k}={float(dist.mean(v.detach().float())):.4f}" for k, v in logs.items())
            if dist.is_main:
                log(f"[{name}] step {step + 1}/{settings.steps} loss={value:.4f} {parts} lr={settings.lr * scale:.2e} {time.time() - t0:.0f}s")
        if (step + 1) % settings.checkpoint_every == 0 or step + 1 == end:
            checkpoint(step + 1)
    if dist.is_main:
        with open(os.path.join(state_dir, f"{name}.loss.json"), "w", encoding="utf-8") as f:
            json.dump(history, f)
    return history
