"""ember.utils.hooks.RemovableHandle against torch.utils.hooks."""

from __future__ import annotations

import gc
import pickle
from collections import OrderedDict

import pytest
import torch.utils.hooks as torch_hooks

import ember.utils.hooks as hooks


@pytest.mark.parametrize("lib", [hooks, torch_hooks])
def test_ids_come_from_one_counter(lib):
    a, b = OrderedDict(), OrderedDict()
    h1 = lib.RemovableHandle(a)
    h2 = lib.RemovableHandle(b)
    h3 = lib.RemovableHandle(a)
    assert (h2.id - h1.id, h3.id - h1.id) == (1, 2)
    assert lib.RemovableHandle.next_id == h3.id + 1


@pytest.mark.parametrize("extra", ["dict", "list"])
def test_remove_is_idempotent_and_clears_extra_dicts(extra):
    def run(lib):
        main, e1, e2 = OrderedDict(), OrderedDict(), OrderedDict()
        h = lib.RemovableHandle(main, extra_dict=e1 if extra == "dict" else [e1, e2])
        main[h.id] = e1[h.id] = e2[h.id] = "hook"
        h.remove()
        h.remove()
        return len(main), len(e1), len(e2)

    assert run(hooks) == run(torch_hooks)


def test_context_manager_removes():
    d = OrderedDict()
    with hooks.RemovableHandle(d) as h:
        d[h.id] = 1
        assert h.id in d
    assert not d


def test_holds_only_weak_references():
    d = OrderedDict()
    h = hooks.RemovableHandle(d)
    del d
    gc.collect()
    h.remove()  # the dict is gone: nothing to do, no error


def test_pickle_round_trip_pushes_counter_forward():
    d, extra = OrderedDict(), OrderedDict()
    h = hooks.RemovableHandle(d, extra_dict=[extra])
    d[h.id] = "x"
    h2 = pickle.loads(pickle.dumps(h))
    assert h2.id == h.id
    assert hooks.RemovableHandle.next_id > h.id
    h2.remove()  # removes from its own (unpickled) copy of the dict; ours is untouched
    assert h.id in d


def test_unserializable_hook_marks_function():
    def f(grad):
        return grad

    assert hooks.unserializable_hook(f) is f
    assert f.__torch_unserializable__ is True
