"""``ember.random`` mirrors ``torch.random``: same names, and seeding/state round-trips."""

from __future__ import annotations

import torch

import ember


def test_surface_matches_torch():
    for name in ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
                 "fork_rng", "default_generator"):
        assert hasattr(torch.random, name) and hasattr(ember.random, name)


def test_seed_and_state_round_trip():
    g = ember.random.manual_seed(123)
    assert g is ember.random.default_generator and ember.random.initial_seed() == 123
    state = ember.random.get_rng_state()
    a = ember.rand(3)
    ember.random.set_rng_state(state)
    assert ember.equal(ember.rand(3), a)
    s = ember.random.seed()
    assert ember.random.initial_seed() == s


def test_fork_rng_restores_state():
    ember.manual_seed(0)
    with ember.random.fork_rng():
        inner = ember.rand(4)
        ember.manual_seed(99)
        ember.rand(4)
    assert ember.equal(ember.rand(4), inner)
    ember.manual_seed(0)
    with ember.random.fork_rng(enabled=False):
        a = ember.rand(4)
    assert not ember.equal(ember.rand(4), a)
