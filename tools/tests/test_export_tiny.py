"""The tiny bundles of every kind: manifest integrity, ONNX checker, role contracts, onnxruntime-node
against PyTorch (≤ 1e-4 max abs), the prompt decoder's dynamic inputs, and the task references."""

import hashlib
import json
import os

import numpy as np
import onnx
import pytest
import torch

from conftest import load_manifest, read_pb, read_pb_named, run_ort, run_ort_arrays
from samclip_tools.export import KIND_ROLES, OPSET
from samclip_tools.export.graphs import role_specs
from samclip_tools.preprocess import preprocess_sam
from samclip_tools.tokenizer import SimpleTokenizer

ATOL = 1e-4
KINDS = list(KIND_ROLES)
CASES = [(kind, role) for kind in KINDS for role in KIND_ROLES[kind]]

# docs/bundle-format.md "Roles and contracts": (name, elem type, dims); str dims are config keys,
# None is dynamic.
F, I64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64
CONTRACTS = {
    "backbone": ([("pixel_values", F, [1, 3, "imageSize", "imageSize"])], [("backbone_features", F, [1, "gridSize", "gridSize", "backboneDim"])]),
    "sam_neck": ([("backbone_features", F, [1, "gridSize", "gridSize", "backboneDim"])], [("image_embeddings", F, [1, "embedDim", "gridSize", "gridSize"])]),
    "sam_encoder": ([("pixel_values", F, [1, 3, "imageSize", "imageSize"])], [("image_embeddings", F, [1, "embedDim", "gridSize", "gridSize"])]),
    "prompt_decoder": (
        [
            ("image_embeddings", F, [1, "embedDim", "gridSize", "gridSize"]),
            ("point_coords", F, [1, None, 2]),
            ("point_labels", F, [1, None]),
            ("mask_input", F, [1, 1, "maskInputSize", "maskInputSize"]),
            ("has_mask_input", F, [1]),
            ("orig_im_size", F, [2]),
        ],
        [("masks", F, [1, "maskOutputs", None, None]), ("iou_predictions", F, [1, "maskOutputs"]), ("low_res_masks", F, [1, "maskOutputs", "maskInputSize", "maskInputSize"])],
    ),
    "clip_head": ([("backbone_features", F, [1, "gridSize", "gridSize", "backboneDim"])], [("image_embeds", F, [1, "textEmbedDim"]), ("dense_embeds", F, [1, "gridSize", "gridSize", "textEmbedDim"])]),
    "clip_image_encoder": (
        [("pixel_values", F, [1, 3, "clipImageSize", "clipImageSize"])],
        [("image_embeds", F, [1, "textEmbedDim"]), ("dense_embeds", F, [1, "clipGridSize", "clipGridSize", "textEmbedDim"])],
    ),
    "text_encoder": ([("input_ids", I64, [None, "contextLength"])], [("text_embeds", F, [None, "textEmbedDim"])]),
}


def _dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def _bundle(tiny_bundles, kind):
    path, models = tiny_bundles[kind]
    return path, models, load_manifest(path)


def _sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_manifest_lists_every_file_with_its_hash(tiny_bundles, kind):
    path, _, manifest = _bundle(tiny_bundles, kind)
    assert manifest["schemaVersion"] == 2 and manifest["kind"] == kind
    assert list(manifest["graphs"]) == KIND_ROLES[kind]
    entries = [v for g in manifest["graphs"].values() for v in g["variants"].values()]
    for refs in manifest["references"]["graphs"].values():
        entries += refs["inputs"] + refs["outputs"]
    entries.append(manifest["references"]["tasks"])
    if "tokenizer" in manifest:
        entries.append(manifest["tokenizer"]["vocab"])
    for e in entries:
        full = os.path.join(path, e["file"])
        assert os.path.getsize(full) == e["bytes"] and _sha(full) == e["sha256"], e["file"]
        assert ".." not in e["file"].split("/")
    listed = {e["file"] for e in entries}
    with open(os.path.join(path, "references", "tasks.json")) as f:
        tasks = json.load(f)
    task_files = {tasks["image"]["file"]} | {c["masks"] for c in tasks.get("segment", [])} | {c["maskInput"] for c in tasks.get("segment", []) if c["maskInput"]}
    on_disk = {os.path.relpath(os.path.join(d, n), path).replace(os.sep, "/") for d, _, ns in os.walk(path) for n in ns} - {"samclip.json"}
    assert on_disk == listed | task_files
    assert "created" not in manifest["provenance"]


