"""The real shapes: a random vit-b sam-clip bundle, every sub-graph on onnxruntime-node within 1e-3
relative error of PyTorch, and the parameter counts of the architecture."""

import os
import shutil

import numpy as np
import pytest
import torch

from conftest import load_manifest, read_pb_named, run_ort
from samclip_tools.config import VIT_B
from samclip_tools.export import KIND_ROLES, export_bundle
from samclip_tools.models import build_random_models

RTOL = 1e-3


@pytest.fixture(scope="module")
def vit_b_bundle(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("vit-b") / "bundle")
    models = build_random_models("sam-clip", VIT_B, 0)
    # float32 references: float64 ones (the default, for byte-reproducible fixtures) cost minutes here.
    export_bundle(
        models, path, name="vit-b-random", source={"checkpoint": "random", "seed": 0, "config": "vit-b"}, seed=0, reference_dtype=torch.float32, log=lambda *_: None
    )
    del models
    yield path
    shutil.rmtree(path, ignore_errors=True)  # about 1 GB


def test_parameter_counts(vit_b_bundle):
    params = load_manifest(vit_b_bundle)["provenance"]["parameters"]
    print("\nvit-b sam-clip parameters per sub-graph: " + ", ".join(f"{role} {n:,}" for role, n in params.items()))
    assert params["backbone"] + params["sam_neck"] == 89_670_912  # SAM ViT-B image encoder with neck ≈ 89.7M
    assert params["prompt_decoder"] == 4_058_340 + 6_220  # mask decoder ≈ 4.1M + prompt encoder
    assert 0.2 < params["clip_head"] / params["backbone"] < 0.3  # 3 blocks + MLP ≈ a quarter of the backbone
    assert params["text_encoder"] == 123_650_305 - 1  # OpenCLIP ViT-L/14 text tower without logit_scale


def test_manifest_config(vit_b_bundle):
    manifest = load_manifest(vit_b_bundle)
    assert list(manifest["graphs"]) == KIND_ROLES["sam-clip"]
    c = manifest["config"]
    assert (c["imageSize"], c["gridSize"], c["backboneDim"], c["embedDim"], c["maskInputSize"], c["textEmbedDim"], c["vocabSize"]) == (1024, 64, 768, 256, 256, 768, 49408)
    if manifest["provenance"]["tokenizer"] == "openai":
        assert (manifest["tokenizer"]["startToken"], manifest["tokenizer"]["endToken"]) == (49406, 49407)


@pytest.mark.parametrize("role", KIND_ROLES["sam-clip"])
def test_onnxruntime_matches_pytorch(vit_b_bundle, role, tmp_path):
    manifest = load_manifest(vit_b_bundle)
    refs = manifest["references"]["graphs"][role]
    got = run_ort(
        os.path.join(vit_b_bundle, manifest["graphs"][role]["variants"]["fp32"]["file"]),
        [os.path.join(vit_b_bundle, e["file"]) for e in refs["inputs"]],
        str(tmp_path / "out"),
    )
    for e in refs["outputs"]:
        name, want = read_pb_named(os.path.join(vit_b_bundle, e["file"]))
        assert got[name].shape == want.shape
        rel = float(np.abs(got[name] - want).max() / np.abs(want).max())
        print(f"\n{role}.{name}: max abs error / max abs value = {rel:.2e}")
        assert rel <= RTOL, f"{role}.{name}: relative error {rel:.3g} > {RTOL}"
