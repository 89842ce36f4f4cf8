"""Datasets and random_split against torch: indexing, lengths, combinators and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud


def raises_like_torch(make_ours, make_ref):
    with pytest.raises(Exception) as ref:  # noqa: PT011
        make_ref()
    with pytest.raises(type(ref.value)) as ours:
        make_ours()
    assert str(ours.value) == str(ref.value)


class Squares(eud.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class TorchSquares(tud.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i * i


class Stream(eud.IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_tensor_dataset_matches_torch(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    y = rng.integers(0, 4, 5)
    ours, ref = eud.TensorDataset(ember.tensor(x), ember.tensor(y)), tud.TensorDataset(torch.tensor(x), torch.tensor(y))  # noqa: E501
    assert len(ours) == len(ref) == 5
    for i in (0, 4, -1, slice(1, 3)):
        for a, b in zip(ours[i], ref[i], strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert isinstance(ours[0], tuple)
    raises_like_torch(lambda: eud.TensorDataset(ember.zeros(2), ember.zeros(3)),
                      lambda: tud.TensorDataset(torch.zeros(2), torch.zeros(3)))  # fmt: skip


def test_concat_dataset_matches_torch():
    ours = eud.ConcatDataset([Squares(3), Squares(0), Squares(4)])
    ref = tud.ConcatDataset([TorchSquares(3), TorchSquares(0), TorchSquares(4)])
    assert len(ours) == len(ref) == 7
    assert ours.cumulative_sizes == ref.cumulative_sizes
    assert [ours[i] for i in range(-7, 7)] == [ref[i] for i in range(-7, 7)]
    raises_like_torch(lambda: ours[-8], lambda: ref[-8])
    raises_like_torch(lambda: eud.ConcatDataset([]), lambda: tud.ConcatDataset([]))
    assert isinstance(Squares(2) + Squares(3), eud.ConcatDataset)
    assert len(Squares(2) + Squares(3)) == 5


def test_concat_dataset_rejects_iterable():
    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter([])

    raises_like_torch(lambda: eud.ConcatDataset([Stream([1])]),
                      lambda: tud.ConcatDataset([TorchStream()]))  # fmt: skip


def test_chain_dataset():
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, eud.ChainDataset)
    assert list(chained) == [1, 2, 3]
    assert len(chained) == 3
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(eud.ChainDataset([Squares(2)]))


def test_subset_and_getitems():
    sub = eud.Subset(Squares(10), [9, 2, 5])
    ref = tud.Subset(TorchSquares(10), [9, 2, 5])
    assert len(sub) == len(ref) == 3
    assert [sub[i] for i in range(3)] == [ref[i] for i in range(3)]
    assert sub.__getitems__([2, 0]) == ref.__getitems__([2, 0]) == [25, 81]
    nested = eud.Subset(sub, [1, 2])
    assert nested.__getitems__([0, 1]) == [4, 25]


def test_subset_subclass_must_override_getitems():
    def subclass(base):  # the class name is part of the message
        return type("MySubset", (base,), {"__getitem__": lambda self, idx: 0})

    raises_like_torch(lambda: subclass(eud.Subset)(Squares(3), [0]),
                      lambda: subclass(tud.Subset)(TorchSquares(3), [0]))  # fmt: skip


def test_stack_dataset():
    tup = eud.StackDataset(Squares(3), eud.TensorDataset(ember.arange(3)))
    assert tup[2][0] == 4
    assert tup[2][1][0].item() == 2
    named = eud.StackDataset(a=Squares(3), b=eud.Subset(Squares(5), [4, 3, 2]))
    assert named[0] == {"a": 0, "b": 16}
    assert named.__getitems__([0, 1]) == [{"a": 0, "b": 16}, {"a": 1, "b": 9}]
    assert tup.__getitems__([1])[0][0] == 1
    assert len(named) == 3
    for args, kwargs in [((), {}), ((Squares(2), Squares(3)), {}), ((Squares(2),), {"b": Squares(2)})]:  # noqa: E501
        raises_like_torch(
            lambda a=args, k=kwargs: eud.StackDataset(*a, **k),
            lambda a=args, k=kwargs: tud.StackDataset(
                *[TorchSquares(d.n) for d in a], **{n: TorchSquares(d.n) for n, d in k.items()}
            ),
        )


def test_dataset_base_class():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):  # noqa: E501
        eud.Dataset()[0]


@pytest.mark.parametrize(
    ("n", "lengths"),
    [(10, [3, 7]), (10, [0.3, 0.7]), (11, [0.5, 0.5]), (30, [0.3, 0.3, 0.4]), (7, [0.1, 0.2, 0.7]),
     (1797, [0.8, 0.2]), (5, [1.0])],
)  # fmt: skip
def test_random_split_lengths_match_torch(n, lengths):
    ours = eud.random_split(range(n), lengths, generator=ember.Generator().manual_seed(0))
    ref = tud.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in ref]
    assert all(isinstance(s, eud.Subset) for s in ours)
    assert sorted(i for s in ours for i in s.indices) == list(range(n))


def test_random_split_is_reproducible_and_random():
    def split(seed):
        return [s.indices for s in eud.random_split(range(40), [10, 30], generator=ember.Generator().manual_seed(seed))]  # noqa: E501

    assert split(1) == split(1)
    assert split(1) != split(2)
    ember.manual_seed(3)
    a = [s.indices for s in eud.random_split(range(40), [0.5, 0.5])]
    ember.manual_seed(3)
    assert [s.indices for s in eud.random_split(range(40), [0.5, 0.5])] == a


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [-0.5, 1.5]])
def test_random_split_errors_match_torch(lengths):
    raises_like_torch(lambda: eud.random_split(range(10), lengths),
                      lambda: tud.random_split(range(10), lengths))  # fmt: skip


def test_random_split_warns_on_empty_split_like_torch():
    with pytest.warns(UserWarning) as ref:  # noqa: PT030 - the messages are compared below
        tud.random_split(range(3), [0.1, 0.1, 0.8])
    with pytest.warns(UserWarning) as ours:  # noqa: PT030 - the messages are compared below
        eud.random_split(range(3), [0.1, 0.1, 0.8])
    assert [str(w.message) for w in ours] == [str(w.message) for w in ref]
    assert ours[0].filename == __file__