@pytest.mark.parametrize("kind,role", CASES)
def test_graph_is_valid_onnx_and_meets_its_contract(tiny_bundles, kind, role):
    path, _, manifest = _bundle(tiny_bundles, kind)
    model = onnx.load(os.path.join(path, manifest["graphs"][role]["variants"]["fp32"]["file"]))
    onnx.checker.check_model(model, full_check=True)
    assert [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] == [OPSET]
    config = manifest["config"]
    inits = {i.name for i in model.graph.initializer}
    for actual, expected in ((
        [vi for vi in model.graph.input if vi.name not in inits], CONTRACTS[role][0]), (list(model.graph.output), CONTRACTS[role][1])):
        assert [vi.name for vi in actual] == [name for name, _, _ in expected]
        for vi, (name, elem, dims) in zip(actual, expected):
            assert vi.type.tensor_type.elem_type == elem, name
            want = [config[d] if isinstance(d, str) else d for d in dims]
            assert _dims(vi) == want, f"{role}.{name}: {_dims(vi)} != {want}"


def test_prompt_decoder_is_exported_in_its_export_form(tiny_bundles):
    """The decoder graph is written in the export form (export_form.decoder_export_form): the
    upscaling as MatMul/Gemm under the `output_upscaling` scope the converter keeps in float by
    default, no ConvTranspose, and the mask downscaling inside an If on has_mask_input."""
    path, _, manifest = _bundle(tiny_bundles, "sam-clip")
    model = onnx.load(os.path.join(path, manifest["graphs"]["prompt_decoder"]["variants"]["fp32"]["file"]))
    ops = [n.op_type for n in model.graph.node]
    assert "ConvTranspose" not in ops
    upscaling_products = [n.name for n in model.graph.node if n.op_type in ("MatMul", "Gemm") and "output_upscaling" in n.name]
    assert len(upscaling_products) >= 2, upscaling_products
    (branch,) = [n for n in model.graph.node if n.op_type == "If"]
    then_ops = [n.op_type for a in branch.attribute if a.name == "then_branch" for n in a.g.node]
    assert then_ops.count("Conv") == 3  # mask_downscaling: two strided convs and the 1×1
    # The first layer projects the image tokens in full (k, v of token→image, q of image→token), so
    # those products read the image embeddings and not the prompt: the SDK runs them once per image.
    prompt_inputs = {"point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"}
    reads_prompt = set(prompt_inputs)
    for node in model.graph.node:
        if any(i in reads_prompt for i in node.input):
            reads_prompt.update(node.output)
    image_only = set()
    for node in model.graph.node:
        if node.op_type == "If":
            image_only.update(node.output)  # with has_mask_input bound to 0: image + no_mask_embed
    for node in model.graph.node:
        if node.op_type != "If" and node.input and all(i in image_only or i not in reads_prompt for i in node.input):
            image_only.update(node.output)
    layer0_projections = sorted(
        n.name for n in model.graph.node
        if n.name.startswith("/transformer/layers.0/cross_attn_") and n.op_type == "MatMul" and n.input[0] in image_only and "_proj" in n.name
    )
    assert layer0_projections == [
        "/transformer/layers.0/cross_attn_image_to_token/q_proj/MatMul",
        "/transformer/layers.0/cross_attn_token_to_image/k_proj/MatMul",
        "/transformer/layers.0/cross_attn_token_to_image/v_proj/MatMul",
    ], layer0_projections
    # The image-to-token attentions are keys-major: their softmax over the few prompt tokens is spelled
    # out (reductions over the key axis), not a Softmax over rows of a handful of values.
    image_to_token_ops = [n.op_type for n in model.graph.node if "/cross_attn_image_to_token/" in n.name]
    assert "Softmax" not in image_to_token_ops
    assert image_to_token_ops.count("ReduceMax") == 2 and image_to_token_ops.count("ReduceSum") == 2, image_to_token_ops


