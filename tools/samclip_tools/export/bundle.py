"""Writing a bundle: graphs, tokenizer, references and samclip.json (docs/bundle-format.md)."""

import copy
import hashlib
import json
import os
import shutil
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch

from .. import __version__
from ..config import TINY_BPE_MERGES, ModelConfig
from ..models import ModelSet
from ..preprocess import preprocess_clip, preprocess_manifest, preprocess_sam, synthetic_image
from ..tokenizer import TINY_CORPUS_WORDS, SimpleTokenizer, gzip_deterministic, learn_merges, merges_file_text
from .graphs import OPSET, GraphSpec, export_onnx, role_specs
from .references import cosine_softmax, decoder_prompt_inputs, sam_predict, tensor_pb

KIND_ROLES = {
    "sam-clip": ["backbone", "sam_neck", "prompt_decoder", "clip_head", "text_encoder"],
    "sam": ["sam_encoder", "prompt_decoder"],
    "clip": ["clip_image_encoder", "text_encoder"],
    "sam+clip": ["sam_encoder", "prompt_decoder", "clip_image_encoder", "text_encoder"],
}
SHARED_OPENAI_VOCAB = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared", "data", "clip", "bpe_simple_vocab_16e6.txt.gz")
DEFAULT_TEMPLATE = "a photo of a {}."
ENSEMBLE_TEMPLATES = [
    "a photo of a {}.",
    "a bad photo of a {}.",
    "a photo of many {}.",
    "a photo of the large {}.",
    "a photo of the small {}.",
    "a close-up photo of a {}.",
    "a bright photo of a {}.",
    "a dark photo of a {}.",
    "a drawing of a {}.",
    "a painting of a {}.",
]
CLASSIFY_LABELS = ["red disc", "green rectangle", "blue sky"]


