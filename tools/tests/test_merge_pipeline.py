"""The merge pipeline end to end on a smoke config, resume, and 2 gloo processes against 1."""

import json
import os
import subprocess
import sys

import torch

from conftest import REPO, TOOLS, load_manifest

SMOKE_CONFIG = os.path.join(TOOLS, "configs", "merge-smoke.json")


def _env():
    return dict(os.environ, PYTHONPATH=TOOLS, OMP_NUM_THREADS="1")


def test_two_gloo_processes_give_the_loss_curve_of_one_with_the_doubled_batch(tmp_path):
    one, two = str(tmp_path / "one.json"), str(tmp_path / "two.json")
    module = ["-m", "samclip_tools.merge.ddp_check"]
    subprocess.run([sys.executable, *module, one, str(tmp_path / "s1"), "4"], check=True, env=_env(), cwd=REPO, timeout=300)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "--redirects", "2", "--tee", "2"]
    proc = subprocess.run([*torchrun, *module, two, str(tmp_path / "s2"), "4"], env=_env(), cwd=REPO, timeout=300, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    a, b = json.load(open(one)), json.load(open(two))
    assert (a["world_size"], b["world_size"]) == (1, 2)
    assert len(a["losses"]) == len(b["losses"]) == 4
    for x, y in zip(a["losses"], b["losses"]):
        assert abs(x - y) <= 1e-4 * max(1.0, abs(x)), (a["losses"], b["losses"])


def test_an_interrupted_stage_resumes_to_the_same_weights_and_curve(tmp_path):
    from samclip_tools.merge.ddp_check import settings, stage2_setup
    from samclip_tools.merge.train import Dist, train_stage

    torch.set_num_threads(1)
    quiet = lambda *_: None  # noqa: E731
    objective, groups, batch_at = stage2_setup(Dist())
    straight = train_stage("s", objective, groups, batch_at, settings(4), Dist(), str(tmp_path / "a"), log=quiet)
    reference = {k: v.clone() for k, v in objective.state_dict().items()}

    objective, groups, batch_at = stage2_setup(Dist())
    first = train_stage("s", objective, groups, batch_at, settings(4), Dist(), str(tmp_path / "b"), stop_after=2, log=quiet)
    assert len(first) == 2
    objective, groups, batch_at = stage2_setup(Dist())  # a fresh process: everything rebuilt, then resumed
    resumed = train_stage("s", objective, groups, batch_at, settings(4), Dist(), str(tmp_path / "b"), log=quiet)
    assert resumed == straight
    for k, v in objective.state_dict().items():
        assert torch.equal(v, reference[k]), k


def test_smoke_pipeline_runs_evaluates_exports_and_fills_the_tables(tmp_path):
    from samclip_tools.merge import report
    from samclip_tools.merge.pipeline import load_config, run_pipeline

    cfg = load_config(SMOKE_CONFIG)
    cfg["export"]["out"] = str(tmp_path / "bundle")
    config_path = tmp_path / "smoke.json"
    config_path.write_text(json.dumps(cfg))
    out = str(tmp_path / "run")
    result = run_pipeline(str(config_path), out=out, log=lambda *_: None)

    metrics = result["eval"]
    for name in ("clip_teacher", "merged_stage2", "merged"):
        assert 0.0 <= metrics[name]["zero_shot_accuracy"] <= 1.0
    for name in ("sam_teacher", "merged_stage2", "merged"):
        assert 0.0 <= metrics[name]["point_miou"] <= 1.0 and metrics[name]["instances"] > 0
    assert set(metrics["merged"]["semantic"]) >= {"miou", "refined_miou", "per_class", "refined_per_class"}
    for stage in ("clip_teacher", "sam_teacher", "stage1_head_probing", "stage2_distillation", "resolution_adaptation"):
        curve = json.load(open(os.path.join(out, "state", f"{stage}.loss.json")))
        assert len(curve) > 0 and all(v == v for v in curve), stage
    assert os.path.isfile(os.path.join(out, "data", "train", "index.json"))  # sharded training set
    assert os.path.isfile(os.path.join(out, "data", "test", "annotations.jsonl"))  # image-folder test set

    manifest = load_manifest(cfg["export"]["out"])
    assert manifest["kind"] == "sam-clip" and manifest["config"]["imageSize"] == cfg["model"]["sam_encoder"]["image_size"]
    with open(os.path.join(out, "tokenizer", "bpe_vocab.txt.gz"), "rb") as f:
        ours = f.read()
    with open(os.path.join(cfg["export"]["out"], manifest["tokenizer"]["vocab"]["file"]), "rb") as f:
        assert f.read() == ours
    assert os.path.isfile(os.path.join(cfg["export"]["out"], "samples", "scene.png"))

    docs = tmp_path / "merge.md"
    docs.write_text(f"# Results\n\n{report.START}\nold\n{report.END}\n\nafter\n")
    report.write_docs(str(docs), report.tables(*report.load(out), "npm run merge -- --config X"))
    body = docs.read_text()
    assert "old" not in body and "Table 1" in body and "Table 2" in body and body.endswith("after\n")
