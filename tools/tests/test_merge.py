"""The merge recipe's building blocks: world, datasets, batching, tokenizer, multi-resolution
backbone, prompts, losses and the semantic-segmentation metric."""

import numpy as np
import pytest
import torch

from samclip_tools.merge import data, evaluate, losses, nets, prompts, text, world
from samclip_tools.tokenizer import SimpleTokenizer

SMALL = world.WorldConfig(image_size=32, min_radius=5.0, max_radius=9.0, max_objects=3)


def scenes(n, split="train", **kw):
    return [world.make_scene(3, split, i, SMALL, **kw) for i in range(n)]


def test_scenes_are_seeded_and_self_consistent():
    a, b = world.make_scene(3, "train", 7, SMALL), world.make_scene(3, "train", 7, SMALL)
    assert np.array_equal(a["image"], b["image"]) and a["caption"] == b["caption"]
    assert not np.array_equal(a["image"], world.make_scene(3, "test", 7, SMALL)["image"])
    for s in scenes(30):
        ids = set(np.unique(s["instances"]).tolist()) - {0}
        assert ids == set(range(1, len(s["objects"]) + 1))
        for k, o in enumerate(s["objects"]):
            ys, xs = np.nonzero(s["instances"] == k + 1)
            assert o["box"] == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] and o["area"] == len(xs)
            assert o["shape"] in s["caption"]
        assert s["caption"].endswith(".")
        sem = world.semantic_map(s)
        assert (sem == len(world.SHAPES)).sum() == (s["instances"] == 0).sum()


def test_classification_scenes_cycle_through_the_classes():
    names = world.class_names()
    assert len(names) == len(world.SHAPES) * len(world.COLOURS)
    for i in range(len(names) + 2):
        scene, label = world.classification_scene(0, i, SMALL)
        (obj,) = scene["objects"]
        assert names[label] == f"{obj['colour']} {obj['shape']}" and label == i % len(names)


@pytest.mark.parametrize("layout", ["sharded", "image-folder"])
def test_datasets_round_trip(tmp_path, layout):
    made = scenes(7)
    root = str(tmp_path / layout)
    data.write_dataset(root, layout, lambda i: made[i], len(made), shard_size=3)
    back = data.read_dataset(root)
    assert len(back) == 7 and back.captions == [s["caption"] for s in made]
    assert back.objects == [s["objects"] for s in made]
    assert torch.equal(back.images, torch.from_numpy(np.stack([s["image"] for s in made])).permute(0, 3, 1, 2))
    assert torch.equal(back.instances, torch.from_numpy(np.stack([s["instances"] for s in made])))
    if layout == "sharded":
        ds = data.ShardedDataset(root)
        assert ds.sizes == [3, 3, 1] and ds[4]["caption"] == made[4]["caption"]
        with pytest.raises(IndexError):
            ds[7]


def test_global_batches_split_over_processes_and_cover_each_epoch():
    n, bs = 10, 4
    seen = np.concatenate([data.global_batch(s, bs, n, seed=5) for s in range(5)])
    assert sorted(seen[:10].tolist()) == list(range(10)) and sorted(seen[10:20].tolist()) == list(range(10))
    full = data.global_batch(3, bs, n, seed=5)
    halves = np.concatenate([data.rank_slice(full, r, 2) for r in range(2)])
    assert np.array_equal(full, halves)
    with pytest.raises(ValueError, match="does not split evenly"):
        data.rank_slice(full, 0, 3)


def test_caption_tokenizer_makes_every_world_word_one_token():
    captions = [s["caption"] for s in scenes(60)]
    merges = text.learn_caption_merges(captions, 400)
    tok = SimpleTokenizer(merges)
    assert tok.vocab_size == text.vocab_size(merges)
    for word in list(world.SHAPES) + list(world.COLOURS) + list(world.TEXTURES) + ["photo", "background"]:
        assert len(tok.encode(word)) == 1, word
    ids = text.tokenize(tok, ["a photo of a red circle."], 24)
    assert ids.shape == (1, 24) and ids[0, 0] == tok.start_token and tok.end_token in ids[0].tolist()
    # Capped merges: a smaller vocabulary still encodes everything (byte fallback).
    small = SimpleTokenizer(text.learn_caption_merges(captions, 5))
    assert small.vocab_size == 512 + 5 + 2 and len(small.encode("triangle")) > 1


