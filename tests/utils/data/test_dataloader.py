"""DataLoader against torch: batches, shuffling, lengths, option errors; worker processes against in-process loading."""  # noqa: E501

from __future__ import annotations

import collections
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

Pair = collections.namedtuple("Pair", ["x", "y"])


def describe(obj):
    if isinstance(obj, ember.Tensor | torch.Tensor):
        return ("tensor", str(obj.dtype).replace("ember.", "torch."), tuple(obj.shape), obj.tolist())
    if isinstance(obj, dict):
        return (type(obj).__name__, [(k, describe(v)) for k, v in obj.items()])
    if isinstance(obj, list | tuple):
        return (type(obj).__name__, [describe(v) for v in obj])
    return (type(obj).__name__, obj)


def raises_like_torch(make_ours, make_ref):
    with pytest.raises(Exception) as ref:  # noqa: PT011
        make_ref()
    with pytest.raises(type(ref.value)) as ours:
        make_ours()
    assert str(ours.value) == str(ref.value)


class Records(eud.Dataset):
    """Samples of mixed types: (float32 array, int label, str name, float weight)."""

    def __init__(self, n, rng=None):
        rng = rng or np.random.default_rng(0)
        self.x = rng.standard_normal((n, 3)).astype(np.float32)
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.x[i], i, f"s{i}", i / 2


class TorchRecords(Records, tud.Dataset):
    pass


class Stream(eud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = eud.get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))  # each worker its share

    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def tensor_pair(n=23):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return eud.TensorDataset(ember.tensor(x), ember.arange(n))


@pytest.mark.parametrize(
    ("batch_size", "drop_last"), [(1, False), (1, True), (4, False), (4, True), (7, False), (7, True), (None, False)]  # noqa: E501
)  # batch_size=None with drop_last=True is an error, tested below
def test_sequential_batches_match_torch(batch_size, drop_last):
    ours = eud.DataLoader(Records(10), batch_size=batch_size, drop_last=drop_last)
    ref = tud.DataLoader(TorchRecords(10), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(ref)
    assert [describe(b) for b in ours] == [describe(b) for b in ref]


def test_tensor_dataset_batches_match_torch():
    n = 11
    x = np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)
    ours = eud.DataLoader(eud.TensorDataset(ember.tensor(x), ember.arange(n)), batch_size=4)
    ref = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.arange(n)), batch_size=4)
    assert [describe(b) for b in ours] == [describe(b) for b in ref]
    xb, yb = next(iter(ours))
    assert isinstance(xb, ember.Tensor)
    assert xb.dtype == ember.float32
    assert yb.dtype == ember.int64


def test_shuffle_with_seeded_generator():
    ds = tensor_pair(23)

    def epochs(seed, k=3):
        loader = eud.DataLoader(ds, batch_size=5, shuffle=True, generator=ember.Generator().manual_seed(seed))  # noqa: E501
        return [[y.tolist() for _, y in loader] for _ in range(k)]

    ref = tud.DataLoader(tud.TensorDataset(torch.zeros(23)), batch_size=5, shuffle=True)
    first = epochs(0)
    for epoch in first:
        assert [len(b) for b in epoch] == [len(b) for (b,) in ref]  # 5, 5, 5, 5, 3
        assert sorted(sum(epoch, [])) == list(range(23))  # every sample once per epoch
    assert first[0] != first[1]  # reshuffled each epoch
    assert epochs(0) == first  # reproducible
    assert epochs(1) != first


def test_shuffle_without_generator_follows_manual_seed():
    loader = eud.DataLoader(tensor_pair(20), batch_size=20, shuffle=True)
    ember.manual_seed(5)
    a = next(iter(loader))[1].tolist()
    ember.manual_seed(5)
    assert next(iter(loader))[1].tolist() == a
    assert a != list(range(20))


