"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` (multi-layer, bidirectional) and their cells.

Each layer and direction projects its whole input sequence with one GEMM; only the recurrent
product ``h @ W_hh^T`` and the gate math run once per time step. Without
projections, each direction runs as one fused op (``ember._ops.rnn.Recurrence``, hand-written
BPTT), padded or packed; ``proj_size`` uses the composed step functions below.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import TYPE_CHECKING, Any

import ember
from ember._ops.linalg import linear_op
from ember._ops.rnn import Recurrence
from ember._tensor import Tensor

from ..parameter import Parameter

if TYPE_CHECKING:
    # one layer-direction's weights: w_ih, w_hh, b_ih, b_hh, w_hr (the last three optional)
    _Weights = tuple[Tensor, Tensor, Tensor | None, Tensor | None, Tensor | None]
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# --- one time step of each cell (gi = input projection incl. b_ih, already computed) ----------


def _rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu: bool) -> Tensor:
    pre = ember.addmm(gi, h, w_hh) if b_hh is None else ember.addmm(gi + b_hh, h, w_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None,
               w_hr: Tensor | None) -> tuple[Tensor, Tensor]:
    gates = ember.addmm(gi, h, w_hh) if b_hh is None else ember.addmm(gi + b_hh, h, w_hh)
    H = c.shape[-1]
    s = gates.sigmoid()  # perf: one sigmoid over all four gates; g's slice is unused
    c = s[:, H:2 * H] * c + s[:, :H] * gates[:, 2 * H:3 * H].tanh()
    h = s[:, 3 * H:] * c.tanh()
    if w_hr is not None:
        h = h.mm(w_hr)
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    gh = h.mm(w_hh) if b_hh is None else ember.addmm(b_hh, h, w_hh)
    H = h.shape[-1]
    rz = (gi[:, :2 * H] + gh[:, :2 * H]).sigmoid()
    n = (gi[:, 2 * H:] + rz[:, :H] * gh[:, 2 * H:]).tanh()  # torch: b_hn sits inside r * (...)
    return n + rz[:, H:] * (h - n)


def _run_direction(mode: str, x: Tensor, h: Tensor, c: Tensor | None, w: _Weights,
                   reverse: bool, sizes: list[int] | None) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer, one direction; returns ``(out, h_T, c_T)``.

    ``x`` is time-major ``(T, B, I)``, or packed rows ``(sum(sizes), I)`` with ``sizes[t]``
    sequences (sorted longest first) still running at step ``t``.
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = w
    fold = mode != "GRU" and b_ih is not None  # GRU keeps b_hh apart (it sits inside r * ...)
    gi_all = linear_op(x, w_ih, b_ih + b_hh if fold else b_ih)  # perf: one GEMM for all steps
    b_rec = None if fold else b_hh
    if w_hr is None and x.shape[0] > 0:
        return _fused(mode, gi_all, h, c, w_hh, b_rec, reverse, sizes)
    w_hh_t = w_hh.t()
    w_hr_t = w_hr.t() if w_hr is not None else None
    T = len(sizes) if sizes is not None else x.shape[0]
    offsets = [0] * T
    if sizes is not None:
        for t in range(1, T):
            offsets[t] = offsets[t - 1] + sizes[t - 1]
    h0, c0 = h, c
    if reverse and sizes is not None and T:  # only the longest sequences run at the last step
        h, c = h0[:sizes[-1]], (c0[:sizes[-1]] if c0 is not None else None)
    done: list[tuple[Tensor, Tensor | None]] = []  # states of sequences that already ended
    outs: list[Any] = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        if sizes is None:
            gi = gi_all[t]
        else:
            n, rows = sizes[t], h.shape[0]
            gi = gi_all[offsets[t]:offsets[t] + n]
            if n > rows:  # reverse direction: sequences start at their own last step, from h0
                h = ember.cat([h, h0[rows:n]])
                c = ember.cat([c, c0[rows:n]]) if c is not None else None
            elif n < rows:  # forward direction: the shortest sequences have ended
                done.append((h[n:], c[n:] if c is not None else None))
                h, c = h[:n], (c[:n] if c is not None else None)
        if mode == "LSTM":
            h, c = _lstm_step(gi, h, c, w_hh_t, b_rec, w_hr_t)
        elif mode == "GRU":
            h = _gru_step(gi, h, w_hh_t, b_rec)
        else:
            h = _rnn_step(gi, h, w_hh_t, b_rec, mode == "RNN_RELU")
        outs[t] = h
    if done:
        h = ember.cat([h] + [d[0] for d in reversed(done)])
        c = ember.cat([c] + [d[1] for d in reversed(done)]) if c is not None else None
    if sizes is not None:
        return ember.cat(outs), h, c
    out = ember.stack(outs) if T else x.new_zeros((0,) + tuple(h.shape))
    return out, h, c


