"""examples/seed_digits.py in smoke mode: it trains, and real torch loads its checkpoint and predicts the same."""  # noqa: E501

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import ember

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "seed_digits.py"


def _missing_pieces() -> list[str]:
    """The parts of ember the demo uses that are not there (yet)."""
    import ember.nn as nn
    import ember.nn.functional as F

    wanted = {
        "nn": (nn, ["Module", "Conv2d", "Sequential", "Flatten", "BatchNorm1d", "Dropout", "Linear"]),  # noqa: E501
        "nn.functional": (F, ["interpolate", "relu", "cross_entropy"]),
        "nn.init": (nn.init, ["kaiming_normal_"]),
        "optim": (ember.optim, ["SGD"]),
    }
    missing = [f"{where}.{n}" for where, (mod, names) in wanted.items() for n in names if not hasattr(mod, n)]  # noqa: E501
    if importlib.util.find_spec("ember.serialization") is None:
        missing.append("serialization (save/load)")
    return missing


def _load_example_module():
    spec = importlib.util.spec_from_file_location("seed_digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the script's main() only runs under __main__
    return module


class TorchModel(torch.nn.Module):
    """The demo's architecture, written in torch."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 20, 5)
        self.conv2 = torch.nn.Conv2d(20, 20, 5)
        self.head = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.BatchNorm1d(1280),
                                        torch.nn.Dropout(0.25), torch.nn.Linear(1280, 10))  # fmt: skip

    def forward(self, x):
        x = torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        x = torch.nn.functional.relu(self.conv1(x))
        return self.head(torch.nn.functional.relu(self.conv2(x)))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    missing = _missing_pieces()
    if missing:
        pytest.skip(f"the demo needs pieces of ember that are missing: {', '.join(missing)}")
    checkpoint = tmp_path_factory.mktemp("demo") / "seed_digits.pt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--smoke", "--checkpoint", str(checkpoint)],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, checkpoint


def test_smoke_run_learns_and_reports(smoke_run):
    stdout, checkpoint = smoke_run
    accuracy = float(re.search(r"^test accuracy: ([\d.]+)%", stdout, re.M).group(1))
    assert accuracy > 30.0  # chance is 10%; one short epoch already does much better
    assert "reloaded from the checkpoint: same predictions" in stdout
    assert f"checkpoint: {checkpoint}" in stdout.splitlines()[-1]
    assert "Conv2d     (1, 1, 16, 16) -> (1, 20, 12, 12)" in stdout  # the forward hook's report
    assert "confusion matrix" in stdout
    assert re.search(r"^\s+1\s+[\d.]+\s+[\d.]+%\s+[\d.]+%", stdout, re.M)  # the epoch table


def test_checkpoint_loads_in_torch_and_predicts_the_same(smoke_run):
    stdout, checkpoint = smoke_run
    state = torch.load(checkpoint, weights_only=True)
    ref = TorchModel()
    ref.load_state_dict(state)  # strict: the same keys and shapes
    ref.eval()

    example = _load_example_module()
    ours = example.Model()
    ours.load_state_dict(ember.load(checkpoint))
    ours.eval()
    assert list(ours.state_dict()) == list(state)

    images = example.Digits(train=False)._images.numpy()
    targets = example.Digits(train=False).targets.numpy()
    with torch.no_grad():
        logits_ref = ref(torch.tensor(images)).numpy()
    with ember.no_grad():
        logits = ours(ember.tensor(images)).numpy()
    np.testing.assert_allclose(logits, logits_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(logits.argmax(1), logits_ref.argmax(1))
    reported = float(re.search(r"^test accuracy: ([\d.]+)%", stdout, re.M).group(1))
    assert round(100 * float((logits_ref.argmax(1) == targets).mean()), 2) == reported
