"""Our own checkpoint format, as the merge tool writes it: torch.save of

    {"samclip": {"format": "samclip-tools", "version": 1, "kind": "sam-clip" | "sam" | "clip",
                 "config": json.dumps(ModelConfig.to_dict())},
     "state_dict": model.state_dict()}

The state-dict keys are the model's own (identity map); the config rebuilds the architecture. The
config travels as a JSON string so that torch.load(weights_only=True) reads the file on torch 1.13,
whose safe unpickler has no floats.
"""

import json
from typing import Any, Dict

import torch

from ..config import model_config_from_dict
from ..models import ModelSet, build_models
from .keys import load_mapped

FORMAT = "samclip-tools"
VERSION = 1


def is_samclip_checkpoint(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("samclip"), dict) and obj["samclip"].get("format") == FORMAT


def save_samclip_checkpoint(models: ModelSet, path: str) -> None:
    modules = models.modules()
    if len(modules) != 1:
        raise ValueError(f"a samclip-tools checkpoint holds one model; kind {models.kind} has {len(modules)}")
    meta = {"format": FORMAT, "version": VERSION, "kind": models.kind, "config": json.dumps(models.config.to_dict(), sort_keys=True)}
    torch.save({"samclip": meta, "state_dict": modules[0].state_dict()}, path)


def load_samclip_checkpoint(obj: Dict[str, Any]) -> ModelSet:
    meta = obj["samclip"]
    if meta.get("version") != VERSION:
        raise ValueError(f"samclip-tools checkpoint version {meta.get('version')} is not supported (this exporter reads version {VERSION})")
    models = build_models(meta["kind"], model_config_from_dict(json.loads(meta["config"])))
    (module,) = models.modules()
    prefixes = sorted({k.split(".", 1)[0] + ("." if "." in k else "") for k in module.state_dict()})
    load_mapped(module, obj["state_dict"], [(p, p) for p in prefixes], f"samclip-tools {meta['kind']}")
    return models
