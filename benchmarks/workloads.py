"""The benchmark workloads, each written once against the torch API.

``make(lib)`` builds the model and data with ``lib`` (``torch`` or ``ember``) and returns a
zero-argument ``step`` that runs one iteration (forward + backward + optimizer step unless the
name says otherwise). Inputs are made with NumPy so both libraries see the same numbers.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

Step = Callable[[], Any]
DEVICE = "cpu"  # benchmarks/gpu.py sets "cuda"


def _data(lib: Any, *shape: int, classes: int | None = None) -> Any:
    rng = np.random.default_rng(0)
    if classes is not None:
        return lib.tensor(rng.integers(0, classes, shape), device=DEVICE)
    return lib.tensor(rng.standard_normal(shape).astype(np.float32), device=DEVICE)


def _train_step(lib: Any, model: Any, opt: Any, x: Any, y: Any) -> Step:
    F = lib.nn.functional

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def op_overhead(lib: Any) -> Step:
    """1. A chain of 200 small (8x8) ops, forward + backward."""
    x = _data(lib, 8, 8).requires_grad_()
    w = (_data(lib, 8, 8) * 0.1).detach().requires_grad_()

    def step() -> None:
        y = x
        for i in range(50):
            y = y * w
            y = y + x
            y = y.tanh() if i % 2 else y.sigmoid()
            y = y - 0.5
        y.sum().backward()
        x.grad = None
        w.grad = None

    return step


def small_mlp(lib: Any) -> Step:
    """2. MLP 64-128-128-10, batch 32, SGD."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))  # noqa: E501
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    return _train_step(lib, model, opt, _data(lib, 32, 64), _data(lib, 32, classes=10))


def _mlp784(lib: Any) -> Any:
    nn = lib.nn
    lib.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))  # noqa: E501


def mlp_784(lib: Any) -> Step:
    """3. MLP 784-1024-1024-10, batch 256, SGD momentum."""
    model = _mlp784(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(lib, model, opt, _data(lib, 256, 784), _data(lib, 256, classes=10))


def seed_model(lib: Any) -> Step:
    """4. The seed model: Conv2d(1,20,5), ReLU, Conv2d(20,20,5), ReLU, Linear head; batch 64."""
    nn, F = lib.nn, lib.nn.functional

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 20, 5)
            self.conv2 = nn.Conv2d(20, 20, 5)
            self.fc = nn.Linear(20 * 20 * 20, 10)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            return self.fc(x.flatten(1))

    lib.manual_seed(0)
    model = Model().to(DEVICE)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(lib, model, opt, _data(lib, 64, 1, 28, 28), _data(lib, 64, classes=10))


def lenet5(lib: Any) -> Step:
    """5. LeNet-5 with max pooling, batch 64."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return _train_step(lib, model, opt, _data(lib, 64, 1, 28, 28), _data(lib, 64, classes=10))


def resnet20(lib: Any) -> Step:
    """6. CIFAR-style ResNet-20 (BatchNorm, 16/32/64 channels), batch 32 of 3x32x32."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))  # noqa: E501

        def forward(self, x: Any) -> Any:
            identity = x if self.down is None else self.down(x)
            out = F.relu(self.bn1(self.conv1(x)), inplace=True)
            out = self.bn2(self.conv2(out))
            out += identity
            return F.relu(out, inplace=True)

    class ResNet20(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            layers, cin = [], 16
            for cout, stride in ((16, 1), (32, 2), (64, 2)):
                for i in range(3):
                    layers.append(Block(cin, cout, stride if i == 0 else 1))
                    cin = cout
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(64, 10)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.bn(self.conv(x)))
            x = self.layers(x)
            return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

    lib.manual_seed(0)
    model = ResNet20()
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    return _train_step(lib, model, opt, _data(lib, 32, 3, 32, 32), _data(lib, 32, classes=10))


def gpt(lib: Any) -> Step:
    """7. GPT-style decoder (4 layers, d_model 128, 4 heads, seq 64, vocab 256, batch 8), AdamW."""
    nn, F = lib.nn, lib.nn.functional
    d, heads, seq, vocab = 128, 4, 64, 256

    class Attn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)

        def forward(self, x: Any) -> Any:
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(d, dim=2)
            q = q.view(B, T, heads, C // heads).transpose(1, 2)
            k = k.view(B, T, heads, C // heads).transpose(1, 2)
            v = v.view(B, T, heads, C // heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln1, self.attn = nn.LayerNorm(d), Attn()
            self.ln2 = nn.LayerNorm(d)
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(vocab, d)
            self.wpe = nn.Embedding(seq, d)
            self.blocks = nn.ModuleList([Block() for _ in range(4)])
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab, bias=False)
            self.head.weight = self.wte.weight

        def forward(self, idx: Any) -> Any:
            x = self.wte(idx) + self.wpe(lib.arange(idx.shape[1], device=idx.device))
            for b in self.blocks:
                x = b(x)
            return self.head(self.ln_f(x))

    lib.manual_seed(0)
    model = GPT().to(DEVICE)
    opt = lib.optim.AdamW(model.parameters(), lr=3e-4)
    idx = _data(lib, 8, seq, classes=vocab)
    tgt = _data(lib, 8, seq, classes=vocab)

    def step() -> None:
        opt.zero_grad()
        logits = model(idx)
        loss = F.cross_entropy(logits.view(-1, vocab), tgt.view(-1))
        loss.backward()
        opt.step()

    return step


def _inference(lib: Any, batch: int) -> Step:
    model = _mlp784(lib).eval()
    x = _data(lib, batch, 784)

    def step() -> None:
        with lib.no_grad():
            model(x)

    return step


def infer_b1(lib: Any) -> Step:
    """8a. Inference: the MLP of (3) under no_grad in eval mode, batch 1."""
    return _inference(lib, 1)


def infer_b256(lib: Any) -> Step:
    """8b. Inference: the MLP of (3) under no_grad in eval mode, batch 256."""
    return _inference(lib, 256)


WORKLOADS: dict[str, Callable[[Any], Step]] = {
    "op_overhead": op_overhead, "small_mlp": small_mlp, "mlp_784": mlp_784,
    "seed_model": seed_model, "lenet5": lenet5, "resnet20": resnet20, "gpt": gpt,
    "infer_b1": infer_b1, "infer_b256": infer_b256,
}  # fmt: skip
