"""The op table: one entry per op drives the generic forward/backward/double-backward tests.

Each entry names the op, says how to call it on ember and on torch (the same callable usually
works on both, since ember mirrors torch's API), the input shapes (broadcasting included) and the
domain of the random inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class OpInfo:
    name: str
    fn: Callable[..., Any]  # called as fn(lib, *tensors) with lib = ember or torch
    shapes: list[tuple[int, ...]]
    domain: tuple[float, float] = (-2.0, 2.0)
    grad: bool = True
    gradgrad: bool = True
    atol: float = 1e-5
    rtol: float = 1e-4
    int_inputs: tuple[int, ...] = ()  # positions of integer (index) inputs: (pos, high)
    extra: dict[str, Any] = field(default_factory=dict)


def _u(name: str, domain: tuple[float, float] = (-2.0, 2.0), shapes: Any = None, **kw: Any) -> OpInfo:  # noqa: E501
    return OpInfo(name, lambda lib, x: getattr(lib, name)(x), shapes or [(3, 4)], domain, **kw)


def _b(name: str, shapes: Any = None, domain: tuple[float, float] = (-2.0, 2.0), **kw: Any) -> OpInfo:  # noqa: E501
    return OpInfo(name, lambda lib, a, b: getattr(lib, name)(a, b), shapes or [(3, 4), (4,)], domain, **kw)  # noqa: E501


OPS: list[OpInfo] = [
    # unary math
    _u("exp"), _u("exp2"), _u("log", (0.2, 3.0)), _u("log2", (0.2, 3.0)), _u("log10", (0.2, 3.0)),
    _u("log1p", (-0.5, 2.0)), _u("expm1"), _u("sqrt", (0.2, 3.0)), _u("rsqrt", (0.2, 3.0)),
    _u("abs", (0.1, 2.0)), _u("neg"), _u("reciprocal", (0.3, 2.0)), _u("sin"), _u("cos"),
    _u("tan", (-1.0, 1.0)), _u("asin", (-0.8, 0.8)), _u("acos", (-0.8, 0.8)), _u("atan"),
    _u("sinh"), _u("cosh"), _u("tanh"), _u("asinh"), _u("acosh", (1.2, 3.0)),
    _u("atanh", (-0.8, 0.8)), _u("sigmoid"), _u("relu", (0.1, 2.0)), _u("erf"), _u("erfc"),
    _u("erfinv", (-0.9, 0.9)), _u("square"),
    _u("floor", gradgrad=False), _u("ceil", gradgrad=False), _u("trunc", gradgrad=False),
    _u("round", gradgrad=False),
    OpInfo("relu_neg", lambda lib, x: lib.relu(-x), [(5,)], (0.1, 2.0)),
    OpInfo("clamp", lambda lib, x: lib.clamp(x, -0.5, 0.7), [(4, 5)]),
    OpInfo("clamp_min", lambda lib, x: x.clamp(min=0.1), [(4, 5)]),
    OpInfo("pow_scalar", lambda lib, x: x**3, [(3, 4)]),
    OpInfo("pow_frac", lambda lib, x: x**1.5, [(3, 4)], (0.2, 2.0)),
    OpInfo("pow_tensor", lambda lib, a, b: a**b, [(3, 4), (4,)], (0.3, 2.0)),
    OpInfo("rpow", lambda lib, x: 2.0**x, [(3,)]),
    OpInfo("softmax", lambda lib, x: lib.softmax(x, 1), [(3, 5)]),
    OpInfo("log_softmax", lambda lib, x: lib.log_softmax(x, -1), [(2, 3, 5)]),
    # binary with broadcasting
    _b("add"), _b("sub"), _b("mul"), _b("div", domain=(0.5, 2.0)),
    _b("maximum", [(3, 4), (3, 4)]), _b("minimum", [(3, 4), (1, 4)]),
    _b("atan2", [(3, 4), (3, 4)], domain=(0.3, 2.0)),
    OpInfo("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2.5), [(2, 3), (2, 1)]),
    OpInfo("sub_scalar", lambda lib, a: 3.0 - a, [(2, 3)]),
    OpInfo("rdiv", lambda lib, a: 2.0 / a, [(2, 3)], (0.5, 2.0)),
    OpInfo("mul_bcast3", lambda lib, a, b: a * b, [(2, 1, 4), (3, 1)]),
    OpInfo("where", lambda lib, a, b: lib.where(a > 0, a, b), [(3, 4), (3, 4)]),
    OpInfo("lerp", lambda lib, a, b: lib.lerp(a, b, 0.3), [(3, 4), (3, 4)]),
    OpInfo("addcmul", lambda lib, a, b, c: lib.addcmul(a, b, c, value=0.5), [(3,), (3,), (3,)]),
    # reductions
    OpInfo("sum", lambda lib, x: x.sum(), [(3, 4)]),
    OpInfo("sum_dim", lambda lib, x: x.sum(1), [(3, 4, 2)]),
    OpInfo("sum_dims_keep", lambda lib, x: x.sum((0, 2), keepdim=True), [(3, 4, 2)]),
    OpInfo("mean", lambda lib, x: x.mean(), [(3, 4)]),
    OpInfo("mean_dim", lambda lib, x: x.mean(-1, keepdim=True), [(3, 4)]),
    OpInfo("var", lambda lib, x: x.var(), [(3, 4)]),
    OpInfo("var_dim", lambda lib, x: x.var(1, correction=0), [(3, 4)]),
    OpInfo("std_dim", lambda lib, x: x.std(0), [(5, 2)]),
    OpInfo("prod", lambda lib, x: x.prod(1), [(3, 4)], (0.5, 1.5)),
    OpInfo("prod_all", lambda lib, x: x.prod(), [(2, 3)], (0.5, 1.5)),
    OpInfo("amax", lambda lib, x: x.amax(1), [(3, 4)]),
    OpInfo("max_all", lambda lib, x: x.max(), [(3, 4)]),
    OpInfo("max_dim", lambda lib, x: x.max(1).values, [(3, 4)]),
    OpInfo("min_dim_keep", lambda lib, x: x.min(0, keepdim=True)[0], [(3, 4)]),
    OpInfo("logsumexp", lambda lib, x: lib.logsumexp(x, 1), [(3, 4)]),
    OpInfo("norm", lambda lib, x: x.norm(), [(3, 4)]),
    OpInfo("norm_dim", lambda lib, x: x.norm(dim=1, keepdim=True), [(3, 4)]),
    OpInfo("norm_p1", lambda lib, x: x.norm(p=1), [(3, 4)], (0.1, 2.0)),
    OpInfo("cumsum", lambda lib, x: x.cumsum(1), [(3, 4)]),
    OpInfo("cumprod", lambda lib, x: x.cumprod(1), [(3, 4)], (0.5, 1.5)),
    OpInfo("topk", lambda lib, x: x.topk(2, dim=1).values, [(3, 5)]),
    OpInfo("sort", lambda lib, x: x.sort(dim=0, descending=True).values, [(4, 3)]),
    # shape ops
    OpInfo("view", lambda lib, x: x.view(4, 3) * 2, [(3, 4)]),
    OpInfo("reshape_t", lambda lib, x: x.t().reshape(-1), [(3, 4)]),
    OpInfo("permute", lambda lib, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    OpInfo("transpose", lambda lib, x: x.transpose(0, 2), [(2, 3, 4)]),
    OpInfo("T", lambda lib, x: x.T, [(2, 3)]),
    OpInfo("mT", lambda lib, x: x.mT, [(2, 3, 4)]),
    OpInfo("expand", lambda lib, x: x.expand(2, 3, 4), [(3, 1)]),
    OpInfo("squeeze", lambda lib, x: x.squeeze(1), [(3, 1, 2)]),
    OpInfo("unsqueeze", lambda lib, x: x.unsqueeze(-1), [(3, 2)]),
    OpInfo("flatten", lambda lib, x: x.flatten(1), [(2, 3, 4)]),
    OpInfo("unflatten", lambda lib, x: x.unflatten(1, (2, 2)), [(3, 4)]),
    OpInfo("repeat", lambda lib, x: x.repeat(2, 1, 3), [(3, 2)]),
    OpInfo("flip", lambda lib, x: x.flip(0, 1), [(3, 2)]),
    OpInfo("roll", lambda lib, x: x.roll(1, 0), [(3, 2)]),
    OpInfo("tril", lambda lib, x: x.tril(), [(4, 4)]),
    OpInfo("triu", lambda lib, x: x.triu(1), [(4, 4)]),
    OpInfo("narrow", lambda lib, x: x.narrow(1, 1, 2), [(3, 4)]),
    OpInfo("split", lambda lib, x: x.split(2, 1)[1], [(3, 4)]),
    OpInfo("chunk", lambda lib, x: x.chunk(3, 0)[2], [(5, 2)]),
    OpInfo("unbind", lambda lib, x: x.unbind(1)[0], [(3, 4)]),
    OpInfo("cat", lambda lib, a, b: lib.cat([a, b], 1), [(2, 3), (2, 2)]),
    OpInfo("stack", lambda lib, a, b: lib.stack([a, b], -1), [(2, 3), (2, 3)]),
    OpInfo("diagonal", lambda lib, x: x.diagonal(), [(3, 3)]),
    OpInfo("diag_embed", lambda lib, x: lib.diag_embed(x), [(2, 3)]),
    OpInfo("movedim", lambda lib, x: x.movedim(0, -1), [(2, 3, 4)]),
    # indexing
    OpInfo("getitem_basic", lambda lib, x: x[1, ::2], [(3, 4)]),
    OpInfo("getitem_none_ellipsis", lambda lib, x: x[None, ..., 1:], [(3, 4)]),
    OpInfo("getitem_list", lambda lib, x: x[:, [0, 2, 0]], [(3, 4)]),
    OpInfo("getitem_mask", lambda lib, x: x[x > 0], [(3, 4)]),
    OpInfo("getitem_neg_list", lambda lib, x: x[:, [-1], :], [(2, 3, 4)]),
    OpInfo("gather", lambda lib, x, i: x.gather(1, i), [(3, 4), (3, 2)], int_inputs=((1, 4),)),
    OpInfo("index_select", lambda lib, x, i: x.index_select(0, i), [(4, 3), (5,)], int_inputs=((1, 4),)),  # noqa: E501
    OpInfo("masked_fill", lambda lib, x: x.masked_fill(x > 0.5, -1.0), [(3, 4)]),
    OpInfo("scatter_add", lambda lib, x, s, i: x.scatter_add(0, i, s), [(3, 4), (2, 4), (2, 4)], int_inputs=((2, 3),)),  # noqa: E501
    OpInfo("scatter", lambda lib, x, s, i: x.scatter(1, i, s), [(3, 4), (3, 1), (3, 1)], int_inputs=((2, 4),)),  # noqa: E501
    # linear algebra
    OpInfo("mm", lambda lib, a, b: a @ b, [(3, 4), (4, 2)]),
    OpInfo("matmul_vec", lambda lib, a, b: a @ b, [(3, 4), (4,)]),
    OpInfo("matmul_vecmat", lambda lib, a, b: a @ b, [(4,), (4, 2)]),
    OpInfo("matmul_dot", lambda lib, a, b: a @ b, [(4,), (4,)]),
    OpInfo("matmul_3d2d", lambda lib, a, b: a @ b, [(2, 3, 4), (4, 5)]),
    OpInfo("bmm", lambda lib, a, b: lib.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    OpInfo("matmul_bcast", lambda lib, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    OpInfo("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), [(2,), (3, 4), (4, 2)]),
    OpInfo("einsum", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    OpInfo("einsum_trace_free", lambda lib, a, b: lib.einsum("ij,j->i", a, b), [(3, 4), (4,)]),
    OpInfo("einsum_sum_only", lambda lib, a: lib.einsum("ij->", a), [(3, 4)]),
    OpInfo("outer", lambda lib, a, b: lib.outer(a, b), [(3,), (4,)]),
    OpInfo("linear_like", lambda lib, x, w: x @ w.t(), [(5, 3), (2, 3)]),
    # dtype promotion paths
    OpInfo("float32_times_0d_f64", lambda lib, x, y: x * y.double(), [(3,), ()]),
    OpInfo("clone_contig", lambda lib, x: x.t().contiguous().clone(), [(3, 4)]),
    OpInfo("to_double", lambda lib, x: x.to(lib.float64) * 2, [(3,)]),
]
