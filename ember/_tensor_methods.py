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
        "logaddexp", "copysign", "deg2rad", "rad2deg", "float_power", "heaviside"],
    S: ["view", "reshape", "view_as", "permute", "transpose", "swapaxes", "swapdims", "t",
        "expand", "expand_as", "squeeze", "unsqueeze", "flatten", "unflatten", "split", "chunk",
        "unbind", "narrow", "repeat", "tile", "flip", "fliplr", "flipud", "roll", "tril", "triu",
        "movedim", "moveaxis", "broadcast_to", "repeat_interleave", "diagonal", "diag",
        "diag_embed", "tensor_split"],
    I: ["gather", "scatter", "scatter_add", "index_select", "index_add", "masked_fill",
        "masked_select", "nonzero", "argwhere", "take", "take_along_dim", "scatter_reduce",
        "index_copy", "index_fill", "index_put"],
}  # fmt: skip

# perf: methods whose module (under ember._ops) loads on the first call of any of them, not at
# `import ember`; "__matmul__" stands for ``matmul``
_LAZY = {
    "linalg": ["matmul", "mm", "bmm", "addmm", "outer", "ger", "dot", "mv", "inner", "baddbmm",
               "addmv", "kron", "cross", "__matmul__"],
    "activation": ["softmax", "log_softmax"],
    "reduction": ["sum", "mean", "nansum", "var", "std", "prod", "max", "min", "amax", "amin",
                  "aminmax", "argmax", "argmin", "logsumexp", "norm", "cumsum", "cumprod", "all",
                  "any", "topk", "sort", "argsort", "unique", "count_nonzero", "median", "cummax",
                  "kthvalue", "dist", "msort", "nanmean", "mode", "bincount", "histc",
                  "unique_consecutive"],
}  # fmt: skip

# in-place forms recorded through a generic "compute, then write back" path
_INPLACE = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sigmoid", "tanh", "clamp", "clip",
            "clamp_min", "clamp_max", "neg", "negative", "abs", "floor", "ceil", "round", "trunc",
            "reciprocal", "sin", "cos", "lerp", "addcmul", "addcdiv", "scatter", "scatter_add",
            "index_add", "index_fill", "index_copy", "index_put", "fmod", "remainder", "square",
            "sign", "tril", "triu", "erf", "erfinv", "floor_divide", "frac", "nan_to_num",
            "logical_not", "logical_and", "logical_or", "atan2", "exp2", "scatter_reduce",
            "sinh", "cosh", "tan", "asin", "acos", "atan", "log2", "log10", "hypot", "xlogy",
            "eq", "ne", "lt", "le", "gt", "ge", "sgn", "trunc", "fix"]  # fmt: skip


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


def install(T: type) -> None:
    """Attach every op function to ``T`` as a method, plus the Python operators."""
    for mod, names in _SAME_NAME.items():
        for n in names:
            setattr(T, n, getattr(mod, n))
    for n in _INPLACE:
        fn = getattr(E, n, None) or getattr(I, n, None) or getattr(S, n, None)
        if fn is not None:
            setattr(T, n + "_", _inplace_fn(fn))
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
    for mod, names in _LAZY.items():
        for name in names:
            setattr(T, name, _lazy_method(T, mod, name))


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