def test_samplers_and_collate_fn():
    ds = tensor_pair(10)
    sampler = eud.SubsetRandomSampler([1, 3, 5, 7], generator=ember.Generator().manual_seed(0))
    got = [y.tolist() for _, y in eud.DataLoader(ds, batch_size=3, sampler=sampler)]
    assert [len(b) for b in got] == [3, 1]
    assert sorted(sum(got, [])) == [1, 3, 5, 7]
    batches = [[0, 9], [4], [2, 2]]
    loader = eud.DataLoader(ds, batch_sampler=batches)
    assert [y.tolist() for _, y in loader] == batches
    assert len(loader) == 3
    assert loader.batch_size is None
    loader = eud.DataLoader(ds, batch_size=4, collate_fn=lambda b: [int(y) for _, y in b])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_loader_attributes_match_torch():
    ours, ref = eud.DataLoader(Records(5), batch_size=2), tud.DataLoader(TorchRecords(5), batch_size=2)  # noqa: E501
    assert type(ours.sampler).__name__ == type(ref.sampler).__name__
    assert type(ours.batch_sampler).__name__ == type(ref.batch_sampler).__name__
    assert (ours.batch_size, ours.drop_last, ours.num_workers, ours.prefetch_factor, ours.timeout) == (  # noqa: E501
        ref.batch_size, ref.drop_last, ref.num_workers, ref.prefetch_factor, ref.timeout)
    assert ours.collate_fn is eud.default_collate
    assert eud.DataLoader(Records(5), batch_size=None).collate_fn is eud.default_convert
    assert eud.DataLoader(Records(5), num_workers=2).prefetch_factor == 2
    shuffled = eud.DataLoader(Records(5), shuffle=True)
    assert isinstance(shuffled.sampler, eud.RandomSampler)


def test_iterable_dataset_batches_and_len_match_torch():
    for kwargs in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        ours, ref = eud.DataLoader(Stream(8), **kwargs), tud.DataLoader(TorchStream(8), **kwargs)
        assert len(ours) == len(ref)
        assert [describe(b) for b in ours] == [describe(b) for b in ref]