@pytest.mark.parametrize("kind,role", CASES)
def test_onnxruntime_matches_pytorch_on_stored_references(tiny_bundles, kind, role, tmp_path):
    path, _, manifest = _bundle(tiny_bundles, kind)
    refs = manifest["references"]["graphs"][role]
    got = run_ort(
        os.path.join(path, manifest["graphs"][role]["variants"]["fp32"]["file"]),
        [os.path.join(path, e["file"]) for e in refs["inputs"]],
        str(tmp_path / "out"),
    )
    for e in refs["outputs"]:
        name, want = read_pb_named(os.path.join(path, e["file"]))
        assert got[name].shape == want.shape, name
        err = float(np.abs(got[name] - want).max())
        assert err <= ATOL, f"{kind}/{role}.{name}: max abs {err:.3g} > {ATOL}"


@pytest.mark.parametrize("kind", ["sam-clip", "sam+clip"])
def test_prompt_decoder_dynamic_points_and_sizes(tiny_bundles, kind, tmp_path):
    path, models, manifest = _bundle(tiny_bundles, kind)
    spec = role_specs(models)["prompt_decoder"]
    model_path = os.path.join(path, manifest["graphs"]["prompt_decoder"]["variants"]["fp32"]["file"])
    emb = read_pb(os.path.join(path, manifest["references"]["graphs"]["prompt_decoder"]["inputs"][0]["file"]))
    S, M = manifest["config"]["imageSize"], manifest["config"]["maskInputSize"]
    rng = np.random.default_rng(5)
    for i, (n, orig, has_mask) in enumerate([(1, (300, 77), 0.0), (6, (S, S), 1.0), (2, (37, 511), 0.0)]):
        inputs = {
            "image_embeddings": emb,
            "point_coords": (rng.random((1, n, 2)) * S).astype(np.float32),
            "point_labels": rng.choice([-1.0, 0.0, 1.0, 2.0, 3.0], size=(1, n)).astype(np.float32),
            "mask_input": rng.normal(size=(1, 1, M, M)).astype(np.float32),
            "has_mask_input": np.asarray([has_mask], dtype=np.float32),
            "orig_im_size": np.asarray(orig, dtype=np.float32),
        }
        with torch.no_grad():
            want = [t.numpy() for t in spec.module(*[torch.from_numpy(v) for v in inputs.values()])]
        got = run_ort_arrays(model_path, inputs, str(tmp_path / f"case{i}"))
        for name, w in zip(spec.output_names, want):
            assert got[name].shape == w.shape, (name, got[name].shape, w.shape)
            assert float(np.abs(got[name] - w).max()) <= ATOL, name


@pytest.mark.parametrize("kind", ["sam-clip", "clip"])
def test_text_encoder_batch_of_one(tiny_bundles, kind, tmp_path):
    path, models, manifest = _bundle(tiny_bundles, kind)
    spec = role_specs(models)["text_encoder"]
    ids = read_pb(os.path.join(path, manifest["references"]["graphs"]["text_encoder"]["inputs"][0]["file"]))[1:2]
    with torch.no_grad():
        want = spec.module(torch.from_numpy(ids)).numpy()
    got = run_ort_arrays(os.path.join(path, manifest["graphs"]["text_encoder"]["variants"]["fp32"]["file"]), {"input_ids": ids}, str(tmp_path))
    assert got["text_embeds"].shape == (1, manifest["config"]["textEmbedDim"])
    assert float(np.abs(got["text_embeds"] - want).max()) <= ATOL


