"""Shared helpers for the tools tests: paths, the onnxruntime-node runner, TensorProto files."""

import json
import os
import subprocess
import sys
from typing import Dict, List

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

torch.set_num_threads(2)

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TOOLS)
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
RUNNER = os.path.join(TOOLS, "node", "run_onnx.mjs")

if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)


def shared_path(*parts: str) -> str:
    """A file under ../shared; missing → fail under CI, skip locally (the project's rule)."""
    path = os.path.join(SHARED, *parts)
    if not os.path.exists(path):
        message = f"shared test data {path} is missing (expected the read-only ../shared checkout next to the repository)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def read_pb(path: str) -> np.ndarray:
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t).copy()


def read_pb_named(path: str):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def write_pb(path: str, array: np.ndarray, name: str) -> str:
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name=name).SerializeToString())
    return path


def run_ort(model_path: str, input_paths: List[str], out_dir: str) -> Dict[str, np.ndarray]:
    """Runs the model on onnxruntime-node; returns outputs by name."""
    proc = subprocess.run(["node", RUNNER, model_path, out_dir, *input_paths], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"onnxruntime-node failed on {model_path}:\n{proc.stderr}")
    names = [o["name"] for o in json.loads(proc.stdout.strip().splitlines()[-1])["outputs"]]
    return {n: read_pb(os.path.join(out_dir, f"{n}.pb")) for n in names}


def run_ort_arrays(model_path: str, inputs: Dict[str, np.ndarray], work_dir: str) -> Dict[str, np.ndarray]:
    os.makedirs(work_dir, exist_ok=True)
    paths = [write_pb(os.path.join(work_dir, f"in_{i}.pb"), arr, name) for i, (name, arr) in enumerate(inputs.items())]
    return run_ort(model_path, paths, os.path.join(work_dir, "out"))


def load_manifest(bundle: str) -> dict:
    with open(os.path.join(bundle, "samclip.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def tiny_bundles(tmp_path_factory):
    """Random tiny bundles of every kind, exported once per session (seed 0)."""
    from samclip_tools.config import TINY
    from samclip_tools.export import export_bundle
    from samclip_tools.models import build_random_models

    out = {}
    root = tmp_path_factory.mktemp("tiny")
    for kind in ("sam-clip", "sam", "clip", "sam+clip"):
        models = build_random_models(kind, TINY, 0)
        path = str(root / kind.replace("+", "-pair-"))
        export_bundle(models, path, name=f"tiny-{kind}", source={"checkpoint": "random", "seed": 0, "config": "tiny"}, seed=0, log=lambda *_: None)
        out[kind] = (path, models)
    return out