def small_model_config():
    from samclip_tools.merge.ddp_check import SMOKE_MODEL

    return nets.toy_model_config(SMOKE_MODEL, 600)


def test_backbone_at_native_size_is_forward_backbone_and_runs_at_other_sizes():
    torch.manual_seed(0)
    cfg = small_model_config()
    sam = nets.build_sam_teacher(cfg, 0).eval()
    student = nets.build_student(cfg, sam, nets.build_clip_teacher(cfg, 1), 2).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(nets.backbone_features(sam.image_encoder, x), sam.image_encoder.forward_backbone(x))
        # The general global-attention path reproduces the module's own at the native grid.
        blk = next(b for b in sam.image_encoder.blocks if b.window_size == 0)
        tokens = torch.randn(2, 4, 4, 32)
        assert torch.allclose(nets._global_attention(blk.attn, tokens), blk.attn(tokens), atol=1e-5)
        low = nets.backbone_features(student.image_encoder, torch.randn(2, 3, 24, 24))
        assert low.shape == (2, 3, 3, 32)
        pooled, dense = nets.clip_head_forward(student.clip_head, low)
        assert pooled.shape == (2, 32) and dense.shape == (2, 3, 3, 32)
        native = student.image_encoder.forward_backbone(x)
        ref_pooled, ref_dense = student.clip_head(native)
        got_pooled, got_dense = nets.clip_head_forward(student.clip_head, native)
        assert torch.equal(ref_pooled, got_pooled) and torch.equal(ref_dense, got_dense)


def test_student_starts_as_the_teachers():
    cfg = small_model_config()
    sam, clip = nets.build_sam_teacher(cfg, 0), nets.build_clip_teacher(cfg, 1)
    student = nets.build_student(cfg, sam, clip, 2)
    for name, value in sam.state_dict().items():
        assert torch.equal(student.state_dict()[name], value), name
    for name, value in clip.state_dict().items():
        if not name.startswith("visual."):
            assert torch.equal(student.state_dict()[name], value), name


def test_stage2_distils_the_teachers_masks_or_probabilities(monkeypatch):
    from samclip_tools.merge import stages

    torch.manual_seed(0)
    cfg = small_model_config()
    sam = nets.build_sam_teacher(cfg, 0).eval()
    student = nets.build_student(cfg, sam, nets.build_clip_teacher(cfg, 1), 2).eval()
    batch = {
        "clip": {"pixels": torch.randn(2, 3, 24, 24), "target": torch.randn(2, 32)},
        "sam": {
            "pixels": torch.randn(1, 3, 32, 32),
            "image_index": torch.tensor([0, 0]),
            "coords": torch.tensor([[[5.0, 7.0], [0.0, 0.0]], [[20.0, 9.0], [0.0, 0.0]]]),
            "labels": torch.tensor([[1.0, -1.0], [1.0, -1.0]]),
            "mask_input": None,
            "kind": "point",
        },
    }
    with torch.no_grad():
        emb = sam.image_encoder(batch["sam"]["pixels"])[batch["sam"]["image_index"]]
        t_low, t_iou = prompts.decode(sam.prompt_encoder, sam.mask_decoder, emb, batch["sam"]["coords"], batch["sam"]["labels"], None, 32)
    chosen = t_low[torch.arange(2), 1 + t_iou[:, 1:].argmax(dim=1)]
    seen = []
    monkeypatch.setattr(stages, "mask_loss", lambda logits, target: seen.append(target) or losses.mask_loss(logits, target))
    for kind, expected in (("masks", (chosen > 0).float()), ("probabilities", torch.sigmoid(chosen))):
        seen.clear()
        with torch.no_grad():
            stages.MergeObjective(student, sam, 10.0, 32, kind)(batch)
        assert torch.allclose(seen[0], expected, atol=1e-6), kind
    with pytest.raises(ValueError, match="sam_targets"):
        stages.MergeObjective(student, sam, 10.0, 32, "logits")


