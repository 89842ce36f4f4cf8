"""``linear`` and ``bilinear``: the functions behind ``nn.Linear`` and ``nn.Bilinear``."""

from __future__ import annotations

from ember._ops.linalg import linear_op
from ember._tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Apply :math:`y = xA^T + b`; recorded as torch's ``AddmmBackward0`` for 2-D input.

    Args:
        input: :math:`(*, H_{in})`.
        weight: :math:`(H_{out}, H_{in})` or :math:`(H_{in})`.
        bias: :math:`(H_{out})` or :math:`()`, optional.
    """
    return linear_op(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    r"""Apply :math:`y_k = x_1^T A_k x_2 + b_k` over the last dimension of both inputs.

    Args:
        input1: :math:`(*, H_{in1})`.
        input2: :math:`(*, H_{in2})` with the same leading dimensions.
        weight: :math:`(H_{out}, H_{in1}, H_{in2})`.
        bias: :math:`(H_{out})`, optional.
    """
    from ember._ops.elementwise import add  # noqa: PLC0415
    from ember._ops.linalg import einsum  # noqa: PLC0415

    if input1.ndim != input2.ndim:
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}"
        )
    for i, (n1, n2) in enumerate(zip(input1.shape[:-1], input2.shape[:-1])):
        if n1 != n2:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {n1} and {n2}"
            )
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
            f"expected {weight.shape[1]}"
        )
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
            f"expected {weight.shape[2]}"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return add(out, bias) if bias is not None else out
