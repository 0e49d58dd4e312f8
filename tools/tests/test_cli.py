"""The export command line: argument checks and an export from our own checkpoint format."""

import json
import os
import subprocess
import sys

from conftest import REPO, TOOLS
from samclip_tools.checkpoints import save_samclip_checkpoint
from samclip_tools.config import TINY
from samclip_tools.models import build_random_models


def _export(*args):
    env = dict(os.environ, PYTHONPATH=TOOLS)
    return subprocess.run([sys.executable, "-m", "samclip_tools.export", *args], env=env, capture_output=True, text=True, cwd=REPO)


def test_needs_checkpoints_or_random(tmp_path):
    proc = _export("--kind", "sam", "--out", str(tmp_path / "b"))
    assert proc.returncode == 2 and "give checkpoint files or --random" in proc.stderr
    proc = _export("--random", "--kind", "sam", "--out", str(tmp_path / "b"))
    assert proc.returncode == 2 and "--random needs --config" in proc.stderr


def test_refuses_a_non_bundle_output_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    proc = _export("--random", "--config", "tiny", "--kind", "clip", "--out", str(tmp_path))
    assert proc.returncode != 0 and "holds no samclip.json" in proc.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_exports_from_a_samclip_tools_checkpoint(tmp_path):
    ckpt = str(tmp_path / "tiny-samclip.pt")
    save_samclip_checkpoint(build_random_models("sam-clip", TINY, 7), ckpt)
    out = tmp_path / "bundle"
    proc = _export(ckpt, "--kind", "sam-clip", "--out", str(out), "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "samclip.json").read_text())
    assert manifest["name"] == "tiny-samclip" and manifest["kind"] == "sam-clip"
    assert manifest["provenance"]["source"] == {"checkpoint": ["tiny-samclip.pt"], "formats": ["samclip-tools:sam-clip"], "seed": 1}
    assert manifest["provenance"]["created"].endswith("Z")
    assert sorted(os.listdir(out / "graphs")) == sorted(f"{r}.fp32.onnx" for r in manifest["graphs"])