def test_prompts_follow_the_decoder_conventions():
    masks = torch.zeros(2, 32, 32, dtype=torch.bool)
    masks[0, 4:10, 6:20] = True
    masks[1, 20:30, 2:8] = True
    boxes = torch.tensor([[6, 4, 20, 10], [2, 20, 8, 30]], dtype=torch.float32)
    rngs = [np.random.default_rng(i) for i in range(2)]
    coords, labels, mask_input = prompts.sample_prompts(masks, boxes, "point", 1, 4, rngs)
    assert labels.tolist() == [[1.0, -1.0]] * 2 and mask_input is None
    for b in range(2):
        x, y = coords[b, 0].long().tolist()
        assert masks[b, y, x]
    coords, labels, _ = prompts.sample_prompts(masks, boxes, "box", 1, 4, rngs)
    assert labels.tolist() == [[2.0, 3.0]] * 2 and bool((coords[:, 1] >= coords[:, 0]).all())
    coords, labels, mask_input = prompts.sample_prompts(masks, boxes, "mask", 3, 4, rngs)
    assert labels.tolist() == [[1.0, 1.0, 1.0, -1.0]] * 2 and mask_input.shape == (2, 1, 16, 16)
    assert float(mask_input[0, 0, 1:3, 4:8].mean()) > 0 > float(mask_input[0, 0, 12:, 12:].mean())
    # Depth 3 is reached on x 4..5, y 22..27; the first such pixel in raster order wins.
    assert prompts.interior_point(masks[1].numpy()) == (4.0, 22.0)
    assert [prompts.kind_at(s)[0] for s in range(4)] == ["point", "box", "mask", "point"]


def test_batched_decoding_matches_the_exported_prompt_decoder():
    from samclip_tools.model.sam import PromptDecoder

    cfg = small_model_config()
    sam = nets.build_sam_teacher(cfg, 0).eval()
    emb = torch.randn(1, 16, 4, 4)
    coords = torch.tensor([[[5.0, 7.0], [0.0, 0.0]]])
    labels = torch.tensor([[1.0, -1.0]])
    with torch.no_grad():
        low, iou = prompts.decode(sam.prompt_encoder, sam.mask_decoder, emb, coords, labels, None, 32)
        ref = PromptDecoder(sam.prompt_encoder, sam.mask_decoder, 32)(emb, coords, labels, torch.zeros(1, 1, 16, 16), torch.zeros(1), torch.tensor([32.0, 32.0]))
    assert torch.allclose(low, ref[2], atol=1e-5) and torch.allclose(iou, ref[1], atol=1e-5)


def test_losses():
    target = torch.zeros(1, 8, 8)
    target[0, 2:6, 2:6] = 1
    good, bad = (target * 2 - 1) * 10, (1 - target * 2) * 10
    assert losses.mask_loss(good, target) < 0.01 < losses.mask_loss(bad, target)
    assert float(losses.mask_iou(good, target)) == 1.0 and float(losses.mask_iou(bad, target)) == 0.0
    a = torch.randn(4, 8)
    assert float(losses.cosine_distill(a, 3 * a)) < 1e-6
    assert float(losses.contrastive(a, a, torch.tensor(100.0))) < 1e-3


def test_semantic_miou_accumulates_per_class():
    m = evaluate.ConfusionMIoU(3)
    m.add(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 1, 1]))
    assert m.per_class()[:2] == [0.5, 2 / 3] and np.isnan(m.per_class()[2])
    assert m.miou() == pytest.approx((0.5 + 2 / 3) / 2)


def test_refinement_points_are_spread_high_probability_cells():
    probs = torch.zeros(2, 8, 8)
    probs[0, 0, :3] = torch.tensor([0.9, 0.8, 0.7])
    probs[0, 5, 5] = 0.6
    probs[1] = 1 - probs[0]
    winner = probs.argmax(dim=0)
    points = evaluate._refine_points(probs, winner, 0, 64)
    # Spacing max(1, round(8/8)) = 1 cell: neighbours count, so the top three cells are taken in order.
    assert points == [(4.0, 4.0), (12.0, 4.0), (20.0, 4.0)]
