"""Seeded random weights for test bundles, independent of torch's default initialisers.

Every state-dict entry is redrawn from one torch.Generator in state-dict order, with scales that
keep activations O(1) through the network, so reference outputs exercise every weight (Meta's
zero-initialised relative positions included). torch.randn fills float32 tensors with its
vectorised sampler, so a seed gives the same weights on every AVX2 machine with a given torch
(CPUs without AVX2 draw differently); the committed fixtures and the converter's thresholds are
tuned to these draws.
"""

import math

import torch
from torch import nn

from .model.common import LayerNorm2d


def _norm_param_names(model: nn.Module) -> set:
    names = set()
    for module_name, module in model.named_modules():
        if isinstance(module, (nn.LayerNorm, LayerNorm2d)):
            for param_name, _ in module.named_parameters(recurse=False):
                names.add(f"{module_name}.{param_name}" if module_name else param_name)
    return names


@torch.no_grad()
def randomize_(model: nn.Module, seed: int) -> nn.Module:
    generator = torch.Generator().manual_seed(seed)
    norms = _norm_param_names(model)
    for name, tensor in model.state_dict(keep_vars=True).items():
        noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float32)
        leaf = name.rsplit(".", 1)[-1]
        if name in norms:
            value = (1.0 + 0.1 * noise) if leaf == "weight" else 0.05 * noise
        elif leaf == "logit_scale":
            value = torch.tensor(math.log(1 / 0.07))
        elif leaf == "positional_encoding_gaussian_matrix":
            value = noise
        elif leaf in ("text_projection", "proj") and tensor.dim() == 2:
            value = noise * tensor.shape[0] ** -0.5  # used as x @ P
        elif leaf in ("rel_pos_h", "rel_pos_w"):
            value = 0.1 * noise
        elif leaf in ("pos_embed", "positional_embedding", "class_embedding"):
            value = 0.1 * noise
        elif tensor.dim() >= 2:
            value = noise / math.sqrt(math.prod(tensor.shape[1:]))
        else:
            value = 0.02 * noise
        tensor.copy_(value.to(tensor.dtype))
    return model
