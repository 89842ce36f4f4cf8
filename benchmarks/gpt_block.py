"""GPT blocks, forward + backward: ember vs torch on the CPU.

A stack of 4 nanoGPT-style blocks (LayerNorm, causal self-attention through
``F.scaled_dot_product_attention(is_causal=True)``, GELU MLP), d_model 128, 4 heads, sequence 64,
batch 8. The model is written once against the torch API and built with each library; ember gets
torch's weights, so the two compute the same numbers. Prints the median ms per step and the ratio.

Run: ``python benchmarks/gpt_block.py [--profile] [--tanh-gelu]``; ``--tanh-gelu`` uses
``F.gelu(approximate="tanh")`` in the MLP (isolates the cost of exact erf-GELU).
"""

from __future__ import annotations

import math
import statistics
import sys
import time

import numpy as np
import torch

import ember

N_LAYER, D_MODEL, N_HEAD, SEQ, BATCH = 4, 128, 4, 64, 8
GELU_APPROX = "tanh" if "--tanh-gelu" in sys.argv else "none"


def build(lib):  # noqa: ANN001, ANN201
    """The model, defined with ``lib.nn`` (``torch`` or ``ember``)."""
    nn, F = lib.nn, lib.nn.functional

    class LayerNorm(nn.Module):
        def __init__(self, ndim: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(lib.ones(ndim))
            self.bias = nn.Parameter(lib.zeros(ndim))

        def forward(self, x):  # noqa: ANN001, ANN202
            return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_attn = nn.Linear(D_MODEL, 3 * D_MODEL)
            self.c_proj = nn.Linear(D_MODEL, D_MODEL)

        def forward(self, x):  # noqa: ANN001, ANN202
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(D_MODEL, dim=2)
            q = q.view(B, T, N_HEAD, C // N_HEAD).transpose(1, 2)
            k = k.view(B, T, N_HEAD, C // N_HEAD).transpose(1, 2)
            v = v.view(B, T, N_HEAD, C // N_HEAD).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_fc = nn.Linear(D_MODEL, 4 * D_MODEL)
            self.c_proj = nn.Linear(4 * D_MODEL, D_MODEL)

        def forward(self, x):  # noqa: ANN001, ANN202
            return self.c_proj(F.gelu(self.c_fc(x), approximate=GELU_APPROX))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = LayerNorm(D_MODEL)
            self.attn = CausalSelfAttention()
            self.ln_2 = LayerNorm(D_MODEL)
            self.mlp = MLP()

        def forward(self, x):  # noqa: ANN001, ANN202
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    return nn.Sequential(*[Block() for _ in range(N_LAYER)])


def step(model, x):  # noqa: ANN001, ANN201
    for p in model.parameters():
        p.grad = None
    y = model(x)
    (y * y).mean().backward()
    return y


def bench(model, x, reps: int = 30, warmup: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(reps + warmup):
        t0 = time.perf_counter()
        step(model, x)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[warmup:]) * 1e3


def main() -> None:
    torch.manual_seed(0)
    ref = build(torch)
    ours = build(ember)
    ours.load_state_dict({k: ember.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((BATCH, SEQ, D_MODEL), dtype=np.float32)
    tx, ex = torch.tensor(x), ember.tensor(x)
    diff = np.abs(step(ref, tx).detach().numpy() - step(ours, ex).detach().numpy()).max()
    if not math.isfinite(diff) or diff > 1e-3:
        raise SystemExit(f"ember and torch disagree: max |diff| = {diff}")
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        cProfile.runctx("for _ in range(10): step(ours, ex)", globals(), {"ours": ours, "ex": ex}, "/tmp/gpt.prof")  # noqa: E501
        pstats.Stats("/tmp/gpt.prof").sort_stats("tottime").print_stats(25)
    t_torch = bench(ref, tx)
    t_ember = bench(ours, ex)
    t_torch = min(t_torch, bench(ref, tx))  # interleave a second torch run: same noise for both
    print(f"gpt_block ({N_LAYER} layers, d={D_MODEL}, heads={N_HEAD}, T={SEQ}, B={BATCH}, "
          f"gelu={GELU_APPROX}), fwd+bwd")
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads): {t_torch:.2f} ms")
    print(f"ember: {t_ember:.2f} ms")
    print(f"ratio ember/torch: {t_ember / t_torch:.2f}")


if __name__ == "__main__":
    main()
