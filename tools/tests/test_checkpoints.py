"""Key mapping: state dicts with exactly the public checkpoints' keys and shapes load with no missing
or unexpected keys; every wrong key is reported."""

import dataclasses

import pytest
import torch

from conftest import shared_path
from samclip_tools.checkpoints import (
    CheckpointKeyError,
    infer_openclip_configs,
    infer_sam_configs,
    load_checkpoints,
    load_meta_sam,
    load_openclip,
    load_openclip_text,
    save_samclip_checkpoint,
)
from samclip_tools.config import TINY, VIT_B
from samclip_tools.model import OpenClip, Sam, SamClip
from samclip_tools.models import build_random_models


def read_key_list(name: str):
    """(key, shape) rows of ../shared/data/checkpoint-keys/<name>.tsv."""
    rows = []
    with open(shared_path("data", "checkpoint-keys", f"{name}.tsv"), encoding="utf-8") as f:
        for line in f:
            key, _, shape = line.rstrip("\n").partition("\t")
            rows.append((key, tuple(int(d) for d in shape.split("x")) if shape else ()))
    return rows


def state_dict_from_keys(name: str):
    """A state dict with the listed keys and shapes; entry i holds the value i so the test can see
    where each tensor landed (cheaper than random draws for 400M parameters, and as telling)."""
    return {key: torch.full(shape, float(i)) for i, (key, shape) in enumerate(read_key_list(name))}


def assert_loaded(module, state_dict, mapping=lambda k: k):
    target = module.state_dict()
    for key, value in state_dict.items():
        mapped = mapping(key)
        if mapped is None:
            continue
        assert torch.equal(target[mapped], value), key


def test_meta_sam_vit_b_keys_equal_ours():
    keys = {k for k, _ in read_key_list("sam_vit_b")}
    assert set(Sam(VIT_B.sam_encoder, VIT_B.sam_decoder).state_dict()) == keys


def test_meta_sam_vit_b_loads_into_sam_and_samclip():
    sd = state_dict_from_keys("sam_vit_b")
    enc, dec = infer_sam_configs(sd)
    assert enc == VIT_B.sam_encoder and dec == VIT_B.sam_decoder
    sam = load_meta_sam(Sam(enc, dec), sd)
    assert_loaded(sam, sd)
    samclip = load_meta_sam(SamClip(VIT_B), sd)  # the SAM part; clip_head and text untouched
    assert_loaded(samclip, sd)


def test_openclip_vit_b_16_loads():
    sd = state_dict_from_keys("openclip_ViT-B-16")
    vision, text = infer_openclip_configs(sd)
    assert vision == VIT_B.clip_vision and text == VIT_B.clip_text
    model = OpenClip(vision, text)
    assert set(model.state_dict()) == set(sd)
    assert_loaded(load_openclip(model, sd), sd)


def test_openclip_vit_l_14_loads_and_feeds_the_samclip_text_tower():
    sd = state_dict_from_keys("openclip_ViT-L-14")
    vision, text = infer_openclip_configs(sd)
    assert (vision.width, vision.layers, vision.heads, vision.patch_size, vision.image_size) == (1024, 24, 16, 14, 224)
    assert text == VIT_B.samclip_text
    assert_loaded(load_openclip(OpenClip(vision, text), sd), sd)
    samclip = load_openclip_text(SamClip(VIT_B), sd)
    assert_loaded(samclip, sd, lambda k: None if k.startswith("visual.") else k)


def test_missing_unexpected_and_mismatched_keys_are_listed():
    sd = state_dict_from_keys("sam_vit_b")
    del sd["mask_decoder.iou_token.weight"]
    sd["image_encoder.extra.weight"] = torch.zeros(3)
    sd["prompt_encoder.no_mask_embed.weight"] = torch.zeros(1, 128)
    with pytest.raises(CheckpointKeyError) as info:
        load_meta_sam(Sam(VIT_B.sam_encoder, VIT_B.sam_decoder), sd)
    err = info.value
    assert err.missing == ["mask_decoder.iou_token.weight"]
    assert err.unexpected == ["image_encoder.extra.weight"]
    assert len(err.mismatched) == 1 and err.mismatched[0].startswith("prompt_encoder.no_mask_embed.weight")
    message = str(err)
    for key in ("mask_decoder.iou_token.weight", "image_encoder.extra.weight", "prompt_encoder.no_mask_embed.weight"):
        assert key in message


def test_a_clip_state_dict_given_to_the_sam_loader_fails_naming_its_keys():
    sd = state_dict_from_keys("openclip_ViT-B-16")
    with pytest.raises(CheckpointKeyError) as info:
        load_meta_sam(SamClip(TINY), sd)
    assert "visual.conv1.weight" in info.value.unexpected
    assert "image_encoder.pos_embed" in info.value.missing


def test_checkpoint_files_are_recognised(tmp_path):
    sam_path = str(tmp_path / "sam_vit_b.pth")
    torch.save(state_dict_from_keys("sam_vit_b"), sam_path)
    clip_path = str(tmp_path / "open_clip_model.pt")
    clip_sd = state_dict_from_keys("openclip_ViT-B-16")
    # A training checkpoint: wrapped in "state_dict", DDP's module. prefix on every key.
    torch.save({"state_dict": {f"module.{k}": v for k, v in clip_sd.items()}, "epoch": 32}, clip_path)
    models, formats = load_checkpoints([clip_path, sam_path], "sam+clip")
    assert formats == ["openclip", "meta-sam"]
    assert models.sam.image_encoder.pos_embed.shape == (1, 64, 64, 768)
    assert_loaded(models.clip, clip_sd)
    with pytest.raises(ValueError, match="kind sam needs"):
        load_checkpoints([clip_path], "sam")


def test_own_checkpoint_round_trip(tmp_path):
    models = build_random_models("sam-clip", TINY, 3)
    path = str(tmp_path / "samclip.pt")
    save_samclip_checkpoint(models, path)
    loaded, formats = load_checkpoints([path], "sam-clip")
    assert formats == ["samclip-tools:sam-clip"]
    assert loaded.config == TINY
    a, b = models.samclip.state_dict(), loaded.samclip.state_dict()
    assert set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_own_checkpoint_with_wrong_keys_fails(tmp_path):
    models = build_random_models("sam-clip", TINY, 3)
    path = str(tmp_path / "broken.pt")
    save_samclip_checkpoint(models, path)
    obj = torch.load(path)
    del obj["state_dict"]["clip_head.norm.weight"]
    torch.save(obj, path)
    with pytest.raises(CheckpointKeyError, match="clip_head.norm.weight"):
        load_checkpoints([path], "sam-clip")


def test_own_checkpoint_keys_are_public_keys_plus_clip_head():
    sam_keys = {k for k, _ in read_key_list("sam_vit_b")}
    text_keys = {k for k, _ in read_key_list("openclip_ViT-L-14") if not k.startswith("visual.")}
    ours = set(SamClip(dataclasses.replace(VIT_B)).state_dict())
    assert ours - sam_keys - text_keys == {k for k in ours if k.startswith("clip_head.")}
    assert sam_keys | text_keys <= ours
