"""``ember.Tensor``: one NumPy/CuPy array plus the autograd fields, with torch's methods.

The class is kept lean (``__slots__``); math lives in ``ember/_ops`` and is attached to the class
as methods at the bottom of this file, so ``x.exp()`` and ``ember.exp(x)`` are one function.
"""

from __future__ import annotations

import builtins
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from . import _dtype as D
from ._device import CPU, device, device_of, to_device
from .autograd.grad_mode import _state

if TYPE_CHECKING:
    from ._tensor_typing import TensorMethods as _Methods

    # Tensor's methods int(), float(), bool() shadow the builtins in its annotations
    _int = builtins.int
    _float = builtins.float
    _bool = builtins.bool
else:
    _Methods = object  # the methods themselves are attached by _tensor_methods.install

__all__ = ["Tensor", "Size", "typename"]

_new = object.__new__
_generic = np.generic


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i: Any) -> Any:
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other: Any) -> Size:
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> Size:
        return Size(tuple(other) + tuple(self))

    def __reduce__(self) -> Any:
        return (Size, (tuple(self),))


def _wrap(array: Any, requires_grad: bool = False, grad_fn: Any = None) -> Tensor:
    """Wrap an array as a Tensor without copying (the internal constructor)."""
    t = _new(Tensor)
    t._array = array
    t._rg = requires_grad
    t.grad_fn = grad_fn
    t._grad = None
    t._vc = None
    t._output_nr = 0
    t._accumulator = None
    t._meta = None
    return t


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}  # fmt: skip


def typename_of(t: Tensor) -> str:
    """torch's legacy type name of a tensor: ``torch.FloatTensor``, ``torch.cuda.LongTensor``."""
    base = "torch.cuda." if t.is_cuda else "torch."
    return f"{base}{_LEGACY.get(t.dtype.name, t.dtype.name)}Tensor"


def typename(obj: Any) -> str:
    """``torch.typename``: the legacy type name of a tensor, else the qualified class name."""
    if isinstance(obj, Tensor):
        return typename_of(obj)
    module = getattr(type(obj), "__module__", "") or ""
    qual = type(obj).__qualname__
    return qual if module in ("builtins", "__builtin__", "") else f"{module}.{qual}"


def _is_scalar(x: Any) -> bool:
    return isinstance(x, int | float | bool | complex | _generic)


class _TensorMeta(type):
    """Metaclass of the classes that ``isinstance`` answers for by a check of their own (the
    legacy types such as ``ember.FloatTensor``, and ``nn.Buffer``).

    ``Tensor`` itself keeps the plain ``type`` metaclass. perf: a Python ``__instancecheck__``
    on Tensor would cost ~0.4 us on every ``isinstance(x, Tensor)`` that is False (a scalar
    operand), in every op.
    """

    def __instancecheck__(cls, obj: Any) -> bool:
        check = getattr(cls, "_legacy_check", None)
        if check is not None:
            return check(obj)
        return type.__instancecheck__(cls, obj)