def _write(root: str, rel: str, data: bytes) -> Dict[str, Any]:
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return {"file": rel, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _prepare_out_dir(out_dir: str) -> None:
    if os.path.isdir(out_dir) and os.listdir(out_dir):
        if not os.path.isfile(os.path.join(out_dir, "samclip.json")):
            raise FileExistsError(f"{out_dir} is not empty and holds no samclip.json; choose an empty or new directory")
        for sub in ("graphs", "references", "tokenizer"):
            shutil.rmtree(os.path.join(out_dir, sub), ignore_errors=True)
        os.remove(os.path.join(out_dir, "samclip.json"))
    os.makedirs(out_dir, exist_ok=True)


def tokenizer_vocab(cfg: ModelConfig, vocab_path: Optional[str]) -> Tuple[bytes, str]:
    """The merges file bytes for the bundle and where they came from."""
    if vocab_path and not os.path.isfile(vocab_path):
        raise FileNotFoundError(f"vocab file {vocab_path} does not exist")
    path = vocab_path or os.path.normpath(SHARED_OPENAI_VOCAB)
    if cfg.tokenizer != "generated" and os.path.isfile(path):
        with open(path, "rb") as f:
            return f.read(), "openai"
    # The project never commits OpenAI's vocab: tiny bundles (and random exports without it) carry
    # a small merges file learned deterministically from a built-in word list.
    generated = gzip_deterministic(merges_file_text(learn_merges(TINY_CORPUS_WORDS, TINY_BPE_MERGES)).encode("utf-8"))
    return generated, "generated" if cfg.tokenizer == "generated" else "generated (OpenAI vocab not found)"


def _bundle_config(kind: str, cfg: ModelConfig, logit_scale: Optional[float], num_masks: int) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    enc = cfg.sam_encoder
    if kind != "clip":
        out.update(imageSize=enc.image_size, patchSize=enc.patch_size, gridSize=enc.grid_size)
        if kind == "sam-clip":
            out["backboneDim"] = enc.width
        out.update(embedDim=enc.out_chans, maskInputSize=4 * enc.grid_size)
    text = cfg.samclip_text if kind == "sam-clip" else cfg.clip_text
    if kind != "sam":
        out.update(textEmbedDim=text.embed_dim, contextLength=text.context_length, vocabSize=text.vocab_size)
    if kind in ("clip", "sam+clip"):
        out.update(clipImageSize=cfg.clip_vision.image_size, clipGridSize=cfg.clip_vision.grid_size, clipPatchSize=cfg.clip_vision.patch_size)
    if logit_scale is not None:
        out["logitScale"] = logit_scale
    if kind != "clip":
        out["maskOutputs"] = num_masks
    return out


@torch.no_grad()
def export_bundle(
    models: ModelSet,
    out_dir: str,
    *,
    name: str,
    source: Dict[str, Any],
    seed: int = 0,
    vocab_path: Optional[str] = None,
    created: Optional[str] = None,
    return_single_mask: bool = False,
    reference_dtype: torch.dtype = torch.float64,
    log=print,
) -> Dict[str, Any]:
    kind, cfg = models.kind, models.config
    _prepare_out_dir(out_dir)
    roles = KIND_ROLES[kind]
    specs = role_specs(models, return_single_mask)
    # References are computed in float64 (by default) and stored as float32: the last bits of a
    # float32 forward pass depend on the CPU's kernels, a float64 result rounded to float32
    # (practically) does not, so seeded bundles reproduce byte for byte across machines.
    if reference_dtype == torch.float32:
        reference_models = models
    else:
        reference_models = copy.deepcopy(models)
        for module in reference_models.modules():
            module.to(reference_dtype)
    reference_specs = role_specs(reference_models, return_single_mask)
    has_sam = kind != "clip"
    has_clip = kind != "sam"
    text_module = models.samclip if models.samclip is not None else models.clip
    text_cfg = cfg.samclip_text if kind == "sam-clip" else cfg.clip_text

    # Tokenizer.
    vocab_bytes, vocab_origin = tokenizer_vocab(cfg, vocab_path) if has_clip else (b"", "")
    tokenizer = SimpleTokenizer.from_bytes(vocab_bytes) if has_clip else None
    if tokenizer is not None and tokenizer.vocab_size > text_cfg.vocab_size:
        raise ValueError(f"tokenizer has {tokenizer.vocab_size} ids but the text tower embeds only {text_cfg.vocab_size}")

    # The test image and its preprocessed forms.
    S = cfg.sam_encoder.image_size
    H, W = S * 15 // 32, S * 20 // 32
    image = synthetic_image(H, W, seed)
    # Prompts in the original image frame, on the synthetic image's disc and rectangle.
    disc = [round(W * 0.3), round(H * 0.45)]
    background = [round(W * 0.75), round(H * 0.55)]
    rect_box = [round(W * 0.6), round(H * 0.3), round(W * 0.9), round(H * 0.8)]
    rng = np.random.default_rng(seed + 1)

    # Reference inputs, chained through the real outputs of the upstream graph.
    feeds: Dict[str, List[np.ndarray]] = {}
    outputs: Dict[str, List[np.ndarray]] = {}

    def run(role: str, inputs: List[np.ndarray]) -> List[np.ndarray]:
        tensors = [torch.from_numpy(x).to(reference_dtype) if x.dtype == np.float32 else torch.from_numpy(x) for x in inputs]
        result = reference_specs[role].module(*tensors)
        result = list(result) if isinstance(result, (tuple, list)) else [result]
        feeds[role] = inputs
        outputs[role] = [r.detach().float().numpy() for r in result]
        return outputs[role]

    image_embeddings = None
    pooled_image = None
    if has_sam:
        pixel_values, sam_input_size = preprocess_sam(image, S)
        if kind == "sam-clip":
            (features,) = run("backbone", [pixel_values])
            (image_embeddings,) = run("sam_neck", [features])
            pooled_image = run("clip_head", [features])[0]
        else:
            (image_embeddings,) = run("sam_encoder", [pixel_values])
        M = 4 * cfg.sam_encoder.grid_size
        # Every label kind at once: a foreground and a background point plus a box, and a mask input.
        coords, labels = decoder_prompt_inputs([disc, background], [1, 0], rect_box, (H, W), S)
        run(
            "prompt_decoder",
            [
                image_embeddings,
                coords,
                labels,
                rng.normal(0, 1, (1, 1, M, M)).astype(np.float32),
                np.asarray([1], dtype=np.float32),
                np.asarray([H, W], dtype=np.float32),
            ],
        )
    if has_clip:
        prompts = [DEFAULT_TEMPLATE.format(label) for label in CLASSIFY_LABELS]
        ids = np.asarray(tokenizer.tokenize(prompts, text_cfg.context_length), dtype=np.int64)
        (text_embeds,) = run("text_encoder", [ids])
        if kind != "sam-clip":
            clip_pixels = preprocess_clip(image, cfg.clip_vision.image_size)
            pooled_image = run("clip_image_encoder", [clip_pixels])[0]

    # Graphs and their references.
    graphs: Dict[str, Any] = {}
    ref_graphs: Dict[str, Any] = {}
    parameters: Dict[str, int] = {}
    for role in roles:
        spec: GraphSpec = specs[role]
        log(f"exporting {role}")
        model_bytes = export_onnx(spec, [torch.from_numpy(x) for x in feeds[role]], [y.shape for y in outputs[role]])
        entry = _write(out_dir, f"graphs/{role}.fp32.onnx", model_bytes)
        graphs[role] = {"role": role, "variants": {"fp32": dict(entry, dtype="fp32")}}
        parameters[role] = spec.parameters
        ref_graphs[role] = {
            "inputs": [_write(out_dir, f"references/{role}/input_{i}.pb", tensor_pb(x, n)) for i, (x, n) in enumerate(zip(feeds[role], spec.input_names))],
            "outputs": [_write(out_dir, f"references/{role}/output_{i}.pb", tensor_pb(y, n)) for i, (y, n) in enumerate(zip(outputs[role], spec.output_names))],
        }

    # Task references.
    logit_scale = float(text_module.logit_scale.exp()) if has_clip else None
    # Every task tensor is listed in the manifest so loaders can verify it like any other file.
    task_files: List[Dict[str, Any]] = []

    def _write_task(rel: str, data: bytes) -> str:
        entry = _write(out_dir, rel, data)
        task_files.append(entry)
        return entry["file"]

    tasks: Dict[str, Any] = {"image": {"file": _write_task("references/tasks/image.pb", tensor_pb(image, "image")), "height": H, "width": W}}
    if has_sam:
        tasks["samInput"] = {
            "pixelValues": f"references/{'backbone' if kind == 'sam-clip' else 'sam_encoder'}/input_0.pb",
            "inputSize": list(sam_input_size),
            "imageEmbeddings": f"references/{'sam_neck' if kind == 'sam-clip' else 'sam_encoder'}/output_0.pb",
        }
        owner = reference_models.samclip if reference_models.samclip is not None else reference_models.sam
        emb_t = torch.from_numpy(image_embeddings)

        def segment_case(case_name, pts, labs, box, mask_in, multimask):
            result = sam_predict(owner.prompt_encoder, owner.mask_decoder, emb_t, S, (H, W), pts, labs, box, mask_in, multimask)
            best = int(np.argmax(result["iou"]))
            coords, dec_labels = decoder_prompt_inputs(pts, labs, box, (H, W), S)
            item: Dict[str, Any] = {
                "name": case_name,
                "points": pts,
                "labels": labs,
                "box": box,
                "maskInput": None,
                "multimask": multimask,
                "decoderInputs": {"pointCoords": coords[0].tolist(), "pointLabels": dec_labels[0].tolist(), "hasMaskInput": 0 if mask_in is None else 1},
                "masks": _write_task(f"references/tasks/segment_{case_name}_masks.pb", tensor_pb(result["masks"], "masks")),
                "iou": [float(v) for v in result["iou"]],
                "best": best,
            }
            if mask_in is not None:
                item["maskInput"] = _write_task(f"references/tasks/segment_{case_name}_mask_input.pb", tensor_pb(mask_in, "mask_input"))
            return item, result["low_res"][best][None, None].astype(np.float32)

        point_case, point_low_res = segment_case("point", [disc], [1], None, None, True)
        box_case, _ = segment_case("box", None, None, rect_box, None, False)
        # Meta's iterative refinement: the previous best low-res logits as mask_input, plus a click.
        mask_case, _ = segment_case("mask", [disc, background], [1, 0], None, point_low_res, False)
        segment = [point_case, box_case, mask_case]
        tasks["segment"] = segment
    if has_clip:
        logits, probs = cosine_softmax(pooled_image, text_embeds, logit_scale)
        tasks["classify"] = {
            "labels": CLASSIFY_LABELS,
            "template": DEFAULT_TEMPLATE,
            "ids": "references/text_encoder/input_0.pb",
            "imageEmbeds": f"references/{'clip_head' if kind == 'sam-clip' else 'clip_image_encoder'}/output_0.pb",
            "textEmbeds": "references/text_encoder/output_0.pb",
            # float32-rounded, like every other stored value: the last float64 digits vary by CPU.
            "logits": [float(np.float32(v)) for v in logits[0]],
            "probs": [float(np.float32(v)) for v in probs[0]],
        }
        if kind != "sam-clip":
            tasks["clipInput"] = {"pixelValues": "references/clip_image_encoder/input_0.pb"}
    tasks_entry = _write(out_dir, "references/tasks.json", (json.dumps(tasks, indent=2) + "\n").encode("utf-8"))

    manifest: Dict[str, Any] = {
        "schemaVersion": 2,
        "name": name,
        "kind": kind,
        "config": _bundle_config(kind, cfg, logit_scale, 1 if return_single_mask else cfg.sam_decoder.num_multimask_outputs + 1),
        "graphs": graphs,
        "preprocess": preprocess_manifest(S if has_sam else 0, cfg.clip_vision.image_size if kind in ("clip", "sam+clip") else 0),
    }
    if has_clip:
        manifest["tokenizer"] = {
            "type": "clip-bpe",
            "vocab": _write(out_dir, "tokenizer/bpe_vocab.txt.gz", vocab_bytes),
            "contextLength": text_cfg.context_length,
            "startToken": tokenizer.start_token,
            "endToken": tokenizer.end_token,
            "padToken": 0,
        }
        manifest["templates"] = {"default": [DEFAULT_TEMPLATE], "ensemble": ENSEMBLE_TEMPLATES}
    manifest["references"] = {"graphs": ref_graphs, "tasks": tasks_entry, "files": task_files}
    provenance: Dict[str, Any] = {
        "source": source,
        "exporter": {"name": "samclip-tools", "version": __version__, "torch": torch.__version__, "onnx": onnx.__version__, "opset": OPSET},
        "parameters": parameters,
        "referenceDtype": str(reference_dtype).replace("torch.", ""),
        "architecture": cfg.to_dict(),
    }
    if has_clip:
        provenance["tokenizer"] = vocab_origin
    if created:
        provenance["created"] = created
    manifest["provenance"] = provenance
    with open(os.path.join(out_dir, "samclip.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
    return manifest