@pytest.mark.parametrize("kind", ["sam-clip", "sam", "sam+clip"])
def test_segment_tasks_are_reproduced_by_the_decoder_graph(tiny_bundles, kind, tmp_path):
    """SamPredictor (native prompt encoder + decoder) and the exported Meta-style graph agree."""
    path, _, manifest = _bundle(tiny_bundles, kind)
    with open(os.path.join(path, "references", "tasks.json")) as f:
        tasks = json.load(f)
    image = read_pb(os.path.join(path, tasks["image"]["file"]))
    assert image.dtype == np.uint8 and image.shape == (tasks["image"]["height"], tasks["image"]["width"], 3)
    pixel_values, input_size = preprocess_sam(image, manifest["config"]["imageSize"])
    assert np.array_equal(read_pb(os.path.join(path, tasks["samInput"]["pixelValues"])), pixel_values)
    assert tasks["samInput"]["inputSize"] == list(input_size)
    emb = read_pb(os.path.join(path, tasks["samInput"]["imageEmbeddings"]))
    M = manifest["config"]["maskInputSize"]
    model_path = os.path.join(path, manifest["graphs"]["prompt_decoder"]["variants"]["fp32"]["file"])
    assert [c["name"] for c in tasks["segment"]] == ["point", "box", "mask"]
    for case in tasks["segment"]:
        d = case["decoderInputs"]
        mask_input = read_pb(os.path.join(path, case["maskInput"])) if case["maskInput"] else np.zeros((1, 1, M, M), np.float32)
        got = run_ort_arrays(
            model_path,
            {
                "image_embeddings": emb,
                "point_coords": np.asarray([d["pointCoords"]], np.float32),
                "point_labels": np.asarray([d["pointLabels"]], np.float32),
                "mask_input": mask_input,
                "has_mask_input": np.asarray([d["hasMaskInput"]], np.float32),
                "orig_im_size": np.asarray([image.shape[0], image.shape[1]], np.float32),
            },
            str(tmp_path / case["name"]),
        )
        pick = slice(1, 4) if case["multimask"] else slice(0, 1)
        logits = got["masks"][0, pick]
        want = read_pb(os.path.join(path, case["masks"]))
        assert want.dtype == np.uint8 and want.shape == logits.shape
        flipped = (logits > 0).astype(np.uint8) != want
        assert not np.any(flipped & (np.abs(logits) > 1e-4)), case["name"]
        np.testing.assert_allclose(got["iou_predictions"][0, pick], case["iou"], atol=ATOL)
        assert case["best"] == int(np.argmax(case["iou"]))


@pytest.mark.parametrize("kind", ["sam-clip", "clip", "sam+clip"])
def test_classify_task_reference(tiny_bundles, kind):
    path, _, manifest = _bundle(tiny_bundles, kind)
    with open(os.path.join(path, "references", "tasks.json")) as f:
        c = json.load(f)["classify"]
    tok = SimpleTokenizer.from_file(os.path.join(path, manifest["tokenizer"]["vocab"]["file"]))
    ids = read_pb(os.path.join(path, c["ids"]))
    assert ids.dtype == np.int64
    assert ids.tolist() == tok.tokenize([c["template"].format(label) for label in c["labels"]], manifest["config"]["contextLength"])
    img = read_pb(os.path.join(path, c["imageEmbeds"]))[0].astype(np.float64)
    txt = read_pb(os.path.join(path, c["textEmbeds"])).astype(np.float64)
    cos = (txt @ img) / (np.linalg.norm(txt, axis=1) * np.linalg.norm(img))
    logits = manifest["config"]["logitScale"] * cos
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    np.testing.assert_allclose(logits, c["logits"], atol=1e-5)
    np.testing.assert_allclose(probs, c["probs"], atol=1e-6)
    assert abs(sum(c["probs"]) - 1) < 1e-6


def test_tiny_tokenizer_ids_follow_the_clip_rule(tiny_bundles):
    path, _, manifest = _bundle(tiny_bundles, "sam-clip")
    tok = SimpleTokenizer.from_file(os.path.join(path, manifest["tokenizer"]["vocab"]["file"]))
    merges = tok.vocab_size - 512 - 2
    assert manifest["tokenizer"]["startToken"] == 512 + merges == tok.start_token
    assert manifest["tokenizer"]["endToken"] == tok.start_token + 1
    assert manifest["config"]["vocabSize"] == tok.vocab_size
    assert manifest["provenance"]["tokenizer"] == "generated"
