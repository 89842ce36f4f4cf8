"""Flatten parameters into one vector and back (``parameters_to_vector``, ``vector_to_parameters``)."""

from __future__ import annotations

from typing import Iterable

from ember._tensor import Tensor, typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old: int | None) -> int:
    dev = param.get_device() if param.device.type == "cuda" else -1
    if old is not None and dev != old:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")  # noqa: E501
    return dev


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    r"""Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable).

    Args:
        parameters (Iterable[Tensor]): the parameters of a model.
    """
    from ember import cat  # noqa: PLC0415

    device = None
    vec = []
    for param in parameters:
        device = _check_param_device(param, device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    r"""Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (their ``.data``).

    Args:
        vec (Tensor): a vector with as many elements as the parameters together.
        parameters (Iterable[Tensor]): the parameters of a model.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_param_device(param, device)
        n = param.numel()
        param.data = vec[pointer : pointer + n].view_as(param).data
        pointer += n
