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

# Tensor methods and torch functions filled in later (see tests/_ops/test_tensor_extras.py too)
OPS += [
    _u("arccos", (-0.8, 0.8)), _u("arcsinh"), _u("sinc"), _u("lgamma", (0.2, 4.0)),
    _u("digamma", (0.2, 4.0)),
    OpInfo("lgamma_neg", lambda lib, x: lib.lgamma(x), [(3, 4)], (-2.9, -2.1)),
    OpInfo("polygamma1", lambda lib, x: lib.polygamma(1, x), [(3, 4)], (0.3, 4.0)),
    OpInfo("polygamma2_method", lambda lib, x: x.polygamma(2), [(5,)], (0.5, 3.0), rtol=1e-3),
    OpInfo("logit", lambda lib, x: x.logit(), [(3, 4)], (0.1, 0.9)),
    OpInfo("logit_eps", lambda lib, x: lib.logit(x, 0.2), [(3, 4)], (0.01, 0.99)),
    _b("logaddexp2", [(3, 4), (4,)]),
    OpInfo("ldexp", lambda lib, x: lib.ldexp(x, lib.tensor([1, 2, 3, 0])), [(3, 4)]),
    OpInfo("addr", lambda lib, c, a, b: lib.addr(c, a, b, beta=0.5, alpha=2.0), [(3, 4), (3,), (4,)]),  # noqa: E501
    OpInfo("select", lambda lib, x: x.select(1, -1), [(3, 4, 2)]),
    OpInfo("select_fn", lambda lib, x: lib.select(x, 0, 1), [(3, 4)]),
    OpInfo("ravel", lambda lib, x: lib.ravel(x.t()), [(3, 4)]),
    OpInfo("reshape_as", lambda lib, x, y: x.reshape_as(y) * y, [(3, 4), (2, 6)]),
    OpInfo("unfold", lambda lib, x: x.unfold(1, 3, 2), [(2, 7, 3)]),
    OpInfo("unfold_overlap", lambda lib, x: x.unfold(0, 3, 1), [(6,)]),
    OpInfo("unfold_twice", lambda lib, x: x.unfold(0, 2, 1).unfold(1, 2, 2), [(5, 4)]),
    OpInfo("rot90", lambda lib, x: x.rot90(1, [1, 2]), [(2, 3, 4)]),
    OpInfo("rot90_k3", lambda lib, x: lib.rot90(x, -1), [(3, 4)]),
    OpInfo("diff", lambda lib, x: lib.diff(x, 2, 0), [(5, 3)]),
    OpInfo("diff_prepend", lambda lib, x, p: x.diff(dim=1, prepend=p), [(3, 4), (3, 2)]),
    OpInfo("hsplit", lambda lib, x: lib.hsplit(x, [1, 3])[1], [(2, 5)]),
    OpInfo("split_with_sizes", lambda lib, x: x.split_with_sizes([1, 3], 1)[1], [(2, 4)]),
    OpInfo("sum_to_size", lambda lib, x: x.sum_to_size(3, 1), [(2, 3, 4)]),
    OpInfo("trace", lambda lib, x: x.trace(), [(3, 4)]),
    OpInfo("renorm", lambda lib, x: x.renorm(2, 0, 1.5), [(3, 4)]),
    OpInfo("renorm_p1", lambda lib, x: x.renorm(1, 1, 2.0), [(3, 4)], (0.1, 2.0)),
    OpInfo("quantile", lambda lib, x: x.quantile(0.3), [(3, 4)]),
    OpInfo("quantile_dim", lambda lib, x: x.quantile(x.new_tensor([0.2, 0.9]), dim=1, keepdim=True), [(3, 5)]),  # noqa: E501
    OpInfo("quantile_mid", lambda lib, x: x.quantile(0.4, 0, interpolation="midpoint"), [(4, 3)]),  # noqa: E501
    OpInfo("nanquantile", lambda lib, x: x.nanquantile(0.5, -1), [(3, 4)]),
    OpInfo("nanmedian", lambda lib, x: x.nanmedian(), [(3, 5)]),
    OpInfo("nanmedian_dim", lambda lib, x: x.nanmedian(1).values, [(3, 5)]),
    OpInfo("cummin", lambda lib, x: x.cummin(1).values, [(3, 5)]),
    OpInfo("logcumsumexp", lambda lib, x: x.logcumsumexp(1), [(3, 5)], gradgrad=False),
    OpInfo("masked_scatter", lambda lib, x, s: x.masked_scatter(x > 0, s), [(3, 4), (20,)]),
    OpInfo("addbmm", lambda lib, c, a, b: c.addbmm(a, b, alpha=0.5), [(3, 2), (4, 3, 5), (4, 5, 2)]),  # noqa: E501
]  # fmt: skip
OPS += [
    OpInfo("select_scatter", lambda lib, x, s: lib.select_scatter(x, s, 1, -1), [(3, 4), (3,)]),
    OpInfo("slice_scatter", lambda lib, x, s: lib.slice_scatter(x, s, 1, 1, None, 2), [(3, 5), (3, 2)]),  # noqa: E501
    OpInfo("diagonal_scatter", lambda lib, x, s: lib.diagonal_scatter(x, s, 1, 0, 2), [(3, 2, 4), (2, 3)]),  # noqa: E501
    OpInfo("put", lambda lib, x, s: x.put(lib.tensor([0, -1, 4, 4]), s, accumulate=True), [(3, 4), (2, 2)]),  # noqa: E501
    OpInfo("diagflat", lambda lib, x: lib.diagflat(x, -1), [(2, 2)]),
    OpInfo("cov", lambda lib, x: x.cov(), [(3, 5)]),
    OpInfo("cov_weights", lambda lib, x, w: x.cov(correction=0, aweights=w), [(3, 5), (5,)], (0.5, 2.0)),  # noqa: E501
    OpInfo("corrcoef", lambda lib, x: x.corrcoef(), [(3, 5)]),
    OpInfo("adjoint", lambda lib, x: x.adjoint(), [(2, 3, 4)]),
]  # fmt: skip
