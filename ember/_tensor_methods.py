"""Attach the op functions to ``Tensor`` as methods and operators (``x.exp()``, ``x + y``)."""

from __future__ import annotations

import importlib
from typing import Any

from ._ops import elementwise as E
from ._ops import indexing as I
from ._ops import shape as S

_SAME_NAME = {
    E: ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow",
        "neg", "negative", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt",
        "rsqrt", "abs", "absolute", "sign", "sgn", "reciprocal", "sin", "cos", "tan", "asin",
        "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid",
        "relu", "erf", "erfc", "erfinv", "square", "clamp", "clip", "clamp_min", "clamp_max",
        "maximum", "minimum", "fmax", "fmin", "lerp", "floor", "ceil", "round", "trunc", "frac",
        "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
        "not_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
        "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isclose",
        "allclose", "equal", "nan_to_num", "addcmul", "addcdiv", "signbit", "hypot", "xlogy",
        "logaddexp", "copysign", "deg2rad", "rad2deg", "float_power", "heaviside", "arccos",
        "arcsin", "arctan", "arccosh", "arcsinh", "arctanh", "fix", "positive", "logit", "sinc",
        "logaddexp2", "isposinf", "isneginf", "isreal", "frexp", "ldexp", "gcd", "lcm", "conj",
        "resolve_conj", "resolve_neg", "is_nonzero", "is_same_size", "addr", "lgamma", "digamma",
        "bitwise_left_shift", "bitwise_right_shift", "nextafter", "mvlgamma"],
    S: ["view", "reshape", "view_as", "permute", "transpose", "swapaxes", "swapdims", "t",
        "expand", "expand_as", "squeeze", "unsqueeze", "flatten", "unflatten", "split", "chunk",
        "unbind", "narrow", "repeat", "tile", "flip", "fliplr", "flipud", "roll", "tril", "triu",
        "movedim", "moveaxis", "broadcast_to", "repeat_interleave", "diagonal", "diag",
        "diag_embed", "tensor_split"],
    I: ["gather", "scatter", "scatter_add", "index_select", "index_add", "masked_fill",
        "masked_select", "nonzero", "argwhere", "take", "take_along_dim", "scatter_reduce",
        "index_copy", "index_fill", "index_put", "select", "ravel", "rot90", "diff", "vsplit",
        "hsplit", "dsplit", "split_with_sizes", "masked_scatter", "unfold", "select_scatter",
        "slice_scatter", "diagonal_scatter", "put", "diagflat"],
}  # fmt: skip

# perf: methods whose module (under ember._ops) loads on the first call of any of them, not at
# `import ember`; "__matmul__" stands for ``matmul``
_LAZY = {
    "linalg": ["matmul", "mm", "bmm", "addmm", "outer", "ger", "dot", "mv", "inner", "baddbmm",
               "addmv", "kron", "cross", "vdot", "__matmul__"],
    "activation": ["softmax", "log_softmax"],
    "reduction": ["sum", "mean", "nansum", "var", "std", "prod", "max", "min", "amax", "amin",
                  "aminmax", "argmax", "argmin", "logsumexp", "norm", "cumsum", "cumprod", "all",
                  "any", "topk", "sort", "argsort", "unique", "count_nonzero", "median", "cummax",
                  "kthvalue", "dist", "msort", "nanmean", "mode", "bincount", "histc",
                  "unique_consecutive", "quantile", "nanquantile", "nanmedian", "cummin",
                  "logcumsumexp", "renorm", "trace", "addbmm", "sum_to_size", "cov",
                  "corrcoef"],
}  # fmt: skip

# in-place forms recorded through a generic "compute, then write back" path
_INPLACE = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sigmoid", "tanh", "clamp", "clip",
            "clamp_min", "clamp_max", "neg", "negative", "abs", "floor", "ceil", "round", "trunc",
            "reciprocal", "sin", "cos", "lerp", "addcmul", "addcdiv", "scatter", "scatter_add",
            "index_add", "index_fill", "index_copy", "index_put", "fmod", "remainder", "square",
            "sign", "tril", "triu", "erf", "erfinv", "floor_divide", "frac", "nan_to_num",
            "logical_not", "logical_and", "logical_or", "atan2", "exp2", "scatter_reduce",
            "sinh", "cosh", "tan", "asin", "acos", "atan", "log2", "log10", "hypot", "xlogy",
            "eq", "ne", "lt", "le", "gt", "ge", "sgn", "trunc", "fix", "acosh", "asinh", "atanh",
            "arccos", "arcsin", "arctan", "arccosh", "arcsinh", "arctanh", "arctan2", "absolute",
            "deg2rad", "rad2deg", "erfc", "greater", "less", "greater_equal", "less_equal",
            "not_equal", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_xor",
            "copysign", "heaviside", "float_power", "gcd", "lcm", "ldexp", "lgamma", "digamma",
            "sinc", "logit", "addr", "masked_scatter", "bitwise_left_shift",
            "bitwise_right_shift", "put", "nextafter", "mvlgamma"]  # fmt: skip
