"""Lazy modules: layers whose input size is inferred from the first batch they see.

``nn.LazyLinear(10)`` holds ``UninitializedParameter`` placeholders. A forward pre-hook runs
once, before the first ``forward``: ``initialize_parameters(input)`` reads the input's size,
``materialize``\\s each placeholder into a real ``Parameter`` of the right shape,
``reset_parameters()`` fills it, and the module's class switches to ``cls_to_become``
(``LazyLinear`` becomes ``Linear``). Loading a state_dict into a lazy module materializes from
the checkpoint's shapes instead.

torch keeps these in ``nn/parameter.py``, ``nn/modules/lazy.py``, ``linear.py`` and ``conv.py``;
ember gathers them here.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, TypeGuard

from ember._factory import empty
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.conv import Conv1d, Conv2d, Conv3d
from ember.nn.modules.linear import Linear
from ember.nn.parameter import Parameter

if TYPE_CHECKING:
    # what the mixins are mixed into, so mypy checks their uses of its attributes
    from ember.nn.modules.conv import _ConvNd
    from ember.nn.modules.module import Module

    _TensorHost = Tensor
    _ModuleHost = Module
    _ConvHost = _ConvNd
else:
    _TensorHost = _ModuleHost = _ConvHost = object

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConv3d"]  # fmt: skip


class UninitializedTensorMixin(_TensorHost):
    """A placeholder that knows its dtype and device but not yet its shape."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        r"""Become a real tensor of ``shape`` (uninitialised values), in place."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self._array = empty(shape, device=device, dtype=dtype)._array
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes."
        )

    def size(self, dim: Any = None) -> Any:
        return self.shape

    def numel(self) -> int:
        return self.shape

    def share_memory_(self) -> Any:
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`."
        )

    # mypy 1.19 flags any keyword-only __repr__ override
    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto: Any) -> Any:
        return (self.__class__, (self.requires_grad,))


def is_lazy(param: Any) -> TypeGuard[UninitializedTensorMixin]:
    """Whether ``param`` is still an uninitialized placeholder."""
    return isinstance(param, UninitializedTensorMixin)


# __repr__, as above
class UninitializedParameter(UninitializedTensorMixin, Parameter):  # type: ignore[misc]
    r"""A ``Parameter`` whose shape is not known yet; ``materialize(shape)`` makes it real.

    Examples::

        >>> import ember
        >>> p = ember.nn.UninitializedParameter()
        >>> p
        <UninitializedParameter>
        >>> p.materialize((2, 3)); type(p).__name__, tuple(p.shape)
        ('Parameter', (2, 3))
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,
                dtype: Any = None) -> UninitializedParameter:
        return Parameter.__new__(cls, empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        pass

    def __deepcopy__(self, memo: dict[int, Any]) -> UninitializedParameter:
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    r"""A buffer whose shape is not known yet; ``materialize(shape)`` makes it a plain Tensor."""

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None,
                dtype: Any = None) -> UninitializedBuffer:
        t = empty(0, device=device, dtype=dtype, requires_grad=requires_grad)
        t.__class__ = cls
        return t  # type: ignore[return-value]  # now a cls

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        pass


class LazyModuleMixin(_ModuleHost):
    r"""Mixin for modules that infer parameter shapes from their first input.

    A subclass defines ``initialize_parameters(*inputs)`` (materialize every placeholder) and
    ``cls_to_become`` (the class it turns into afterwards, or ``None`` to stay lazy-classed).
    """

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)  # fmt: skip

    def _save_to_state_dict(self, destination: dict[str, Any], prefix: str,
                            keep_vars: bool) -> None:  # fmt: skip
        # placeholders are saved as themselves: detach() would turn them into empty tensors
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars else param.detach()  # noqa: E501
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _lazy_load_hook(self, state_dict: Any, prefix: str, local_metadata: Any, strict: bool,
                        missing_keys: list[str], unexpected_keys: list[str],
                        error_msgs: list[str]) -> None:  # fmt: skip
        """Materialize placeholders to the shapes of the (initialized) values being loaded."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                value = state_dict[key]
                if is_lazy(param) and not is_lazy(value):
                    with no_grad():
                        param.materialize(value.shape)

    def _load_from_state_dict(self, state_dict: Any, prefix: str, local_metadata: Any,
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:  # fmt: skip
        # A placeholder loaded onto a placeholder has nothing to copy (torch's copy_ of two empty
        # tensors): leave those keys out of the shape checks, and out of the missing keys.
        own = itertools.chain(self._parameters.items(), self._buffers.items())
        skip = {prefix + n for n, p in own
                if is_lazy(p) and is_lazy(state_dict.get(prefix + n))}  # fmt: skip
        if skip:
            state_dict = {k: v for k, v in state_dict.items() if k not in skip}
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
        missing_keys[:] = [k for k in missing_keys if k not in skip]

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still a placeholder."""
        return any(is_lazy(p) for p in itertools.chain(self._parameters.values(),
                                                       self._buffers.values()))  # fmt: skip

    def _infer_parameters(self, module: Any, args: Any, kwargs: Any = None) -> None:
        """The one-shot forward pre-hook: initialize, then become ``cls_to_become``."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self) -> Any:
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. "
            "Run a dummy forward pass to correctly initialize the modules"
        )


class LazyLinear(LazyModuleMixin, Linear):
    r"""A ``Linear`` whose ``in_features`` is inferred from ``input.shape[-1]`` on first call.

    Examples::

        >>> import ember
        >>> m = ember.nn.LazyLinear(4)
        >>> m
        LazyLinear(in_features=0, out_features=4, bias=True)
        >>> _ = m(ember.ones(2, 3)); m
        Linear(in_features=3, out_features=4, bias=True)
    """

    cls_to_become = Linear
    weight: UninitializedParameter  # placeholders until the first forward
    bias: UninitializedParameter  # or None, as Linear's

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, False)  # no bias: it would be replaced right away
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # materialized by load_state_dict
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]


class _LazyConvXdMixin(LazyModuleMixin, _ConvHost):
    """``in_channels`` from the input's channel dim; ``_nd`` (spatial dims) comes from the conv."""

    weight: UninitializedParameter  # placeholders until the first forward
    bias: UninitializedParameter | None

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with no_grad():
                self.weight.materialize((self.out_channels, self.in_channels // self.groups,
                                         *self.kernel_size))  # fmt: skip
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        no_batch = self._nd + 1
        if input.ndim not in (no_batch, no_batch + 1):
            raise RuntimeError(
                f"Expected {no_batch}D (unbatched) or {no_batch + 1}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.ndim == no_batch + 1 else input.shape[0]


def _lazy_conv(base: type) -> type:
    def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        # LazyModuleMixin.__init__ registers the hooks and passes the arguments on to the conv
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                                 padding_mode, device, dtype)  # fmt: skip
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    name = f"Lazy{base.__name__}"
    doc = (f"A ``{base.__name__}`` whose ``in_channels`` is inferred from the input on the "
           f"first call; it then becomes a regular ``{base.__name__}``.")  # fmt: skip
    return type(name, (_LazyConvXdMixin, base), {
        "__init__": __init__, "cls_to_become": base, "__doc__": doc,
        "__module__": __name__, "__qualname__": name})  # fmt: skip


LazyConv1d = _lazy_conv(Conv1d)
LazyConv2d = _lazy_conv(Conv2d)
LazyConv3d = _lazy_conv(Conv3d)
