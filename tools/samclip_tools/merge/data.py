"""Datasets of scenes in two on-disk layouts, and rank-aware batching.

image folder  ROOT/images/NNNNNN.png, ROOT/instances/NNNNNN.png (8-bit instance ids) and
              ROOT/annotations.jsonl ({"file", "instances", "caption", "objects"} per line)
sharded       ROOT/shard-NNNNN.npz holding images [n,S,S,3] u8, instances [n,S,S] u8 and meta
              (UTF-8 JSON list of {"caption", "objects"}), plus ROOT/index.json {"shards": [sizes]}

Both read back as a `SceneSet`: every scene in memory as tensors, since the world is small; the
sharded reader also pages shard by shard for sets that do not fit (`ShardedDataset`).
"""

import json
import os
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Sequence

import numpy as np
import torch
from PIL import Image


@dataclass
class SceneSet:
    images: torch.Tensor  # uint8 [N, 3, S, S]
    instances: torch.Tensor  # uint8 [N, S, S]
    captions: List[str]
    objects: List[List[Dict]]

    def __len__(self) -> int:
        return len(self.captions)


def _stack(scenes: Sequence[Dict]) -> SceneSet:
    return SceneSet(
        images=torch.from_numpy(np.stack([s["image"] for s in scenes])).permute(0, 3, 1, 2).contiguous(),
        instances=torch.from_numpy(np.stack([s["instances"] for s in scenes])),
        captions=[s["caption"] for s in scenes],
        objects=[s["objects"] for s in scenes],
    )


def write_image_folder(root: str, scenes: Iterable[Dict]) -> int:
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    os.makedirs(os.path.join(root, "instances"), exist_ok=True)
    count = 0
    with open(os.path.join(root, "annotations.jsonl"), "w", encoding="utf-8") as f:
        for i, s in enumerate(scenes):
            name = f"{i:06d}.png"
            Image.fromarray(s["image"]).save(os.path.join(root, "images", name))
            Image.fromarray(s["instances"]).save(os.path.join(root, "instances", name))
            f.write(json.dumps({"file": f"images/{name}", "instances": f"instances/{name}", "caption": s["caption"], "objects": s["objects"]}) + "\n")
            count = i + 1
    return count


def read_image_folder(root: str) -> SceneSet:
    path = os.path.join(root, "annotations.jsonl")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{root} is not an image-folder dataset: {path} is missing")
    scenes = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            image = np.asarray(Image.open(os.path.join(root, row["file"])).convert("RGB"))
            instances = np.asarray(Image.open(os.path.join(root, row["instances"])))
            scenes.append({"image": image, "instances": instances, "caption": row["caption"], "objects": row["objects"]})
    return _stack(scenes)


def write_shards(root: str, scenes: Iterable[Dict], shard_size: int) -> List[int]:
    os.makedirs(root, exist_ok=True)
    sizes: List[int] = []
    buffer: List[Dict] = []

    def flush() -> None:
        meta = json.dumps([{"caption": s["caption"], "objects": s["objects"]} for s in buffer]).encode("utf-8")
        np.savez(
            os.path.join(root, f"shard-{len(sizes):05d}.npz"),
            images=np.stack([s["image"] for s in buffer]),
            instances=np.stack([s["instances"] for s in buffer]),
            meta=np.frombuffer(meta, dtype=np.uint8),
        )
        sizes.append(len(buffer))
        buffer.clear()

    for s in scenes:
        buffer.append(s)
        if len(buffer) == shard_size:
            flush()
    if buffer:
        flush()
    with open(os.path.join(root, "index.json"), "w", encoding="utf-8") as f:
        json.dump({"shards": sizes}, f)
    return sizes


class ShardedDataset:
    """Random access over shards, keeping the last shard read in memory."""

    def __init__(self, root: str) -> None:
        index = os.path.join(root, "index.json")
        if not os.path.isfile(index):
            raise FileNotFoundError(f"{root} is not a sharded dataset: {index} is missing")
        with open(index, encoding="utf-8") as f:
            self.sizes: List[int] = json.load(f)["shards"]
        self.root = root
        self.offsets = np.cumsum([0] + self.sizes)
        self._cached = (-1, None)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def _shard(self, k: int) -> Dict:
        if self._cached[0] != k:
            with np.load(os.path.join(self.root, f"shard-{k:05d}.npz")) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                self._cached = (k, {"images": z["images"], "instances": z["instances"], "meta": meta})
        return self._cached[1]

    def __getitem__(self, i: int) -> Dict:
        if not 0 <= i < len(self):
            raise IndexError(f"scene {i} is outside this dataset of {len(self)}")
        k = int(np.searchsorted(self.offsets, i, side="right") - 1)
        shard = self._shard(k)
        j = i - int(self.offsets[k])
        return {"image": shard["images"][j], "instances": shard["instances"][j], **shard["meta"][j]}

    def materialize(self) -> SceneSet:
        return _stack([self[i] for i in range(len(self))])


def read_dataset(root: str) -> SceneSet:
    """Either layout, recognised by its index file."""
    if os.path.isfile(os.path.join(root, "index.json")):
        return ShardedDataset(root).materialize()
    return read_image_folder(root)


def write_dataset(root: str, layout: str, make: Callable[[int], Dict], count: int, shard_size: int = 512) -> None:
    scenes = (make(i) for i in range(count))
    if layout == "sharded":
        write_shards(root, scenes, shard_size)
    elif layout == "image-folder":
        write_image_folder(root, scenes)
    else:
        raise ValueError(f"unknown dataset layout {layout!r}; choose 'sharded' or 'image-folder'")


def global_batch(step: int, batch_size: int, n: int, seed: int) -> np.ndarray:
    """Indices of the global batch at `step`: epochs are seeded permutations, so the batch does not
    depend on how many processes share it."""
    first = step * batch_size
    epoch, offset = divmod(first, n)
    out: List[int] = []
    while len(out) < batch_size:
        perm = np.random.default_rng([seed, epoch]).permutation(n)
        take = perm[offset : offset + batch_size - len(out)]
        out.extend(int(i) for i in take)
        epoch, offset = epoch + 1, 0
    return np.asarray(out, dtype=np.int64)


def rank_slice(indices: np.ndarray, rank: int, world_size: int) -> np.ndarray:
    if len(indices) % world_size:
        raise ValueError(f"a global batch of {len(indices)} does not split evenly over {world_size} processes")
    per = len(indices) // world_size
    return indices[rank * per : (rank + 1) * per]
