"""Samplers against torch: the same orders where they are deterministic, the same multisets, lengths and errors where they are random."""  # noqa: E501

from __future__ import annotations

import collections

import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud


def raises_like_torch(make_ours, make_ref):
    """Both callables raise the same exception type with the same message."""
    with pytest.raises(Exception) as ref:  # noqa: PT011
        make_ref()
    with pytest.raises(type(ref.value)) as ours:
        make_ours()
    assert str(ours.value) == str(ref.value)


def test_sequential_sampler():
    assert list(eud.SequentialSampler(range(7))) == list(tud.SequentialSampler(range(7)))
    assert len(eud.SequentialSampler(range(7))) == 7


@pytest.mark.parametrize("n", [0, 1, 9, 10])
@pytest.mark.parametrize("batch_size", [1, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    ours = eud.BatchSampler(eud.SequentialSampler(range(n)), batch_size, drop_last)
    ref = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(ref)
    assert len(ours) == len(ref)


@pytest.mark.parametrize(
    ("batch_size", "drop_last"), [(0, False), (True, False), (2.0, False), (2, 1), (-1, True)]
)
def test_batch_sampler_errors_match_torch(batch_size, drop_last):
    raises_like_torch(lambda: eud.BatchSampler(range(4), batch_size, drop_last),
                      lambda: tud.BatchSampler(range(4), batch_size, drop_last))  # fmt: skip


def test_random_sampler_is_a_permutation_each_epoch():
    sampler = eud.RandomSampler(range(20), generator=ember.Generator().manual_seed(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second  # a fresh permutation per epoch
    assert len(sampler) == len(tud.RandomSampler(range(20))) == 20


def test_random_sampler_seeded_generators_reproduce():
    def order(seed):
        return list(eud.RandomSampler(range(50), generator=ember.Generator().manual_seed(seed)))

    assert order(3) == order(3)
    assert order(3) != order(4)


def test_random_sampler_default_generator_follows_manual_seed():
    sampler = eud.RandomSampler(range(30))
    ember.manual_seed(7)
    a = list(sampler)
    ember.manual_seed(7)
    assert list(sampler) == a


def test_random_sampler_num_samples_without_replacement():
    ours = list(eud.RandomSampler(range(5), num_samples=12))
    ref = list(tud.RandomSampler(range(5), num_samples=12))
    assert len(ours) == len(ref) == 12
    # two whole permutations, then a part of a third: the same counts as torch's
    assert sorted(ours[:10]) == sorted(ref[:10]) == sorted(list(range(5)) * 2)
    assert sorted(collections.Counter(ours).values()) == sorted(collections.Counter(ref).values())
    assert len(set(ours[10:])) == 2


def test_random_sampler_with_replacement():
    ours = list(eud.RandomSampler(range(3), replacement=True, num_samples=100))
    assert len(ours) == 100
    assert set(ours) == {0, 1, 2}


@pytest.mark.parametrize(
    "kwargs", [{"replacement": 1}, {"num_samples": 0}, {"num_samples": 2.5}, {"num_samples": -3}]
)
def test_random_sampler_errors_match_torch(kwargs):
    raises_like_torch(lambda: eud.RandomSampler(range(4), **kwargs),
                      lambda: tud.RandomSampler(range(4), **kwargs))  # fmt: skip


def test_subset_random_sampler():
    indices = [3, 9, 4, 12]
    sampler = eud.SubsetRandomSampler(indices, generator=ember.Generator().manual_seed(0))
    assert sorted(sampler) == sorted(indices)
    assert len(sampler) == len(tud.SubsetRandomSampler(indices)) == 4


def test_weighted_random_sampler():
    weights = [0.0, 1.0, 3.0, 0.0, 2.0]
    drawn = list(eud.WeightedRandomSampler(weights, 200, generator=ember.Generator().manual_seed(0)))  # noqa: E501
    assert len(drawn) == 200
    assert set(drawn) <= {1, 2, 4}
    counts = collections.Counter(drawn)
    assert counts[2] > counts[1]  # weight 3 against weight 1
    distinct = list(eud.WeightedRandomSampler(weights, 3, replacement=False))
    assert sorted(distinct) == [1, 2, 4]
    ours = eud.WeightedRandomSampler(weights, 7)
    assert len(ours) == len(tud.WeightedRandomSampler(weights, 7)) == 7
    assert ours.weights.dtype == ember.float64


@pytest.mark.parametrize(
    ("weights", "num_samples", "replacement"),
    [([1.0, 2.0], 0, True), ([1.0, 2.0], True, True), ([1.0, 2.0], 2, "yes"), ([[1.0], [2.0]], 2, True)],  # noqa: E501
)
def test_weighted_random_sampler_errors_match_torch(weights, num_samples, replacement):
    raises_like_torch(lambda: eud.WeightedRandomSampler(weights, num_samples, replacement),
                      lambda: tud.WeightedRandomSampler(weights, num_samples, replacement))  # fmt: skip


@pytest.mark.parametrize("n", [10, 11])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_matches_torch_without_shuffle(n, drop_last):
    for rank in range(3):
        ours = eud.DistributedSampler(range(n), num_replicas=3, rank=rank, shuffle=False, drop_last=drop_last)  # noqa: E501
        ref = tud.DistributedSampler(range(n), num_replicas=3, rank=rank, shuffle=False, drop_last=drop_last)  # noqa: E501
        assert list(ours) == list(ref)
        assert len(ours) == len(ref)


def test_distributed_sampler_world_size_one_and_epochs():
    sampler = eud.DistributedSampler(range(12))  # one process: num_replicas=1, rank=0
    assert (sampler.num_replicas, sampler.rank, len(sampler)) == (1, 0, 12)
    first = list(sampler)
    assert sorted(first) == list(range(12))
    assert list(sampler) == first  # same epoch, same order
    sampler.set_epoch(1)
    assert sorted(sampler) == list(range(12))
    assert list(sampler) != first


def test_distributed_sampler_shuffled_ranks_partition_the_data():
    parts = [list(eud.DistributedSampler(range(9), num_replicas=3, rank=r, seed=5)) for r in range(3)]  # noqa: E501
    assert sorted(sum(parts, [])) == list(range(9))


def test_distributed_sampler_bad_rank_matches_torch():
    raises_like_torch(lambda: eud.DistributedSampler(range(4), num_replicas=2, rank=2),
                      lambda: tud.DistributedSampler(range(4), num_replicas=2, rank=2))  # fmt: skip


def test_sampler_base_class():
    with pytest.raises(NotImplementedError):
        iter(eud.Sampler())
    assert issubclass(eud.BatchSampler, eud.Sampler)
    assert torch.utils.data.Sampler.__name__ == eud.Sampler.__name__