# in-place forms of functions in lazily loaded modules (module under ember._ops, or ember.linalg)
_LAZY_INPLACE = {"reduction": ["cumsum", "cumprod", "renorm", "addbmm"],
                 "linalg": ["addmm", "addmv", "baddbmm"]}  # fmt: skip


def _inplace_fn(fn: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self._needs_graph(*args, *kwargs.values()):
            if self.grad_fn is None and self._rg:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            from ._tensor import _wrap  # noqa: PLC0415

            old = _wrap(self._array.copy(), self._rg, self.grad_fn)
            old._output_nr = self._output_nr
            res = fn(old, *args, **kwargs)
            self._write(res._array)
            self.grad_fn, self._rg, self._output_nr = res.grad_fn, res._rg, res._output_nr
            return self
        res = fn(self, *args, **kwargs)
        self._write(res._array)
        return self

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


def _dtype(name: str) -> Any:
    from . import _dtype as D  # noqa: PLC0415

    return getattr(D, name)


def _lazy_fn(mod: str, name: str) -> Any:
    """``ember._ops.<mod>.<name>``, imported on the first call."""

    def fn(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(f"ember._ops.{mod}"), name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    return fn


def _linalg(name: str) -> Any:
    def method(*args: Any, **kwargs: Any) -> Any:
        from . import linalg  # noqa: PLC0415 - loads on first use

        return getattr(linalg, name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def pinverse(input: Any, rcond: float = 1e-15) -> Any:
    """Pseudo-inverse, singular values below ``rcond`` times the largest dropped."""
    from . import linalg  # noqa: PLC0415 - loads on first use

    return linalg.pinv(input, rtol=rcond)


def logdet(input: Any) -> Any:
    """``log(det(input))``: NaN for a negative determinant, -inf for a singular matrix."""
    from . import linalg  # noqa: PLC0415 - loads on first use

    sign, logabs = linalg.slogdet(input)
    return E.where(sign < 0, logabs.new_full((), float("nan")), logabs)


def _polygamma(self: Any, n: int) -> Any:
    return E.polygamma(n, self)


def _fill_diagonal_(self: Any, fill_value: Any, wrap: bool = False) -> Any:
    from ._tensor import _wrap  # noqa: PLC0415

    return self.masked_fill_(_wrap(I.diagonal_mask(tuple(self.shape), wrap)), fill_value)


def _new(self: Any, *args: Any, **kwargs: Any) -> Any:
    """Legacy ``x.new(...)``: ``x.new(2, 3)`` and ``x.new(size)`` are uninitialised tensors of
    ``x``'s dtype, ``x.new(data)`` copies ``data``, ``x.new()`` is empty."""
    import numpy as np  # noqa: PLC0415

    from ._tensor import Size, Tensor  # noqa: PLC0415

    kwargs.setdefault("device", self.device)
    dtype = kwargs.pop("dtype", self.dtype)
    if not args:
        return self.new_empty((0,), dtype=dtype, **kwargs)
    if all(isinstance(a, int | np.integer) for a in args) or (len(args) == 1 and isinstance(args[0], Size)):  # noqa: E501
        return self.new_empty(*args, dtype=dtype, **kwargs)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].detach().to(dtype)  # torch shares the storage; ember returns a copy
    return self.new_tensor(args[0], dtype=dtype, **kwargs)


def _multinomial(self: Any, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Any:  # noqa: E501
    from ._factory import multinomial  # noqa: PLC0415

    return multinomial(self, num_samples, replacement, generator=generator)


def _bernoulli(self: Any, p: Any = None, *, generator: Any = None) -> Any:
    from ._factory import bernoulli  # noqa: PLC0415

    return bernoulli(self, p, generator=generator)


def _torch_svd(self: Any, some: bool = True, compute_uv: bool = True) -> Any:
    """Legacy ``torch.svd``: ``(U, S, V)`` with ``V`` (not ``Vh``); zeros for U, V without
    ``compute_uv``."""
    from . import linalg, return_types  # noqa: PLC0415 - loads on first use

    u, s, vh = linalg.svd(self, full_matrices=not some)
    v = vh.mT
    if not compute_uv:
        u, v = u.detach() * 0, v.detach() * 0
    return return_types.svd((u, s, v))


def _torch_qr(self: Any, some: bool = True) -> Any:
    from . import linalg  # noqa: PLC0415 - loads on first use

    return linalg.qr(self, "reduced" if some else "complete")


def _cholesky(self: Any, upper: bool = False) -> Any:
    from . import linalg  # noqa: PLC0415 - loads on first use

    return linalg.cholesky(self, upper=upper)


def _apply_(self: Any, callable: Any) -> Any:  # noqa: A002
    """Replace each element by ``callable(element)`` (CPU only, a Python call per element as in
    torch)."""
    import numpy as np  # noqa: PLC0415

    if self.device.type != "cpu":
        raise TypeError("apply_ is only implemented on CPU tensors")
    self._array[...] = np.vectorize(callable, otypes=[self._array.dtype])(self._array)
    self._bump()
    return self


def _map_(self: Any, tensor: Any, callable: Any) -> Any:  # noqa: A002
    """Replace each element by ``callable(element, other_element)`` (CPU only)."""
    import numpy as np  # noqa: PLC0415

    other = np.broadcast_to(tensor._array, self._array.shape)
    self._array[...] = np.vectorize(callable, otypes=[self._array.dtype])(self._array, other)
    self._bump()
    return self


def _dim_order(self: Any, *, ambiguity_check: Any = False) -> tuple[int, ...]:
    """Dimensions from outermost to innermost in memory (by decreasing stride)."""
    strides = self.stride()
    return tuple(sorted(range(self.ndim), key=lambda i: -strides[i]))


def _nn_method(name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        from .nn import functional  # noqa: PLC0415 - loads on first use

        return getattr(functional, name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def _relu_(self: Any) -> Any:
    return self._inplace(E.Relu)


def _masked_fill_(self: Any, mask: Any, value: Any) -> Any:
    from ._tensor import Tensor  # noqa: PLC0415

    if mask.dtype.name != "bool":
        return self.copy_(I.masked_fill(self, mask, value))
    if isinstance(value, Tensor):
        return self._inplace(I.MaskedFill, mask, value.to(self.dtype))
    if not self._needs_graph():
        m = mask._array
        if m.shape != self._array.shape:
            import numpy as np  # noqa: PLC0415

            m = np.broadcast_to(m, self._array.shape) if type(m) is np.ndarray else m
        self._array[m] = value
        self._bump()
        return self
    return self._inplace(I.MaskedFill, mask, None, scalar=value)


def _shape_inplace(fn: Any) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        res = fn(self, *args, **kwargs)
        self._array = res._array
        if res.grad_fn is not None:
            self.grad_fn = res.grad_fn
        return self

    method.__name__ = fn.__name__ + "_"
    return method


def _where(self: Any, condition: Any, y: Any) -> Any:
    return E.where(condition, self, y)


def _rpow(self: Any, other: Any) -> Any:
    return E.pow(other, self)


def _rtruediv(self: Any, other: Any) -> Any:
    return E.mul(E.reciprocal(self if self.dtype._cat >= 2 else self.float()), other)


def _rfloordiv(self: Any, other: Any) -> Any:
    return E.floor_divide(self.new_tensor(other), self)


def _rmod(self: Any, other: Any) -> Any:
    return E.remainder(self.new_tensor(other), self)


def _rmatmul(self: Any, other: Any) -> Any:
    from ._ops.linalg import matmul  # noqa: PLC0415

    return matmul(other, self)


def _iop(inplace_name: str) -> Any:
    def method(self: Any, other: Any) -> Any:
        return getattr(self, inplace_name)(other)

    return method


def _invert(self: Any) -> Any:
    if self.dtype.name == "bool":
        return E.logical_not(self)
    return E.bitwise_not(self)


def install(T: Any) -> None:
    """Attach every op function to ``T`` as a method, plus the Python operators.

    ``T`` is ``Tensor``, typed ``Any`` here: these assignments are what mypy cannot follow, and
    ``ember/_tensor_typing.py`` declares their result for it.
    """
    for mod, names in _SAME_NAME.items():
        for n in names:
            setattr(T, n, getattr(mod, n))
    for n in _INPLACE:
        fn = getattr(E, n, None) or getattr(I, n, None) or getattr(S, n, None)
        if fn is not None:
            setattr(T, n + "_", _inplace_fn(fn))
    for mod_name, names in _LAZY_INPLACE.items():
        for n in names:
            setattr(T, n + "_", _inplace_fn(_lazy_fn(mod_name, n)))
    for n in ("inv", "det", "slogdet", "matrix_power"):
        setattr(T, "inverse" if n == "inv" else n, _linalg(n))
    T.pinverse, T.logdet = pinverse, logdet
    T.polygamma, T.polygamma_ = _polygamma, _inplace_fn(_polygamma)
    T.fill_diagonal_, T.new = _fill_diagonal_, _new
    T.multinomial, T.bernoulli = _multinomial, _bernoulli
    T.reshape_as = lambda self, other: S.reshape(self, tuple(other.shape))
    T.real, T.imag = property(E.real), property(E.imag)
    T.conj_physical = lambda self: E.conj(self).clone()
    T.is_conj = T.is_neg = T.is_inference = lambda self: False
    T.svd, T.qr, T.cholesky = _torch_svd, _torch_qr, _cholesky
    T.apply_, T.map_, T.dim_order = _apply_, _map_, _dim_order
    T.hardshrink, T.prelu = _nn_method("hardshrink"), _nn_method("prelu")
    T.adjoint = lambda self: S.transpose(self, -2, -1)
    T.narrow_copy = lambda self, dim, start, length: S.narrow(self, dim, start, length).clone()
    T.unsafe_chunk, T.unsafe_split, T.unsafe_split_with_sizes = S.chunk, S.split, I.split_with_sizes
    T.new_empty_strided = lambda self, size, stride, **kw: self.new_empty(size, **kw)
    T.resize_as = lambda self, other: self.reshape(other.shape) if self.numel() == other.numel() else self.clone().resize_(other.shape)  # noqa: E501
    T.output_nr = property(lambda self: self._output_nr)
    T.cfloat = lambda self: self.to(_dtype("complex64"))
    T.cdouble = lambda self: self.to(_dtype("complex128"))
    T.relu_ = _relu_
    T.masked_fill_ = _masked_fill_
    for n in ("squeeze", "unsqueeze", "transpose", "t", "swapaxes", "swapdims"):
        setattr(T, n + "_", _shape_inplace(getattr(S, n)))
    T.where = _where
    T.multiply, T.subtract, T.divide = E.mul, E.sub, E.div
    T.absolute = E.abs
    T.arctan2 = E.atan2
    T.__add__ = T.__radd__ = E.add
    T.__sub__ = E.sub
    T.__rsub__ = E.rsub
    T.__mul__ = T.__rmul__ = E.mul
    T.__truediv__ = E.div
    T.__rtruediv__ = _rtruediv
    T.__floordiv__ = E.floor_divide
    T.__rfloordiv__ = _rfloordiv
    T.__mod__ = E.remainder
    T.__rmod__ = _rmod
    T.__pow__ = E.pow
    T.__rpow__ = _rpow
    T.__rmatmul__ = _rmatmul
    T.__neg__ = E.neg
    T.__pos__ = lambda self: self
    T.__abs__ = E.abs
    T.__invert__ = _invert
    T.__and__ = T.__rand__ = E.bitwise_and
    T.__or__ = T.__ror__ = E.bitwise_or
    T.__xor__ = T.__rxor__ = E.bitwise_xor
    T.__eq__ = E.eq
    T.__ne__ = E.ne
    T.__lt__ = E.lt
    T.__le__ = E.le
    T.__gt__ = E.gt
    T.__ge__ = E.ge
    T.__iadd__ = _iop("add_")
    T.__isub__ = _iop("sub_")
    T.__imul__ = _iop("mul_")
    T.__itruediv__ = _iop("div_")
    T.__ipow__ = _iop("pow_")
    T.__ifloordiv__ = _iop("floor_divide_")
    T.__imod__ = _iop("remainder_")
    T.__iand__ = lambda self, o: self.copy_(E.bitwise_and(self, o))
    T.__ior__ = lambda self, o: self.copy_(E.bitwise_or(self, o))
    T.__ixor__ = lambda self, o: self.copy_(E.bitwise_xor(self, o))
    T.__hash__ = lambda self: id(self)
    for mod_name, names in _LAZY.items():
        for name in names:
            setattr(T, name, _lazy_method(T, mod_name, name))


def _lazy_method(T: type, mod: str, name: str) -> Any:
    """A stand-in for method ``name`` of ``ember._ops.<mod>``: the first call of any of the
    module's stand-ins imports it and puts the real functions on ``T``; later calls go straight
    to them."""

    def method(*args: Any, **kwargs: Any) -> Any:
        module = importlib.import_module(f"ember._ops.{mod}")
        for n in _LAZY[mod]:
            setattr(T, n, getattr(module, n.strip("_")))
        return getattr(T, name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method
