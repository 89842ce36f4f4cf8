"""ember.profiler (a wall-clock stub) and ember.nn.attention (accepted no-ops) against torch's."""

from __future__ import annotations

import json
import os
import time

import pytest
import torch
import torch.nn.attention as tattn
import torch.profiler as tprof

import ember
import ember.nn.attention as eattn
import ember.profiler as eprof


@pytest.fixture(autouse=True)
def _keep_torch_rng():
    # these tests draw from torch's global generator; leave its stream as other tests expect it
    with torch.random.fork_rng():
        yield


@pytest.mark.parametrize("kw", [dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=0, active=1),
                                dict(wait=2, warmup=1, active=3, repeat=2, skip_first=3),
                                dict(wait=2, warmup=1, active=1, repeat=1, skip_first_wait=1)])
def test_schedule_matches_torch(kw):
    if kw["warmup"] == 0:
        for lib in (eprof, tprof):
            with pytest.warns(UserWarning, match="Profiler won't be using warmup"):
                lib.schedule(**kw)
        return
    e, t = eprof.schedule(**kw), tprof.schedule(**kw)
    assert [e(i).name for i in range(20)] == [t(i).name for i in range(20)]


def test_enums_and_names():
    assert [m for m in eprof.ProfilerActivity.__members__] == list(
        tprof.ProfilerActivity.__members__)
    assert list(eprof.ProfilerAction.__members__) == list(tprof.ProfilerAction.__members__)
    assert ({m: v.value for m, v in eattn.SDPBackend.__members__.items()}
            == {m: v.value for m, v in tattn.SDPBackend.__members__.items()})
    assert ember.profiler is eprof and ember.nn.attention is eattn


def test_record_function_labels_are_timed():
    with eprof.profile(activities=[eprof.ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(3):
            with eprof.record_function("sleep"):
                time.sleep(0.002)
        with eprof.record_function("mm"):
            ember.ones(8, 8) @ ember.ones(8, 8)
    rows = {e.key: e for e in prof.key_averages()}
    assert set(rows) == {"sleep", "mm"}
    assert rows["sleep"].count == 3 and rows["sleep"].cpu_time_total >= 6000  # microseconds
    assert rows["sleep"].cpu_time == pytest.approx(rows["sleep"].cpu_time_total / 3)
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    assert "Name" in lines[1] and "# of Calls" in lines[1]
    assert lines[3].startswith("sleep") and lines[3].split()[-1] == "3"
    assert "Self CPU time total" in table


def test_record_function_outside_profile_and_as_decorator():
    @eprof.record_function("f")
    def f(x):
        return x + 1

    assert f(1) == 2  # no profiler: just runs
    with eprof.profile() as prof:
        f(1)
        f(2)
    assert [(e.key, e.count) for e in prof.key_averages()] == [("f", 2)]


def test_schedule_and_trace_handler(tmp_path):
    traces = []
    sched = eprof.schedule(wait=1, warmup=1, active=2, repeat=1)
    with eprof.profile(schedule=sched, on_trace_ready=lambda p: traces.append(
            [(e.key, e.count) for e in p.key_averages()])) as prof:
        for i in range(6):
            with eprof.record_function(f"step{i}"):
                pass
            prof.step()
    assert traces == [[("step2", 1), ("step3", 1)]]  # steps 2 and 3 are the active ones
    handler = eprof.tensorboard_trace_handler(str(tmp_path), worker_name="w")
    with eprof.profile(on_trace_ready=handler), eprof.record_function("x"):
        pass
    (name,) = os.listdir(tmp_path)
    assert name.startswith("w.") and name.endswith(".pt.trace.json")
    events = json.loads((tmp_path / name).read_text())["traceEvents"]
    assert [e["name"] for e in events] == ["x"] and events[0]["ph"] == "X"


def test_sdpa_kernel_is_accepted():
    q = ember.ones(1, 2, 3, 4)
    for attn, lib, x in ((eattn, ember, q), (tattn, torch, torch.ones(1, 2, 3, 4))):
        with attn.sdpa_kernel(attn.SDPBackend.MATH):
            a = lib.nn.functional.scaled_dot_product_attention(x, x, x)
        with attn.sdpa_kernel([attn.SDPBackend.FLASH_ATTENTION, attn.SDPBackend.MATH]):
            pass
        assert tuple(a.shape) == (1, 2, 3, 4)
        with (pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"),
              attn.sdpa_kernel(3)):
            pass
