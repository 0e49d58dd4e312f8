"""Loading a foreign state dict into one of our modules through a prefix map, strictly.

A mapping is a list of (source prefix, target prefix). Each source key is renamed by the longest
source prefix it starts with; keys no prefix claims are unexpected (unless a prefix in `ignore`
claims them). Every target key under a mapped target prefix must be provided, with the same shape.
Any violation raises CheckpointKeyError naming every offending key.
"""

from typing import Dict, Iterable, List, Sequence, Tuple

import torch
from torch import nn

PrefixMap = Sequence[Tuple[str, str]]


class CheckpointKeyError(ValueError):
    def __init__(self, source: str, missing: List[str], unexpected: List[str], mismatched: List[str]) -> None:
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
        parts = [f"{source} checkpoint does not fit the model:"]
        if missing:
            parts.append(f"{len(missing)} missing key(s): " + ", ".join(missing))
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s): " + ", ".join(unexpected))
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatch(es): " + ", ".join(mismatched))
        parts.append("Check that the checkpoint is of the stated kind and matches the config.")
        super().__init__("\n".join(parts))


def _rename(key: str, mapping: PrefixMap) -> "str | None":
    best = None
    for src, dst in mapping:
        if key.startswith(src) and (best is None or len(src) > len(best[0])):
            best = (src, dst)
    if best is None:
        return None
    return best[1] + key[len(best[0]) :]


def map_state_dict(
    module: nn.Module,
    state_dict: Dict[str, torch.Tensor],
    mapping: PrefixMap,
    source: str,
    ignore: Iterable[str] = (),
) -> Dict[str, torch.Tensor]:
    """The renamed state dict, after checking it covers exactly the mapped part of `module`."""
    ignore = tuple(ignore)
    expected = module.state_dict()
    renamed: Dict[str, torch.Tensor] = {}
    unexpected: List[str] = []
    mismatched: List[str] = []
    mismatched_targets = set()
    for key, value in state_dict.items():
        if ignore and key.startswith(ignore):
            continue
        target = _rename(key, mapping)
        if target is None or target not in expected:
            unexpected.append(key)
            continue
        if tuple(value.shape) != tuple(expected[target].shape):
            mismatched.append(f"{key} {tuple(value.shape)} vs {target} {tuple(expected[target].shape)}")
            mismatched_targets.add(target)
            continue
        renamed[target] = value
    covered = tuple(dst for _, dst in mapping)
    missing = sorted(k for k in expected if k.startswith(covered) and k not in renamed and k not in mismatched_targets)
    if missing or unexpected or mismatched:
        raise CheckpointKeyError(source, missing, sorted(unexpected), mismatched)
    return renamed


@torch.no_grad()
def load_mapped(module: nn.Module, state_dict: Dict[str, torch.Tensor], mapping: PrefixMap, source: str, ignore: Iterable[str] = ()) -> nn.Module:
    renamed = map_state_dict(module, state_dict, mapping, source, ignore)
    current = module.state_dict()
    for key, value in renamed.items():
        current[key].copy_(value.to(current[key].dtype))
    return module
