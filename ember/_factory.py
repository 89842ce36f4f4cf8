"""Tensor factories: ``tensor``, ``zeros``, ``arange``, ``randn``, the ``*_like`` family..."""

from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as np

from . import _dtype as D
from ._device import CPU, default_device, device, to_device, xp_for
from ._random import _gen
from ._tensor import Tensor, _wrap

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full", "arange",
    "range", "linspace", "logspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like",
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
    "multinomial", "bernoulli", "poisson", "tril_indices", "triu_indices", "meshgrid",
    "empty_strided", "scalar_tensor", "frombuffer", "cartesian_prod", "complex", "polar",
    "set_default_device", "get_default_device",
]  # fmt: skip


_global_device: list[device] = []  # what set_default_device put under the `with device` stack


def set_default_device(device: Any) -> None:  # noqa: A002 - torch's name
    """Make factories (``ember.zeros`` ...) allocate on ``device`` when they are given none;
    ``None`` restores the CPU. ``with ember.device(...)`` blocks still take precedence."""
    from . import _device  # noqa: PLC0415

    stack = _device._default_device
    if _global_device:
        stack.remove(_global_device.pop())
    if device is not None:
        d = _device.device(device)
        _global_device.append(d)
        stack.insert(0, d)


def get_default_device() -> device:
    """The device factories use when given none (with its index, for CUDA)."""
    from ._device import cupy  # noqa: PLC0415

    d = default_device()
    if d.type == "cuda" and d.index is None:
        return device("cuda", cupy().cuda.runtime.getDevice())
    return d


def _dev(dev: Any) -> device:
    return device(dev) if dev is not None else default_device()


def _finish(arr: Any, dev: Any, requires_grad: bool) -> Tensor:
    d = _dev(dev)
    if d.type == "cuda":
        arr = to_device(arr, d)
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _np(dt: D.dtype | None) -> Any:
    return D.to_np(dt) if dt is not None else D.to_np(D.get_default_dtype())


def _infer(data: Any, dtype: D.dtype | None = None) -> Any:
    """Convert Python data (nested lists of numbers / tensors) to a NumPy array with torch's dtype.

    With an explicit ``dtype`` Python numbers go straight to it (``tensor([2.001], dtype=float64)``
    is not rounded through the default float32 first); the caller does the cast.
    """
    if isinstance(data, Tensor):
        return data._array if type(data._array) is np.ndarray else data._array.get()
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, list | tuple) and data and _has_tensor(data):
        data = _untensor(data)
    arr = np.array(data)
    if dtype is not None and arr.dtype.kind in "biufc":
        kind = np.dtype(D.to_np(dtype)).kind
        if arr.dtype.kind == "c" and kind != "c":  # torch refuses to drop an imaginary part
            raise TypeError("must be real number, not complex" if kind == "f" else
                            "'complex' object cannot be interpreted as an integer")
        return arr
    if arr.dtype.kind == "f" and not isinstance(data, np.generic):
        arr = arr.astype(_np(None))
    elif arr.dtype.kind == "c" and not isinstance(data, np.generic):
        arr = arr.astype(np.complex64 if D.get_default_dtype() is not D.float64 else np.complex128)
    elif arr.dtype.kind in "US" or arr.dtype == object:
        raise TypeError(f"new(): invalid data type '{type(_first(data)).__name__}'")
    elif arr.dtype.kind == "i" and arr.dtype != np.int64 and not isinstance(data, np.generic):
        arr = arr.astype(np.int64)
    return arr


def _has_tensor(data: Any) -> bool:
    for x in data:
        if isinstance(x, Tensor) or (isinstance(x, list | tuple) and x and _has_tensor(x)):
            return True
    return False


