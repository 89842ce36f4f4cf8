"""ember.nn.modules.utils: the _ntuple helpers and consume_prefix_in_state_dict_if_present."""

from __future__ import annotations

import torch

from ember import nn
from ember.nn.modules.utils import (_pair, _quadruple, _reverse_repeat_tuple, _single, _triple,
                                    consume_prefix_in_state_dict_if_present)


def test_ntuple_helpers():
    assert _single(3) == (3,) and _pair(3) == (3, 3) and _triple(2) == (2, 2, 2)
    assert _quadruple(0) == (0, 0, 0, 0)
    assert _pair((1, 2)) == (1, 2) and _pair([4, 5]) == (4, 5)
    assert _reverse_repeat_tuple((1, 2), 2) == (2, 2, 1, 1)


def test_consume_prefix_matches_torch():
    sds = []
    for lib in (torch, nn):
        lin = lib.nn.Linear if lib is torch else lib.Linear
        seq = lib.nn.Sequential if lib is torch else lib.Sequential
        wrapper = seq()
        wrapper.add_module("module", seq(lin(2, 3)))
        sd = wrapper.state_dict()
        (torch.nn.modules.utils if lib is torch else nn.modules.utils).consume_prefix_in_state_dict_if_present(sd, "module.")  # noqa: E501
        sds.append(sd)
    assert list(sds[1]) == list(sds[0]) == ["0.weight", "0.bias"]
    assert list(sds[1]._metadata) == list(sds[0]._metadata)


def test_consume_prefix_leaves_other_keys():
    from collections import OrderedDict

    out = []
    for fn in (torch.nn.modules.utils.consume_prefix_in_state_dict_if_present,
               consume_prefix_in_state_dict_if_present):  # fmt: skip
        sd = OrderedDict([("module.a", 1), ("b", 2)])
        sd._metadata = OrderedDict([("", {}), ("module", {}), ("module.x", {}), ("other", {})])
        fn(sd, "module.")
        out.append((list(sd), list(sd._metadata)))
    assert out[1] == out[0] == (["b", "a"], ["", "other", "x"])