def _fused(mode: str, gi: Tensor, h0: Tensor, c0: Tensor | None, w_hh: Tensor,
           b_hh: Tensor | None, reverse: bool, sizes: list[int] | None) -> tuple[Tensor, Tensor, Tensor | None]:  # noqa: E501
    """The whole direction as one op (hand-written BPTT); returns ``(out, h_T, c_T)``."""
    padded = sizes is None
    T, B = (gi.shape[0], gi.shape[1]) if sizes is None else (len(sizes), h0.shape[0])
    rows = gi.reshape(T * B, -1) if padded else gi
    steps = (B,) * T if sizes is None else tuple(sizes)
    y = Recurrence.apply(rows, h0, c0, w_hh, b_hh, mode=mode, reverse=reverse, sizes=steps)
    N = rows.shape[0]
    seq, final = y[:N], y[N:]
    if padded:
        seq = seq.reshape(T, B, -1)
    if mode != "LSTM":
        return seq, final, None
    H = w_hh.shape[1]
    return seq[..., :H], final[:, :H], final[:, H:]


class RNNBase(Module):
    r"""Base class of :class:`RNN`, :class:`LSTM` and :class:`GRU`: parameters, checks, the loop.

    Parameters are named as torch's (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
    ``bias_hh_l0``, ``weight_hr_l0`` with projections, ``_reverse`` for the backward direction)
    and initialised from :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`.
    """

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]  # fmt: skip

    mode: str
    input_size: int
    hidden_size: int
    num_layers: int
    bias: bool
    batch_first: bool
    dropout: float
    bidirectional: bool
    proj_size: int

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_config(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                      proj_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            for direction in range(2 if bidirectional else 1):
                layer_in = input_size if layer == 0 else real_hidden * (2 if bidirectional else 1)
                shapes: list[tuple[str, tuple[int, ...]]] = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]  # noqa: E501
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = [f"{n}_l{layer}{suffix}" for n, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, Parameter(ember.empty(shape, **kw)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op: there is no cuDNN weight buffer to compact."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        with ember.no_grad():
            for weight in self.parameters():
                weight.uniform_(-stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # --- checks -------------------------------------------------------------------------------
    def check_input(self, input: Tensor, batch_sizes: Tensor | None) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})"
            )
        expected = 2 if batch_sizes is not None else 3
        if input.ndim != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]}"
            )

    def get_expected_hidden_size(self, input: Tensor, batch_sizes: Tensor | None) -> tuple[int, int, int]:  # noqa: E501
        mini_batch = input.shape[0] if self.batch_first else input.shape[1]
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        h = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, h)

    def check_hidden_size(self, hx: Tensor, expected_hidden_size: tuple[int, int, int],
                          msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.shape) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input: Tensor, hidden: Tensor, batch_sizes: Tensor | None) -> None:  # noqa: E501
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    # --- the computation ----------------------------------------------------------------------
    def _run(self, x: Tensor, hx: Tensor, cx: Tensor | None, sizes: list[int] | None = None) -> tuple[Tensor, Tensor, Tensor | None]:  # noqa: E501
        """All layers over time-major ``x`` (or packed rows); returns ``(output, h_n, c_n)``."""
        D = 2 if self.bidirectional else 1
        per = len(self._flat_weights_names) // (self.num_layers * D)
        weights = self._flat_weights
        h_n: list[Tensor] = []
        c_n: list[Tensor] = []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                w = weights[k * per:(k + 1) * per]
                w5 = _unpack(w, self.bias, self.proj_size > 0)
                out, h, c = _run_direction(self.mode, x, hx[k], cx[k] if cx is not None else None,
                                           w5, d == 1, sizes)
                outs.append(out)
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            x = outs[0] if D == 1 else ember.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                from ember.nn.functional import dropout  # noqa: PLC0415

                x = dropout(x, self.dropout, True)
        return x, ember.stack(h_n), (ember.stack(c_n) if cx is not None else None)

    def _prepare(self, input: Any, hx: Any, name: str, lstm: bool) -> tuple[Any, ...]:
        """Shared front half of ``forward``: packed/unbatched input, default and checked state."""
        D = 2 if self.bidirectional else 1
        packed = _is_packed(input)
        if packed:
            x, batch_sizes, sorted_indices, _ = input
            is_batched = True
            mini_batch = int(batch_sizes[0])
        else:
            batch_sizes = sorted_indices = None
            x = input
            if x.ndim not in (2, 3):
                tail = " tensor instead" if name == "RNN" else " instead"
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {x.ndim}D{tail}")
            is_batched = x.ndim == 3
            if not is_batched:
                x = x.unsqueeze(0 if self.batch_first else 1)
            mini_batch = x.shape[0] if self.batch_first else x.shape[1]
        h_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        c0: Any  # a Tensor for LSTM, else None
        if hx is None:
            h0 = ember.zeros(self.num_layers * D, mini_batch, h_size, dtype=x.dtype, device=x.device)  # noqa: E501
            c0 = ember.zeros(self.num_layers * D, mini_batch, self.hidden_size, dtype=x.dtype, device=x.device) if lstm else None  # noqa: E501
        else:
            h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
            want = 3 if is_batched else 2
            if h0.ndim != want or (lstm and c0.ndim != want):
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                if lstm:
                    raise RuntimeError(
                        f"For {kind} input, hx and cx should also be {want}-D but got "
                        f"({h0.ndim}-D, {c0.ndim}-D) tensors"
                    )
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {h0.ndim}-D tensor")  # noqa: E501
            if not is_batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if lstm else None
            if sorted_indices is not None:
                h0 = h0.index_select(1, sorted_indices)
                c0 = c0.index_select(1, sorted_indices) if lstm else None
        self.check_input(x, batch_sizes)
        expected = self.get_expected_hidden_size(x, batch_sizes)
        if lstm:
            self.check_hidden_size(h0, expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(c0, (*expected[:2], self.hidden_size), "Expected hidden[1] size {}, got {}")  # noqa: E501
        else:
            self.check_hidden_size(h0, expected)
        return x, h0, c0, packed, is_batched, batch_sizes

    def _forward(self, input: Any, hx: Any, name: str, lstm: bool) -> tuple[Any, Any]:
        x, h0, c0, packed, is_batched, batch_sizes = self._prepare(input, hx, name, lstm)
        if packed:
            out, h_n, c_n = self._run(x, h0, c0, [int(b) for b in batch_sizes.tolist()])
            out = type(input)(out, input.batch_sizes, input.sorted_indices, input.unsorted_indices)  # noqa: E501
            unsorted = input.unsorted_indices
            if unsorted is not None:
                h_n = h_n.index_select(1, unsorted)
                c_n = c_n.index_select(1, unsorted) if c_n is not None else None
        else:
            if self.batch_first:
                x = x.transpose(0, 1)
            out, h_n, c_n = self._run(x, h0, c0)
            if self.batch_first:
                out = out.transpose(0, 1)
            if not is_batched:
                out = out.squeeze(0 if self.batch_first else 1)
                h_n = h_n.squeeze(1)
                c_n = c_n.squeeze(1) if c_n is not None else None
        return out, ((h_n, c_n) if lstm else h_n)


def _is_packed(x: Any) -> bool:
    try:
        from ember.nn.utils.rnn import PackedSequence  # noqa: PLC0415
    except ImportError:  # nn.utils.rnn not there yet
        return False
    return isinstance(x, PackedSequence)


def _unpack(w: list[Tensor], bias: bool, proj: bool) -> _Weights:
    """``[w_ih, w_hh, (b_ih, b_hh), (w_hr)]`` -> ``[w_ih, w_hh, b_ih, b_hh, w_hr]``."""
    w_ih, w_hh = w[0], w[1]
    b_ih, b_hh = (w[2], w[3]) if bias else (None, None)
    return (w_ih, w_hh, b_ih, b_hh, w[-1] if proj else None)


def _check_config(mode: str, input_size: Any, hidden_size: Any, num_layers: Any, bias: Any,
                  batch_first: Any, dropout: Any, proj_size: Any) -> None:
    """torch's constructor checks, in torch's order."""
    # torch compares any numbers.Number (a complex raises TypeError), which mypy rejects
    if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1  # type: ignore[operator]
            or isinstance(dropout, bool)):
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if dropout > 0 and num_layers == 1:  # type: ignore[operator]  # as above
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
            f"expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            UserWarning,
            stacklevel=4,
        )
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, int):
            raise TypeError(f"{name} should be of type int, got: {type(v).__name__}")
        if v <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)