ERROR_CASES = {
    "batch_sampler_and_batch_size": ({"batch_sampler": [[0]], "batch_size": 2}, False),
    "batch_sampler_and_shuffle": ({"batch_sampler": [[0]], "shuffle": True}, False),
    "batch_sampler_and_drop_last": ({"batch_sampler": [[0]], "drop_last": True}, False),
    "sampler_and_shuffle": ({"sampler": [0, 1], "shuffle": True}, False),
    "negative_workers": ({"num_workers": -1}, False),
    "negative_timeout": ({"timeout": -1}, False),
    "prefetch_without_workers": ({"prefetch_factor": 2}, False),
    "negative_prefetch": ({"num_workers": 1, "prefetch_factor": -1}, False),
    "persistent_without_workers": ({"persistent_workers": True}, False),
    "no_batch_size_and_drop_last": ({"batch_size": None, "drop_last": True}, False),
    "context_without_workers": ({"multiprocessing_context": "fork"}, False),
    "bad_start_method": ({"num_workers": 1, "multiprocessing_context": "telepathy"}, False),
    "bad_context_type": ({"num_workers": 1, "multiprocessing_context": 3}, False),
    "iterable_shuffle": ({"shuffle": True}, True),
    "iterable_sampler": ({"sampler": [0]}, True),
    "iterable_batch_sampler": ({"batch_sampler": [[0]]}, True),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_option_errors_match_torch(case):
    kwargs, iterable = ERROR_CASES[case]
    if "sampler" in kwargs and iterable:  # the message shows the sampler's repr: use one object
        shared = kwargs["sampler"]
        kwargs = {"sampler": shared}
    ours = Stream(3) if iterable else Records(3)
    ref = TorchStream(3) if iterable else TorchRecords(3)
    raises_like_torch(lambda: eud.DataLoader(ours, **kwargs), lambda: tud.DataLoader(ref, **kwargs))


def test_attributes_are_frozen_after_init_like_torch():
    ours, ref = eud.DataLoader(Records(3)), tud.DataLoader(TorchRecords(3))
    for attr in ("batch_size", "sampler", "drop_last", "dataset"):
        raises_like_torch(lambda a=attr: setattr(ours, a, None), lambda a=attr: setattr(ref, a, None))  # noqa: E501
    ours.num_workers = 0  # others stay settable


def test_single_process_timeout_is_rejected_like_torch():
    raises_like_torch(lambda: iter(eud.DataLoader(Records(3), timeout=1)),
                      lambda: iter(tud.DataLoader(TorchRecords(3), timeout=1)))  # fmt: skip


def test_pin_memory_warns_like_torch_without_accelerator():
    if ember.cuda.is_available() or torch.accelerator.is_available():
        pytest.skip("the warning is only given where no accelerator is present")
    with pytest.warns(UserWarning) as ref:  # noqa: PT030 - the messages are compared below
        next(iter(tud.DataLoader(TorchRecords(3), pin_memory=True)))
    with pytest.warns(UserWarning) as ours:  # noqa: PT030 - the messages are compared below
        batch = next(iter(eud.DataLoader(Records(3), pin_memory=True)))
    assert [str(w.message) for w in ours] == [str(w.message) for w in ref]
    assert isinstance(batch[0], ember.Tensor)


def test_iterable_length_warning_like_torch():
    class TooLong(Stream):
        def __len__(self):
            return 2

    class TorchTooLong(TorchStream):
        def __len__(self):
            return 2

    ours, ref = eud.DataLoader(TooLong(3)), tud.DataLoader(TorchTooLong(3))
    assert len(ours) == len(ref) == 2
    with pytest.warns(UserWarning) as w_ref:  # noqa: PT030 - the messages are compared below
        list(ref)
    with pytest.warns(UserWarning) as w_ours:  # noqa: PT030 - the messages are compared below
        list(ours)
    clean = [str(w.message).replace(repr(ref.dataset), "DS") for w in w_ref]
    assert [str(w.message).replace(repr(ours.dataset), "DS") for w in w_ours] == clean


def test_get_worker_info_in_main_process():
    assert eud.get_worker_info() is None


# --- worker processes ----------------------------------------------------------------------------


def batches(loader):
    return [describe(b) for b in loader]


def test_workers_return_the_same_batches_as_in_process():
    ds = Records(37)
    for kwargs in ({"batch_size": 4}, {"batch_size": 5, "drop_last": True}, {"batch_size": None}):
        base = batches(eud.DataLoader(ds, **kwargs))
        assert batches(eud.DataLoader(ds, num_workers=2, **kwargs)) == base
    shuffled = [batches(eud.DataLoader(ds, batch_size=6, shuffle=True, num_workers=w,
                                       generator=ember.Generator().manual_seed(9)))
                for w in (0, 2)]  # fmt: skip
    assert shuffled[0] == shuffled[1]


def test_workers_with_prefetch_and_worker_init_fn():
    ds = tensor_pair(30)
    base = batches(eud.DataLoader(ds, batch_size=4))
    loader = eud.DataLoader(ds, batch_size=4, num_workers=2, prefetch_factor=1,
                            worker_init_fn=lambda worker_id: None)  # fmt: skip
    assert batches(loader) == base


class WhoLoads(eud.Dataset):
    """Each sample records which worker loaded it and that worker's seed."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = eud.get_worker_info()
        return i, info.id, info.num_workers, info.seed, ember.initial_seed()


def test_worker_info_and_seeds():
    loader = eud.DataLoader(WhoLoads(), batch_size=2, num_workers=2)
    rows = [list(zip(*(c.tolist() for c in b))) for b in loader]
    samples = [s for batch in rows for s in batch]
    assert [s[0] for s in samples] == list(range(8))
    assert [s[1] for s in samples] == [0, 0, 1, 1, 0, 0, 1, 1]  # batches go round-robin
    assert {s[2] for s in samples} == {2}
    seeds = {s[1]: s[3] for s in samples}
    assert seeds[1] == seeds[0] + 1  # base_seed + worker id
    assert all(s[4] == s[3] for s in samples)  # the worker seeded ember with it


def test_iterable_dataset_with_workers():
    got = sorted(sum((b.tolist() for b in eud.DataLoader(Stream(11), batch_size=2, num_workers=2)), []))  # noqa: E501
    assert got == list(range(11))


def test_persistent_workers_serve_several_epochs():
    ds = tensor_pair(17)
    base = batches(eud.DataLoader(ds, batch_size=3))
    loader = eud.DataLoader(ds, batch_size=3, num_workers=2, persistent_workers=True)
    first = iter(loader)
    next(first)  # leave an epoch unfinished: the next epoch must still start clean
    for _ in range(2):
        assert batches(loader) == base
    assert iter(loader) is loader._iterator


class Faulty(eud.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise ValueError("bad sample 3")
        return i


def test_worker_exception_is_reraised_like_torch():
    torch_iter = iter(tud.DataLoader(Faulty(), batch_size=2, num_workers=2))
    with pytest.raises(ValueError) as ref:  # noqa: PT011 - the message is compared below
        list(torch_iter)
    torch_iter._shutdown_workers()  # now: left to the garbage collector, torch's takes 10 s
    with pytest.raises(ValueError) as ours:  # noqa: PT011
        list(eud.DataLoader(Faulty(), batch_size=2, num_workers=2))
    first_line = str(ref.value).splitlines()[0]
    assert first_line == "Caught ValueError in DataLoader worker process 1."
    assert str(ours.value).splitlines()[0] == first_line
    assert str(ours.value).splitlines()[-1] == "ValueError: bad sample 3"


class Slow(eud.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.5)
        return i


def test_worker_timeout():
    loader = eud.DataLoader(Slow(), num_workers=1, timeout=0.1)
    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.1 seconds$"):
        next(iter(loader))


# --- the whole-batch path for TensorDataset and the array stack in default_collate ---------------


def test_tensor_dataset_batches_are_fresh_memory():
    x = ember.zeros(6, 2)
    (xb,) = next(iter(eud.DataLoader(eud.TensorDataset(x), batch_size=3)))
    xb[0, 0] = 7.0
    assert x[0, 0].item() == 0.0
    assert not xb.requires_grad
    assert xb.grad_fn is None


def test_tensor_dataset_requiring_grad_batches_like_torch():
    x = np.ones((4, 2), dtype=np.float32)
    ours = next(iter(eud.DataLoader(eud.TensorDataset(ember.tensor(x, requires_grad=True)), batch_size=2)))  # noqa: E501
    ref = next(iter(tud.DataLoader(tud.TensorDataset(torch.tensor(x, requires_grad=True)), batch_size=2)))  # noqa: E501
    assert ours[0].requires_grad == ref[0].requires_grad
    # the batch stays in the graph (ember.stack records CatBackward0 where torch has StackBackward0)
    assert (ours[0].grad_fn is None) == (ref[0].grad_fn is None)


def test_tensor_dataset_subclass_getitem_is_used():
    class Doubled(eud.TensorDataset):
        def __getitem__(self, index):
            return tuple(2 * t[index] for t in self.tensors)

    batches = [b.tolist() for (b,) in eud.DataLoader(Doubled(ember.arange(4)), batch_size=2)]
    assert batches == [[0, 2], [4, 6]]


def test_tensor_dataset_out_of_range_index_errors_like_torch():
    raises_like_torch(
        lambda: list(eud.DataLoader(eud.TensorDataset(ember.arange(4)), batch_sampler=[[0, 4]])),
        lambda: list(tud.DataLoader(tud.TensorDataset(torch.arange(4)), batch_sampler=[[0, 4]])),
    )


def test_collate_of_mixed_tensors_follows_torch():
    for pair in ([np.float32, np.int64], [np.int32, np.int64]):
        arrays = [np.ones(2, dtype=dt) for dt in pair]
        ours = eud.default_collate([ember.tensor(a) for a in arrays])
        ref = tud.default_collate([torch.tensor(a) for a in arrays])
        assert describe(ours) == describe(ref)
    raises_like_torch(lambda: eud.default_collate([ember.ones(2), ember.ones(3)]),
                      lambda: tud.default_collate([torch.ones(2), torch.ones(3)]))  # fmt: skip