def _untensor(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data.item() if data.numel() == 1 and data.ndim == 0 else data.tolist()
    if isinstance(data, list | tuple):
        return [_untensor(x) for x in data]
    return data


def _first(data: Any) -> Any:
    while isinstance(data, list | tuple) and data:
        data = data[0]
    return data


def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # noqa: E501
    r"""A new tensor holding a copy of ``data`` (a number, nested sequence, NumPy array or tensor).

    Python floats become the default dtype (float32), ints become int64, bools bool.

    Examples::

        >>> import ember
        >>> ember.tensor([1, 2, 3])
        tensor([1, 2, 3])
        >>> ember.tensor([[0.5, 1.0]], requires_grad=True)
        tensor([[0.5000, 1.0000]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
            "or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        dev = device if device is not None else data.device
        arr = data._array.astype(D.to_np(dtype)) if dtype is not None else data._array.copy()
        t = _wrap(to_device(arr, _dev(dev)) if _dev(dev) != data.device else arr)
        if requires_grad:
            t.requires_grad = True
        return t
    arr = _infer(data, dtype)
    arr = np.array(arr, dtype=D.to_np(dtype) if dtype is not None else None, copy=True)
    return _finish(arr, device, requires_grad)


def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when dtype and device allow."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (device is not None or dtype is not None) else data  # noqa: E501
    if isinstance(data, np.ndarray) and (dtype is None or D.to_np(dtype) == data.dtype) and _dev(device).type == "cpu":  # noqa: E501
        return from_numpy(data)
    arr = _infer(data, dtype)
    if dtype is not None:
        arr = arr.astype(D.to_np(dtype), copy=False)
    return _finish(arr, device, False)


def asarray(obj: Any, *, dtype: D.dtype | None = None, device: Any = None, copy: bool | None = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """``torch.asarray``: shares memory unless ``copy=True`` or a conversion is needed."""
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t.requires_grad = True
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (writes through either are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion between byte orders is currently not supported.")  # noqa: E501
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative "
            "strides are not currently supported. (You can probably work around this by making a "
            "copy of your array  with array.copy().) "
        )
    return _wrap(ndarray)


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], list | tuple):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, int | np.integer):
            raise TypeError(
                f"zeros(): argument 'size' (position 1) must be tuple of ints, but found element of"
                f" type {type(s).__name__} at pos 0"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")  # noqa: E501
        out.append(int(s))
    return tuple(out)


def _filled(size: Any, value: Any, dtype: Any, dev: Any, rg: bool) -> Tensor:
    d = _dev(dev)
    xp = xp_for(d)
    if d.type == "cuda":
        with xp.cuda.Device(d.index or 0):
            arr = xp.full(_size(size), value, dtype=_np(dtype))
    else:
        arr = np.full(_size(size), value, dtype=_np(dtype)) if value != 0 else np.zeros(_size(size), dtype=_np(dtype))  # noqa: E501
    t = _wrap(arr)
    if rg:
        t.requires_grad = True
    return t


def zeros(*size: Any, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # noqa: E501
    """A tensor of zeros of the given size."""
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size: Any, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # noqa: E501
    """A tensor of ones of the given size."""
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size: Any, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False, memory_format: Any = None) -> Tensor:  # noqa: E501
    """An uninitialised tensor (ember fills it with zeros, which is one valid 'uninitialised')."""
    return _filled(size, 0, dtype, device, requires_grad)


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """``empty`` (the strides are not honoured: ember tensors start contiguous)."""
    return _filled(tuple(size), 0, dtype, device, requires_grad)


def full(size: Sequence[int], fill_value: Any, *, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """A tensor filled with ``fill_value`` (its dtype inferred from the value when not given)."""
    if dtype is None:
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        dtype = D.default_for_category(D.scalar_category(fill_value))
    return _filled((tuple(size),) if not isinstance(size, int) else (size,), fill_value, dtype, device, requires_grad)  # noqa: E501


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """A 0-d tensor (default float dtype)."""
    return _filled((), s, dtype, device, requires_grad)


def _like(input: Tensor, dtype: Any, dev: Any) -> tuple[Any, Any]:
    return (dtype or input.dtype), (dev if dev is not None else input.device)


def zeros_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:  # noqa: E501
    """Zeros with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return _filled(input.shape, 0, dt, dv, requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:  # noqa: E501
    """Ones with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return _filled(input.shape, 1, dt, dv, requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:  # noqa: E501
    """Uninitialised (zeros) with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return _filled(input.shape, 0, dt, dv, requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, layout: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:  # noqa: E501
    """``fill_value`` everywhere, with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return _filled(input.shape, fill_value, dt, dv, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, int | np.integer) for v in vals) else D.get_default_dtype()  # noqa: E501
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(n, dtype=np.float64 if dtype._cat >= 2 else np.int64) * vals[2]).astype(D.to_np(dtype))  # noqa: E501
    return _finish(arr, device, requires_grad)


def range(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A001
    """Deprecated inclusive ``arange`` (float by default)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).", UserWarning, stacklevel=2)  # noqa: E501
    n = int(math.floor((end - start) / step)) + 1
    arr = (start + np.arange(n) * step).astype(_np(dtype))
    return _finish(arr, device, requires_grad)


def linspace(start: Any, end: Any, steps: int, *, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    s, e = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    arr = np.linspace(s, e, int(steps), dtype=np.float64).astype(_np(dtype))
    return _finish(arr, device, requires_grad)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """``base ** linspace(start, end, steps)``."""
    arr = np.logspace(start, end, int(steps), base=base).astype(_np(dtype))
    return _finish(arr, device, requires_grad)


def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """The identity matrix (``n x m``)."""
    return _finish(np.eye(n, m, dtype=_np(dtype)), device, requires_grad)


def _rand_out(arr: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    return _finish(arr.astype(_np(dtype), copy=False), device, requires_grad)


def rand(*size: Any, generator: Any = None, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # noqa: E501
    """Uniform samples from ``[0, 1)``."""
    return _rand_out(_gen(generator).random(_size(size)), dtype, device, requires_grad)


def randn(*size: Any, generator: Any = None, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # noqa: E501
    """Samples from the standard normal distribution."""
    g = _gen(generator)
    shape = _size(size)
    arr = g.standard_normal(shape, dtype=np.float32) if (dtype or D.get_default_dtype()) is D.float32 else g.standard_normal(shape)  # noqa: E501
    return _rand_out(arr, dtype, device, requires_grad)


def randint(low: int = 0, high: int | None = None, size: Any = None, *args: Any, generator: Any = None, out: Tensor | None = None, dtype: D.dtype | None = None, layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """Random integers from ``[low, high)`` (int64 by default)."""
    if size is None:
        if isinstance(high, tuple | list):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing 1 required positional arguments: \"size\"")
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")  # noqa: E501
    arr = _gen(generator).integers(low, high, _size((size,) if isinstance(size, int) else tuple(size)))  # noqa: E501
    return _finish(arr.astype(D.to_np(dtype or D.int64)), device, requires_grad)


def randperm(n: int, *, generator: Any = None, out: Tensor | None = None, dtype: D.dtype = D.int64, layout: Any = None, device: Any = None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:  # noqa: E501
    """A random permutation of ``0..n-1``."""
    return _finish(_gen(generator).permutation(int(n)).astype(D.to_np(dtype)), device, requires_grad)  # noqa: E501


def rand_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None, generator: Any = None) -> Tensor:  # noqa: E501
    """``rand`` with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return rand(input.shape, dtype=dt, device=dv, requires_grad=requires_grad, generator=generator)


def randn_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False, memory_format: Any = None, generator: Any = None) -> Tensor:  # noqa: E501
    """``randn`` with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return randn(input.shape, dtype=dt, device=dv, requires_grad=requires_grad, generator=generator)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """``randint`` with ``input``'s shape, dtype and device."""
    dt, dv = _like(input, dtype, device)
    return randint(low, high, tuple(input.shape), dtype=dt, device=dv)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, out: Tensor | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """Normal samples; ``mean`` and ``std`` may be tensors (broadcast) or floats with ``size``."""
    g = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._array if isinstance(mean, Tensor) else mean
        s = std._array if isinstance(std, Tensor) else std
        like = mean if isinstance(mean, Tensor) else std
        arr = g.normal(np.asarray(m, np.float64), np.asarray(s, np.float64))
        return _wrap(np.asarray(arr).astype(like._array.dtype))
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    return _rand_out(g.normal(mean, std, _size((size,) if isinstance(size, int) else tuple(size))), dtype, device, requires_grad)  # noqa: E501


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:  # noqa: E501
    """Sample category indices from rows of (unnormalised) probabilities."""
    p = np.asarray(input._array if type(input._array) is np.ndarray else input._array.get(), np.float64)  # noqa: E501
    if (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    g = _gen(generator)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        tot = row.sum()
        if tot <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")  # noqa: E501
        out[i] = g.choice(row.size, num_samples, replace=replacement, p=row / tot)
    res = out.reshape(p.shape[:-1] + (num_samples,))
    return _wrap(res).to(input.device)


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """1 with probability ``input`` (or ``p``), else 0; same dtype as ``input``."""
    prob = p if p is not None else input._array
    arr = (_gen(generator).random(input.shape) < (prob if type(prob) is not Tensor else prob._array)).astype(input._array.dtype)  # noqa: E501
    return _wrap(arr).to(input.device)


def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Poisson samples with rates ``input``."""
    return _wrap(_gen(generator).poisson(input._array).astype(input._array.dtype))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = D.int64, device: Any = None) -> Tensor:  # noqa: E501
    """Coordinates of the lower triangle, as a ``2 x N`` tensor."""
    return _finish(np.stack(np.tril_indices(row, offset, col)).astype(D.to_np(dtype)), device, False)  # noqa: E501


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = D.int64, device: Any = None) -> Tensor:  # noqa: E501
    """Coordinates of the upper triangle, as a ``2 x N`` tensor."""
    return _finish(np.stack(np.triu_indices(row, offset, col)).astype(D.to_np(dtype)), device, False)  # noqa: E501


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors (``indexing='ij'`` by default, as torch)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    ij = (indexing or "ij") == "ij"
    n = len(tensors)
    shape = [t.numel() for t in tensors]
    if not ij and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(tensors):
        view = [1] * n
        pos = i if ij or n < 2 or i > 1 else 1 - i
        view[pos] = -1
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of the elements of 1-D tensors."""
    from ._ops.shape import stack  # noqa: PLC0415

    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1) if len(tensors) > 1 else tensors[0]


def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001
    """A complex tensor from real and imaginary parts."""
    return _wrap(real._array + 1j * imag._array)


def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002
    """A complex tensor from magnitude and phase."""
    return _wrap(abs._array * np.exp(1j * angle._array))


def frombuffer(buffer: Any, *, dtype: D.dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:  # noqa: E501
    """A 1-D tensor viewing a Python buffer."""
    return _finish(np.frombuffer(buffer, dtype=D.to_np(dtype), count=count, offset=offset), None, requires_grad)  # noqa: E501


def legacy_new(cls: type, dtype: D.dtype, *args: Any, **kwargs: Any) -> Tensor:
    """``ember.Tensor(...)`` / ``ember.FloatTensor(...)``: sizes or data (torch's legacy API)."""
    dev = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got {kwargs}")
    if not args:
        arr = np.zeros((0,), D.to_np(dtype))
    elif len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    elif all(isinstance(a, int | np.integer) for a in args) or (len(args) == 1 and type(args[0]).__name__ == "Size"):  # noqa: E501
        arr = np.zeros(_size(args), D.to_np(dtype))
    elif len(args) == 1:
        arr = np.array(_infer(args[0], dtype), dtype=D.to_np(dtype))
    else:
        raise TypeError(f"new() received an invalid combination of arguments - got {tuple(type(a).__name__ for a in args)}")  # noqa: E501
    t = _finish(arr, dev, False)
    if cls is not Tensor and not getattr(cls, "_legacy_dtype", None):
        t.__class__ = cls  # a user subclass of Tensor
    return t


_ = CPU