class RNN(RNNBase):
    r"""Multi-layer Elman RNN: :math:`h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})`.

    Args:
        input_size, hidden_size, num_layers, nonlinearity (``'tanh'`` or ``'relu'``), bias,
        batch_first, dropout, bidirectional: as in torch.

    Shape:
        - input: ``(L, N, H_in)`` (``(N, L, H_in)`` with ``batch_first``) or ``(L, H_in)``.
        - output: ``(L, N, D * H_out)``; h_n: ``(D * num_layers, N, H_out)``.

    Examples::

        >>> import ember
        >>> rnn = ember.nn.RNN(4, 8, num_layers=2)
        >>> out, h = rnn(ember.zeros(5, 3, 4))
        >>> out.shape, h.shape
        (torch.Size([5, 3, 8]), torch.Size([2, 3, 8]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)  # noqa: E501

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        return self._forward(input, hx, "RNN", lstm=False)


class LSTM(RNNBase):
    r"""Multi-layer long short-term memory RNN (gates in torch's order: i, f, g, o).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: as in torch.

    Returns:
        ``output, (h_n, c_n)``.

    Examples::

        >>> import ember
        >>> lstm = ember.nn.LSTM(4, 8, batch_first=True)
        >>> lstm
        LSTM(4, 8, batch_first=True)
        >>> out, (h, c) = lstm(ember.zeros(3, 5, 4))
        >>> out.shape, h.shape, c.shape
        (torch.Size([3, 5, 8]), torch.Size([1, 3, 8]), torch.Size([1, 3, 8]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Any, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Any, Any]:
        return self._forward(input, hx, "LSTM", lstm=True)


class GRU(RNNBase):
    r"""Multi-layer gated recurrent unit RNN (gates r, z, n; ``b_hn`` inside ``r * (...)``).

    Examples::

        >>> import ember
        >>> gru = ember.nn.GRU(4, 8, bidirectional=True)
        >>> out, h = gru(ember.zeros(5, 3, 4))
        >>> out.shape, h.shape
        (torch.Size([5, 3, 16]), torch.Size([2, 3, 8]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:
        return self._forward(input, hx, "GRU", lstm=False)


# --- cells ---------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Base of the single-step cells: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    __constants__ = ["input_size", "hidden_size", "bias"]

    input_size: int
    hidden_size: int
    bias: bool
    weight_ih: Tensor
    weight_hh: Tensor

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ember.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(ember.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(ember.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        with ember.no_grad():
            for weight in self.parameters():
                weight.uniform_(-stdv, stdv)

    def _prep(self, name: str, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor, bool]:
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None and hx.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.ndim}D instead")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        return x, hx, batched


class RNNCell(RNNCellBase):
    r"""One Elman RNN step: :math:`h' = \tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})`."""

    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]
    nonlinearity: str

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prep("RNNCell", input, hx)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        gi = linear_op(x, self.weight_ih, self.bias_ih)
        h = _rnn_step(gi, h, self.weight_hh.t(), self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    r"""One LSTM step; returns ``(h', c')``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: E501
        if input.ndim not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.ndim not in (1, 2):
                    raise ValueError(
                        f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.ndim}D instead"
                    )
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            z = ember.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            h, c = z, z
        else:
            h, c = (hx[0], hx[1]) if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        gi = linear_op(x, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, h, c, self.weight_hh.t(), self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    r"""One GRU step (gates r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prep("GRUCell", input, hx)
        gi = linear_op(x, self.weight_ih, self.bias_ih)
        h = _gru_step(gi, h, self.weight_hh.t(), self.bias_hh)
        return h if batched else h.squeeze(0)