class Tensor(_Methods):
    r"""A multi-dimensional array with reverse-mode autograd, as ``torch.Tensor``.

    Create tensors with :func:`ember.tensor`, :func:`ember.zeros`, ... Calling ``ember.Tensor``
    directly is the legacy constructor: sizes give an uninitialised float tensor, a sequence gives
    its data as float32.

    Examples::

        >>> import ember
        >>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> y = (x * x).sum()
        >>> y.backward()
        >>> x.grad
        tensor([[2., 4.],
                [6., 8.]])
    """

    __slots__ = ("_array", "_rg", "grad_fn", "_grad", "_vc", "_output_nr", "_accumulator",
                 "_meta", "__weakref__")  # fmt: skip
    _array: Any  # numpy.ndarray or cupy.ndarray
    _rg: bool  # requires_grad
    grad_fn: Any  # the Node that made this tensor, None for a leaf
    _grad: Tensor | None
    _vc: list[int] | None  # version counter, shared by views; None until first written
    _output_nr: int  # which output of grad_fn this tensor is
    _accumulator: Any  # a leaf's AccumulateGrad node, made on first use
    _meta: dict[str, Any] | None  # rarely used state: retains_grad, hooks
    __array_priority__ = 1000  # numpy scalars defer to our reflected operators

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        from ._factory import legacy_new  # noqa: PLC0415

        return legacy_new(cls, D.float32, *args, **kwargs)

    # --- attributes ---------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._array.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._array.shape)
        from ._ops.shape import _dim  # noqa: PLC0415

        return self._array.shape[_dim(dim, self._array.ndim)]

    @property
    def dtype(self) -> D.dtype:
        return D._FROM_NP[self._array.dtype]

    @property
    def device(self) -> device:
        a = self._array
        return CPU if type(a) is np.ndarray else device_of(a)

    @property
    def is_cuda(self) -> bool:
        return type(self._array) is not np.ndarray

    is_cpu = property(lambda self: type(self._array) is np.ndarray)
    is_sparse = False
    is_quantized = False
    is_meta = False
    is_mps = False
    is_nested = False
    layout = property(lambda self: _strided())

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._array.size

    nelement = numel

    @property
    def itemsize(self) -> int:
        return self._array.itemsize

    def element_size(self) -> int:
        return self._array.itemsize

    @property
    def nbytes(self) -> int:
        return self._array.nbytes

    def stride(self, dim: int | None = None) -> Any:
        st = tuple(s // self._array.itemsize for s in self._array.strides)
        if dim is None:
            return st
        from ._ops.shape import _dim  # noqa: PLC0415

        return st[_dim(dim, self._array.ndim)]

    def storage_offset(self) -> int:
        return 0

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._array.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def get_device(self) -> int:
        return -1 if type(self._array) is np.ndarray else self._array.device.id

    def data_ptr(self) -> int:
        a = self._array
        return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr

    def untyped_storage(self) -> Any:
        return _Storage(self)

    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's name
        from ._ops.shape import permute  # noqa: PLC0415

        return permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - torch's name
        from ._ops.shape import transpose  # noqa: PLC0415

        if self.ndim < 2:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")  # noqa: E501
        return transpose(self, -2, -1)

    H = T
    mH = mT

    # --- autograd fields ----------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")  # noqa: E501
        self._rg = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and self._grad is None and not self.retains_grad and _warn_nonleaf[0]:  # noqa: E501
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on"
                " the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you"
                " access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for "
                "more informations.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")  # noqa: E501
            if value._array.shape != self._array.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if value._array.dtype != self._array.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value.device != self.device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return bool(self._meta and self._meta.get("retains_grad"))

    @property
    def _version(self) -> int:
        return self._vc[0] if self._vc is not None else 0

    def _bump(self) -> None:
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    @property
    def data(self) -> Tensor:
        return _wrap(self._array)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._array = value._array

    def detach(self) -> Tensor:
        t = _wrap(self._array)
        if self._vc is None:
            self._vc = [0]
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._rg = False
        return self

    def retain_grad(self) -> None:
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        import weakref  # noqa: PLC0415

        node = self.grad_fn
        node._hooked = True
        node._single = None
        if node._retain is None:
            node._retain = {}
        node._retain[self._output_nr] = weakref.ref(self)
        self._meta = {**(self._meta or {}), "retains_grad": True}

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad."""
        from .utils.hooks import RemovableHandle  # noqa: PLC0415

        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            self._meta = self._meta or {}
            hooks = self._meta.setdefault("hooks", _HookList())
        else:
            node = self.grad_fn
            node._hooked = True
            node._single = None
            if node._tensor_hooks is None:
                node._tensor_hooks = {}
            hooks = node._tensor_hooks.setdefault(self._output_nr, _HookList())
        h = RemovableHandle(hooks)
        hooks[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        from .utils.hooks import RemovableHandle  # noqa: PLC0415

        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")  # noqa: E501
        self._meta = self._meta or {}
        hooks = self._meta.setdefault("post_acc_hooks", _HookList())
        h = RemovableHandle(hooks)
        hooks[h.id] = hook
        return h

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:  # fmt: skip
        r"""Accumulate the gradient of this tensor into the ``.grad`` of the leaves it came from."""
        from .autograd import backward  # noqa: PLC0415

        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # --- conversion ---------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if type(self._array) is not np.ndarray:
            if force:
                return self._array.get()
            raise TypeError(
                f"can't convert {self.device.type}:{self.device.index} device type tensor to numpy."
                " Use Tensor.cpu() to copy the tensor to host memory first."
            )
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")  # noqa: E501
        return self._array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self._array if type(self._array) is np.ndarray else self._array.get()
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self) -> Any:
        a = self._array
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        return a.reshape(()).item() if type(a) is np.ndarray else a.reshape(()).get().item()

    def tolist(self) -> Any:
        a = self._array
        return a.tolist() if type(a) is np.ndarray else a.get().tolist()

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        r"""Move and/or cast: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``."""
        dev, dt, _, copy = _parse_to(*args, **kwargs)
        return _to(self, dev, dt, copy)

    def type(self, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
        if dtype is None:
            return typename_of(self)
        if isinstance(dtype, str):
            name = dtype.replace("torch.cuda.", "").replace("torch.", "").replace("Tensor", "")
            rev = {v: k for k, v in _LEGACY.items()}
            dt = D.BY_NAME[rev[name]]
            dev = device("cuda") if "cuda" in dtype else self.device
            return _to(self, dev, dt, False)
        if isinstance(dtype, type) and hasattr(dtype, "_legacy_dtype"):
            dev = device("cuda") if getattr(dtype, "is_cuda", False) else CPU
            return _to(self, dev, dtype._legacy_dtype, False)
        return _to(self, None, dtype, False)

    def type_as(self, other: Tensor) -> Tensor:
        return _to(self, other.device, other.dtype, False)

    def float(self) -> Tensor:  # noqa: A003
        return _to(self, None, D.float32, False)

    def double(self) -> Tensor:
        return _to(self, None, D.float64, False)

    def half(self) -> Tensor:
        return _to(self, None, D.float16, False)

    def bfloat16(self) -> Tensor:
        return _to(self, None, D.bfloat16, False)

    def long(self) -> Tensor:
        return _to(self, None, D.int64, False)

    def int(self) -> Tensor:  # noqa: A003
        return _to(self, None, D.int32, False)

    def short(self) -> Tensor:
        return _to(self, None, D.int16, False)

    def char(self) -> Tensor:
        return _to(self, None, D.int8, False)

    def byte(self) -> Tensor:
        return _to(self, None, D.uint8, False)

    def bool(self) -> Tensor:  # noqa: A003
        return _to(self, None, D.bool, False)

    def cpu(self, memory_format: Any = None) -> Tensor:
        return _to(self, CPU, None, False)

    def cuda(self, device: Any = None, non_blocking: _bool = False, memory_format: Any = None) -> Tensor:  # noqa: E501
        from ._device import device as _device  # noqa: PLC0415

        d = _device("cuda", device) if isinstance(device, int) or device is None else _device(device)  # noqa: E501
        if d.index is None:
            from . import cuda as _cuda  # noqa: PLC0415

            d = _device("cuda", _cuda.current_device())
        return _to(self, d, None, False)

    def to_sparse(self, *args: Any, **kwargs: Any) -> Any:
        from ._sparse import to_sparse  # noqa: PLC0415

        return to_sparse(self, *args, **kwargs)

    def to_dense(self, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
        return self if dtype is None else self.to(dtype)

    def pin_memory(self, device: Any = None) -> Tensor:
        return self

    def is_pinned(self, device: Any = None) -> _bool:
        return False

    def share_memory_(self) -> Tensor:
        return self

    def is_shared(self) -> _bool:
        return False

    def clone(self, *, memory_format: Any = None) -> Tensor:
        from ._ops.copy import Clone  # noqa: PLC0415

        return Clone.apply(self)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        if self._array.flags.c_contiguous:
            return self
        from ._ops.copy import Clone  # noqa: PLC0415

        return Clone.apply(self)

    def _alias(self) -> Tensor:
        from ._ops.shape import View  # noqa: PLC0415

        return View.apply(self, shape=self._array.shape)

    # --- Python protocol ----------------------------------------------------------------------
    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._tensor_repr import tensor_repr  # noqa: PLC0415

        return tensor_repr(self)

    def __len__(self) -> _int:
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        from ._ops.shape import unbind  # noqa: PLC0415

        return iter(unbind(self, 0))

    def __hash__(self) -> _int:
        return id(self)

    def __index__(self) -> _int:
        if self.dtype._cat != 1 or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")  # noqa: E501
        return builtins.int(self.item())

    def __int__(self) -> _int:
        return builtins.int(self.item())

    def __float__(self) -> _float:
        return builtins.float(self.item())

    def __complex__(self) -> complex:
        return builtins.complex(self.item())

    def __bool__(self) -> _bool:
        if self._array.size != 1:
            if self._array.size == 0:
                raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self.item())

    def __format__(self, spec: str) -> str:
        if self._array.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto: Any) -> Any:
        from .serialization import _reduce_tensor  # noqa: PLC0415

        return _reduce_tensor(self)

    def __deepcopy__(self, memo: dict[_int, Any]) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                "because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self), _wrap(self._array.copy())) if type(self) is not Tensor else _wrap(self._array.copy())  # noqa: E501
        new._rg = self._rg
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            import copy  # noqa: PLC0415

            for k, v in self.__dict__.items():
                setattr(new, k, copy.deepcopy(v, memo))
        memo[id(self)] = new
        return new

    def __setstate__(self, state: Any) -> None:
        pass

    # --- in-place machinery -------------------------------------------------------------------
    def _inplace(self, op: Any, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``op`` out of place and write the result back; the graph follows torch's rules."""
        if _state.enabled and (self._rg or builtins.any(a is not None and a._rg for a in args)):
            if self.grad_fn is None and self._rg:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            old = _wrap(self._array.copy() if op.inplace_needs_copy else self._array, self._rg, self.grad_fn)  # noqa: E501
            old._output_nr = self._output_nr
            if not op.inplace_needs_copy:
                old._vc = self._vc
            res = op.apply(old, *args, **kwargs)
            self._write(res._array)
            self.grad_fn = res.grad_fn
            self._rg = True
            self._output_nr = 0
            if op.save_output:
                # _write above bumped the version, so _vc is a list
                res.grad_fn._out = (self._array, self._vc, self._vc[0])  # type: ignore[index]
            return self
        from .autograd.function import NO_CTX  # noqa: PLC0415

        self._write(op.forward(NO_CTX, self, *args, **kwargs))
        return self

    def _write(self, out: Any) -> None:
        """Write ``out`` into this tensor's memory (torch's in-place casting rules)."""
        a = self._array
        od = out.dtype if hasattr(out, "dtype") else np.asarray(out).dtype
        if od != a.dtype and D._FROM_NP.get(od, D.float64)._cat > self.dtype._cat:
            raise RuntimeError(
                f"result type {_LEGACY.get(D._FROM_NP[od].name, od)} can't be cast to the desired "
                f"output type {_LEGACY.get(self.dtype.name)}"
            )
        if getattr(out, "shape", a.shape) != a.shape:
            try:
                np.broadcast_shapes(out.shape, a.shape)
                if np.broadcast_shapes(out.shape, a.shape) != a.shape:
                    raise ValueError
            except ValueError:
                raise RuntimeError(
                    f"output with shape {list(a.shape)} doesn't match the broadcast shape "
                    f"{list(np.broadcast_shapes(out.shape, a.shape)) if _bcast_ok(out.shape, a.shape) else list(out.shape)}"  # noqa: E501
                ) from None
        if a.ndim == 0:
            a[()] = out
        else:
            a[...] = out
        self._bump()

    # fast in-place arithmetic with no graph (optimizer updates, init)
    def _ufunc_(self, ufunc: Any, other: Any, op: Any, **kw: Any) -> Tensor:
        if not _state.enabled or not (self._rg or (isinstance(other, Tensor) and other._rg)):
            o = other._array if isinstance(other, Tensor) else other
            if isinstance(other, Tensor) and other.dtype._cat > self.dtype._cat or (not isinstance(other, Tensor) and D.scalar_category(other) > self.dtype._cat):  # noqa: E501
                dn = other.dtype.name if isinstance(other, Tensor) else type(other).__name__
                raise RuntimeError(
                    f"result type {_LEGACY.get(dn, 'Float').replace('float', 'Float')} can't be "
                    f"cast to the desired output type {_LEGACY.get(self.dtype.name)}"
                )
            alpha = kw.get("alpha", 1)
            if alpha != 1:
                o = o * alpha
            a = self._array
            if a.ndim == 0:
                a[()] = ufunc(a, o)
            else:
                if np.ndim(o) > a.ndim or (np.ndim(o) and not _fits(np.shape(o), a.shape)):
                    if not _bcast_ok(np.shape(o), a.shape):
                        from ._ops.shape import broadcast_error  # noqa: PLC0415

                        raise broadcast_error(a.shape, np.shape(o))
                    raise RuntimeError(
                        f"output with shape {list(a.shape)} doesn't match the broadcast shape "
                        f"{list(np.broadcast_shapes(np.shape(o), a.shape))}"
                    )
                ufunc(a, o, out=a, casting="unsafe")
            self._bump()
            return self
        from ._ops.elementwise import _promote  # noqa: PLC0415

        _, b, s = _promote(self, other)
        if b is not None and b.dtype is not self.dtype:
            b = b.to(self.dtype)
        return self._inplace(op, b, **({"scalar": s} if b is None else {}), **kw)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return self._ufunc_(np.add, other, _ops_e.Add, alpha=alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return self._ufunc_(np.subtract, other, _ops_e.Sub, alpha=alpha)

    def mul_(self, other: Any) -> Tensor:
        return self._ufunc_(np.multiply, other, _ops_e.Mul)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        if rounding_mode is not None:
            return self.copy_(_ops_e.div(self, other, rounding_mode=rounding_mode))
        if self.dtype._cat < 2:
            raise RuntimeError("result type Float can't be cast to the desired output type " + _LEGACY[self.dtype.name])  # noqa: E501
        return self._ufunc_(np.true_divide, other, _ops_e.Div)

    true_divide_ = divide_ = div_
    multiply_ = mul_
    subtract_ = sub_

    def pow_(self, exponent: Any) -> Tensor:
        return self.copy_(_ops_e.pow(self, exponent)) if not self._needs_graph(exponent) else self._inplace(_ops_e.Pow, exponent=exponent)  # noqa: E501

    def _needs_graph(self, *others: Any) -> _bool:
        return _state.enabled and (self._rg or builtins.any(isinstance(o, Tensor) and o._rg for o in others))  # noqa: E501

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value.ndim} dimensions."
                )
            value = value.item()
        if self._needs_graph():
            if self.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")  # noqa: E501
            from ._ops.copy import Fill  # noqa: PLC0415

            return self._inplace(Fill, value=value)
        a = self._array
        if a.ndim:
            a.fill(value)
        else:
            a[()] = value
        self._bump()
        return self

    def copy_(self, src: Any, non_blocking: _bool = False) -> Tensor:
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' (position 1) must be Tensor, not {type(src).__name__}")  # noqa: E501
        if self._needs_graph(src):
            if self.grad_fn is None and self._rg:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")  # noqa: E501
            from ._ops.copy import CopyFrom  # noqa: PLC0415

            return self._inplace(CopyFrom, src)
        s = src._array
        a = self._array
        if type(s) is not type(a):
            s = to_device(s, self.device)
        try:
            np.broadcast_shapes(s.shape, a.shape)
            ok = np.broadcast_shapes(s.shape, a.shape) == a.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"The size of tensor a ({a.shape[-1] if a.ndim else 1}) must match the size of "
                f"tensor b ({s.shape[-1] if s.ndim else 1}) at non-singleton dimension "
                f"{a.ndim - 1 if a.ndim else 0}"
            )
        if a.ndim == 0:
            a[()] = s
        else:
            np.copyto(a, s, casting="unsafe") if type(a) is np.ndarray else a.__setitem__(Ellipsis, s)  # noqa: E501
        self._bump()
        return self

    def set_(self, source: Tensor) -> Tensor:
        self._array = source._array
        return self

    def resize_(self, *sizes: Any) -> Tensor:
        from ._ops.shape import _shape_arg  # noqa: PLC0415

        shape = _shape_arg(sizes)
        a = self._array
        n = builtins.int(np.prod(shape))
        flat = a.reshape(-1)
        if n <= flat.size:
            self._array = flat[:n].reshape(shape)
        else:
            new = np.zeros(n, a.dtype) if type(a) is np.ndarray else type(a)(n, a.dtype)
            new[: flat.size] = flat
            self._array = new.reshape(shape)
        return self

    def resize_as_(self, other: Tensor) -> Tensor:
        return self.resize_(other.shape)

    def uniform_(self, a: _float = 0.0, b: _float = 1.0, *, generator: Any = None) -> Tensor:
        from ._random import _gen  # noqa: PLC0415

        return self._fill_random(_gen(generator).uniform(a, b, self._array.shape))

    def normal_(self, mean: _float = 0.0, std: _float = 1.0, *, generator: Any = None) -> Tensor:
        from ._random import _gen  # noqa: PLC0415

        return self._fill_random(_gen(generator).normal(mean, std, self._array.shape))

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        from ._random import _gen  # noqa: PLC0415

        pp = p._array if isinstance(p, Tensor) else p
        return self._fill_random(_gen(generator).random(self._array.shape) < pp)

    def exponential_(self, lambd: _float = 1.0, *, generator: Any = None) -> Tensor:
        from ._random import _gen  # noqa: PLC0415

        return self._fill_random(_gen(generator).exponential(1.0 / lambd, self._array.shape))

    def random_(self, low: _int = 0, high: _int | None = None, *, generator: Any = None) -> Tensor:
        from ._random import _gen  # noqa: PLC0415

        if high is None:
            low, high = 0, (low if low else 2**24)
        return self._fill_random(_gen(generator).integers(low, high, self._array.shape))

    def geometric_(self, p: _float, *, generator: Any = None) -> Tensor:
        from ._random import _gen  # noqa: PLC0415

        return self._fill_random(_gen(generator).geometric(p, self._array.shape))

    def log_normal_(self, mean: _float = 1.0, std: _float = 2.0, *, generator: Any = None) -> Tensor:  # noqa: E501
        from ._random import _gen  # noqa: PLC0415

        return self._fill_random(_gen(generator).lognormal(mean, std, self._array.shape))

    def cauchy_(self, median: _float = 0.0, sigma: _float = 1.0, *, generator: Any = None) -> Tensor:  # noqa: E501
        from ._random import _gen  # noqa: PLC0415

        return self._fill_random(median + sigma * _gen(generator).standard_cauchy(self._array.shape))  # noqa: E501

    def _fill_random(self, values: Any) -> Tensor:
        if self._needs_graph() and self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")  # noqa: E501
        a = self._array
        if type(a) is not np.ndarray:
            values = to_device(np.asarray(values), self.device)
        if a.ndim == 0:
            a[()] = values
        else:
            a[...] = values
        self._bump()
        return self

    # --- indexing -----------------------------------------------------------------------------
    def __getitem__(self, idx: Any) -> Tensor:
        return _ops_i.index(self, idx)

    def __setitem__(self, idx: Any, value: Any) -> None:
        nidx, basic = _ops_i.convert_index(idx)
        if isinstance(value, Tensor):
            v = value
        else:
            v = _wrap(np.asarray(value, dtype=self._array.dtype) if type(self._array) is np.ndarray else to_device(np.asarray(value, dtype=self._array.dtype), self.device))  # noqa: E501
        if self._needs_graph(v):
            if self.grad_fn is None and self._rg:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")  # noqa: E501
            self._inplace(_ops_i.IndexPut, v if v.dtype is self.dtype else v.to(self.dtype), idx=nidx)  # noqa: E501
            return
        va = v._array
        if type(va) is not type(self._array):
            va = to_device(va, self.device)
        try:
            self._array[nidx] = va
        except ValueError as e:
            raise RuntimeError(str(e).replace("could not broadcast input array from shape", "shape mismatch: value tensor of shape").replace(" into shape ", " cannot be broadcast to indexing result of shape ")) from None  # noqa: E501
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        self._bump()

    # --- new_* constructors -------------------------------------------------------------------
    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:  # noqa: E501
        from ._factory import tensor  # noqa: PLC0415

        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)  # noqa: E501

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:  # noqa: E501
        return self._new_full(size, 0, dtype, device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:  # noqa: E501
        return self._new_full(size, 1, dtype, device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:  # noqa: E501
        return self._new_full(size, 0, dtype, device, requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: _bool = False) -> Tensor:  # noqa: E501
        return self._new_full((size,), fill_value, dtype, device, requires_grad)

    def _new_full(self, size: Any, value: Any, dtype: Any, dev: Any, rg: _bool) -> Tensor:
        from ._ops.shape import _shape_arg  # noqa: PLC0415

        shape = _shape_arg(size) if size else ()
        d = dtype or self.dtype
        xp = np if (dev is None and type(self._array) is np.ndarray) or (dev is not None and device(dev).type == "cpu") else _xp_of(self, dev)  # noqa: E501
        arr = xp.full(shape, value, dtype=D.to_np(d))
        t = _wrap(arr)
        if rg:
            t.requires_grad = True
        return t


def _xp_of(t: Tensor, dev: Any) -> Any:
    from ._device import array_namespace, cupy, device as _d  # noqa: PLC0415

    if dev is not None:
        return cupy() if _d(dev).type == "cuda" else np
    return array_namespace(t._array)


def _fits(src: tuple[int, ...], dst: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(src, dst) == dst
    except ValueError:
        return False


def _bcast_ok(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


class _HookList(dict):
    """Hooks on one output of a node, in registration order."""


_warn_nonleaf = [True]


class _Storage:
    """Minimal stand-in for ``untyped_storage()``: identity and size of the underlying buffer."""

    def __init__(self, t: Tensor) -> None:
        a = t._array
        while getattr(a, "base", None) is not None:
            a = a.base
        self._base = a

    def data_ptr(self) -> int:
        a = self._base
        return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr

    def nbytes(self) -> int:
        return self._base.nbytes

    def size(self) -> int:
        return self._base.nbytes


def _strided() -> Any:
    from . import strided  # noqa: PLC0415

    return strided


def zeros_like_array(t: Tensor) -> Tensor:
    """A zero tensor shaped like ``t`` (used to fill in missing output grads)."""
    from ._device import array_namespace  # noqa: PLC0415

    return _wrap(array_namespace(t._array).zeros_like(t._array))


# --- to(): argument parsing shared with nn.Module.to ------------------------------------------


def _parse_to(*args: Any, **kwargs: Any) -> tuple[Any, Any, bool, bool]:
    """Parse ``to``'s overloads into ``(device, dtype, non_blocking, copy)``."""
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    non_blocking = kwargs.pop("non_blocking", False)
    copy = kwargs.pop("copy", False)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected keyword {next(iter(kwargs))!r}")  # noqa: E501
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dev, dt = other.device, other.dtype
    elif rest and isinstance(rest[0], D.dtype):
        dt = rest.pop(0)
    elif rest and (isinstance(rest[0], str | device | builtins.int) and not isinstance(rest[0], builtins.bool)):  # noqa: E501
        dev = rest.pop(0)
        if rest and isinstance(rest[0], D.dtype):
            dt = rest.pop(0)
    elif rest and rest[0] is None:
        rest.pop(0)
        if rest and isinstance(rest[0], D.dtype):
            dt = rest.pop(0)
    if rest and isinstance(rest[0], builtins.bool):
        non_blocking = rest.pop(0)
        if rest and isinstance(rest[0], builtins.bool):
            copy = rest.pop(0)
    if rest:
        raise TypeError(f"to() received an invalid combination of arguments - got {tuple(type(a).__name__ for a in args)}")  # noqa: E501
    if dev is not None:
        dev = device(dev)
        if dev.type == "cuda" and dev.index is None:
            from . import cuda as _cuda  # noqa: PLC0415

            dev = device("cuda", _cuda.current_device())
    if dt is not None and not isinstance(dt, D.dtype):
        raise TypeError(f"to() received an invalid dtype {dt!r}")
    return dev, dt, non_blocking, copy


def _to(t: Tensor, dev: Any, dt: Any, copy: bool) -> Tensor:
    same_dev = dev is None or dev == t.device
    same_dt = dt is None or dt is t.dtype
    if same_dev and same_dt and not copy:
        return t
    from ._ops.copy import ToCopy  # noqa: PLC0415

    if t._rg and dt is not None and not (dt.is_floating_point or dt.is_complex):
        # an integer or bool result cannot carry a gradient: torch records no node for it
        from .autograd.grad_mode import no_grad  # noqa: PLC0415

        with no_grad():
            return ToCopy.apply(t, dtype=dt, device=None if same_dev else dev)
    return ToCopy.apply(t, dtype=dt, device=None if same_dev else dev)


from .autograd import function as _function  # noqa: E402

_function._wrap = _wrap
_function._Tensor = Tensor

from ._ops import elementwise as _ops_e  # noqa: E402
from ._ops import indexing as _ops_i  # noqa: E402
from ._tensor_methods import install as _install  # noqa: E402

_install(Tensor)
