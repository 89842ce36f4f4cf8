"""PyTorch's beginner tutorials and two well-known examples, run under ``import ember as torch``.

Each program is written once as a function of the ``torch`` module it is given, then run with real
torch and with ember: weights are copied from the torch run so the numbers can be compared.
Synthetic data stands in for the datasets (no downloads).
"""

from __future__ import annotations

import inspect
import math
import warnings
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch as real_torch

import ember


def _close(a, b, rtol=1e-4, atol=1e-5):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=atol)  # noqa: E501


# --- tensors + autograd tutorials --------------------------------------------------------------
def tensors_and_autograd(torch, w0, b0):
    data = [[1, 2], [3, 4]]
    x_data = torch.tensor(data)
    x_np = torch.from_numpy(np.array(data))
    assert torch.ones_like(x_data).dtype == torch.int64 and x_np.dtype == torch.int64
    assert torch.rand_like(x_data, dtype=torch.float).dtype == torch.float32
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"  # noqa: E501
    tensor = torch.ones(4, 4, device=device).cpu()
    tensor[:, 1] = 0
    out = [f"First row: {tensor[0]}", f"Last column: {tensor[..., -1]}"]
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    y3 = torch.rand_like(tensor)
    torch.matmul(tensor, tensor.T, out=y3)
    z3 = torch.rand_like(tensor)
    torch.mul(tensor, tensor, out=z3)
    agg = tensor.sum()
    out += [repr(t1), repr(y3), repr(z3), repr(agg.item()), repr(tensor.add_(5))]
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    out.append(repr(n))
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    out += [type(z.grad_fn).__name__, type(loss.grad_fn).__name__]
    loss.backward()
    out += [repr(w.grad), repr(b.grad)]
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    out.append(repr(z.requires_grad))
    inp = torch.eye(4, 5, requires_grad=True)
    o = (inp + 1).pow(2).t()
    o.backward(torch.ones_like(o), retain_graph=True)
    o.backward(torch.ones_like(o), retain_graph=True)
    out.append(repr(inp.grad))
    inp.grad.zero_()
    o.backward(torch.ones_like(o), retain_graph=True)
    out.append(repr(inp.grad))
    return out


def test_tensors_and_autograd_tutorials(rng):
    w0, b0 = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)  # noqa: E501
    assert tensors_and_autograd(ember, w0, b0) == tensors_and_autograd(real_torch, w0, b0)


# --- quickstart (FashionMNIST shapes, synthetic) ------------------------------------------------
def _numpy_state(model):
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def _load(torch, model, state):
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})


def quickstart(torch, X, Y, init, tmp_path):
    nn = torch.nn  # the tutorial: from torch import nn

    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset  # noqa: N806
    train_dataloader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=16)
    test_dataloader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=16)
    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"  # noqa: E501

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

        def forward(self, x):
            x = self.flatten(x)
            return self.linear_relu_stack(x)

    model = NeuralNetwork().to(device)
    if init:
        _load(torch, model, init)
    init.update(_numpy_state(model))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
    losses = []

    def train(dataloader, model, loss_fn, optimizer):
        model.train()
        for _batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(loss.item())

    def test(dataloader, model, loss_fn):
        size, num_batches = len(dataloader.dataset), len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        return test_loss / num_batches, correct / size

    for _ in range(2):
        train(train_dataloader, model, loss_fn, optimizer)
    result = test(test_dataloader, model, loss_fn)
    torch.save(model.state_dict(), tmp_path / "model.pth")
    model2 = NeuralNetwork().to(device)
    model2.load_state_dict(torch.load(tmp_path / "model.pth", weights_only=True))
    model2.eval()
    with torch.no_grad():
        pred = model2(torch.tensor(X[:1]))
    return losses, result, int(pred[0].argmax(0))


def test_quickstart(rng, tmp_path):
    X = rng.random((32, 1, 28, 28), dtype=np.float32)
    Y = rng.integers(0, 10, 32)
    init = {}
    ref = quickstart(real_torch, X, Y, init, tmp_path)
    (tmp_path / "e").mkdir()
    ours = quickstart(ember, X, Y, init, tmp_path / "e")
    _close(ours[0], ref[0])
    _close(ours[1], ref[1])
    assert ours[2] == ref[2]


# --- "What is torch.nn really?" (from scratch, then nn.Module, then a CNN) ----------------------
def nn_really(torch, x_train, y_train, w0, init):
    F = torch.nn.functional  # noqa: N806
    nn, optim = torch.nn, torch.optim
    weights = torch.tensor(w0) / math.sqrt(784)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    bs, lr, out = 16, 0.5, []
    x_train, y_train = map(torch.tensor, (x_train, y_train))
    n, c = x_train.shape
    for i in range((n - 1) // bs + 1):
        xb, yb = x_train[i * bs:i * bs + bs], y_train[i * bs:i * bs + bs]
        loss = nll(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
    out += [loss.item(), accuracy(model(x_train), y_train).item(), F.cross_entropy(xb @ weights + bias, yb).item()]  # noqa: E501

    class Mnist_CNN(nn.Module):  # noqa: N801 - the tutorial's name
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
            self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
            self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

        def forward(self, xb):
            xb = xb.view(-1, 1, 28, 28)
            xb = F.relu(self.conv1(xb))
            xb = F.relu(self.conv2(xb))
            xb = F.relu(self.conv3(xb))
            xb = F.avg_pool2d(xb, 4)
            return xb.view(-1, xb.size(1))

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader  # noqa: N806
    train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=bs)
    for net in (Mnist_CNN(), nn.Sequential(
            Lambda(lambda x: x.view(-1, 1, 28, 28)),
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), Lambda(lambda x: x.view(x.size(0), -1)))):
        key = type(net).__name__
        if key in init:
            _load(torch, net, init[key])
        init[key] = _numpy_state(net)
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for xb, yb in train_dl:
            loss = F.cross_entropy(net(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        net.eval()
        with torch.no_grad():
            out.append(sum(F.cross_entropy(net(xb), yb) * len(xb) for xb, yb in train_dl).item() / n)  # noqa: E501
    return out


def test_what_is_torch_nn_really(rng):
    x = rng.random((40, 784), dtype=np.float32)
    y = rng.integers(0, 10, 40)
    w0 = rng.standard_normal((784, 10)).astype(np.float32)
    init = {}
    ref = nn_really(real_torch, x, y, w0, init)
    _close(nn_really(ember, x, y, w0, init), ref)


# --- pytorch/examples mnist/main.py ------------------------------------------------------------
def mnist_example(torch, X, Y, init):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim  # noqa: N806
    StepLR = torch.optim.lr_scheduler.StepLR  # noqa: N806

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    use_accel = torch.accelerator.is_available()
    torch.manual_seed(1)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    kwargs = {"batch_size": 8}
    if use_accel:
        kwargs.update({"num_workers": 1, "pin_memory": True, "shuffle": True})
    ds = torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y))
    train_loader = torch.utils.data.DataLoader(ds, **kwargs)
    test_loader = torch.utils.data.DataLoader(ds, batch_size=8)
    model = Net().to(device)
    if init:
        _load(torch, model, init)
    init.update(_numpy_state(model))
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for _epoch in range(1, 3):
        model.train()
        for data, target in train_loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            assert math.isfinite(loss.item())
        scheduler.step()
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return scheduler.get_last_lr(), test_loss / len(test_loader.dataset), correct


def test_mnist_example(rng):
    X = rng.random((8, 1, 28, 28), dtype=np.float32)
    Y = rng.integers(0, 10, 8)
    init = {}
    ref = mnist_example(real_torch, X, Y, init)
    ours = mnist_example(ember, X, Y, init)
    # dropout masks differ between the libraries' generators: compare what they do not touch
    _close(ours[0], ref[0])
    assert math.isfinite(ours[1])
    assert 0 <= ours[2] <= 8


# --- nanoGPT: model.py (tiny config) and the core of train.py ----------------------------------
def nanogpt(torch, idx_np, tgt_np, init, device_type="cpu"):
    nn, F = torch.nn, torch.nn.functional  # noqa: N806

    class LayerNorm(nn.Module):
        def __init__(self, ndim, bias):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(ndim))
            self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

        def forward(self, input):
            return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)

    class CausalSelfAttention(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
            self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
            self.attn_dropout = nn.Dropout(config.dropout)
            self.resid_dropout = nn.Dropout(config.dropout)
            self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout
            self.flash = hasattr(torch.nn.functional, "scaled_dot_product_attention")
            if not self.flash:
                self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size)).view(1, 1, config.block_size, config.block_size))  # noqa: E501

        def forward(self, x):
            B, T, C = x.size()  # noqa: N806
            q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
            k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
            if self.flash:
                y = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0, is_causal=True)  # noqa: E501
            else:
                att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
                att = F.softmax(att, dim=-1)
                y = self.attn_dropout(att) @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.resid_dropout(self.c_proj(y))

    class MLP(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
            self.dropout = nn.Dropout(config.dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
            self.attn = CausalSelfAttention(config)
            self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
            self.mlp = MLP(config)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    @dataclass
    class GPTConfig:
        block_size: int = 16
        vocab_size: int = 50
        n_layer: int = 2
        n_head: int = 2
        n_embd: int = 16
        dropout: float = 0.0
        bias: bool = True

    class GPT(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias)))
            self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight
            self.apply(self._init_weights)
            for pn, p in self.named_parameters():
                if pn.endswith("c_proj.weight"):
                    torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

        def get_num_params(self, non_embedding=True):
            n_params = sum(p.numel() for p in self.parameters())
            if non_embedding:
                n_params -= self.transformer.wpe.weight.numel()
            return n_params

        def _init_weights(self, module):
            if isinstance(module, nn.Linear):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    torch.nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

        def forward(self, idx, targets=None):
            device = idx.device
            b, t = idx.size()
            assert t <= self.config.block_size, f"Cannot forward sequence of length {t}"
            pos = torch.arange(0, t, dtype=torch.long, device=device)
            x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            x = self.transformer.ln_f(x)
            if targets is not None:
                logits = self.lm_head(x)
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)  # noqa: E501
            else:
                logits = self.lm_head(x[:, [-1], :])
                loss = None
            return logits, loss

        def configure_optimizers(self, weight_decay, learning_rate, betas, device_type):
            param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
            decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
            nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
            optim_groups = [{"params": decay_params, "weight_decay": weight_decay},
                            {"params": nodecay_params, "weight_decay": 0.0}]
            fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
            use_fused = fused_available and device_type == "cuda"
            extra_args = dict(fused=True) if use_fused else dict()
            return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size:]  # noqa: E501
                logits, _ = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                idx_next = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, idx_next), dim=1)
            return idx

    # train.py
    torch.manual_seed(1337)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dtype = "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float16"  # noqa: E501
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]  # noqa: E501
    ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type=device_type, dtype=ptdtype)  # noqa: E501
    model = GPT(GPTConfig())
    if init:
        _load(torch, model, init)
    init.update(_numpy_state(model))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.cuda.amp.GradScaler is deprecated
        scaler = torch.cuda.amp.GradScaler(enabled=(dtype == "float16" and device_type == "cuda"))
    optimizer = model.configure_optimizers(0.1, 6e-4, (0.9, 0.95), device_type)
    X, Y = torch.tensor(idx_np), torch.tensor(tgt_np)
    losses = []
    for _it in range(3):
        for g in optimizer.param_groups:
            g["lr"] = 6e-4
        with ctx:
            logits, loss = model(X, Y)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "model_args": {"n_layer": 2}, "iter_num": 3, "best_val_loss": 1e9}
    state_dict = checkpoint["model"]
    unwanted_prefix = "_orig_mod."
    for k, _v in list(state_dict.items()):
        if k.startswith(unwanted_prefix):
            state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
    model.load_state_dict(state_dict)
    model.eval()
    with torch.no_grad():
        logits, _ = model(X[:, :5])
        out = model.generate(X[:1, :3], 4, temperature=0.8, top_k=5)
    return (losses, logits.numpy(), model.get_num_params(), list(checkpoint["optimizer"]["state"])[:3],
            tuple(out.shape), list(state_dict)[:4])


def test_nanogpt(rng):
    idx = rng.integers(0, 50, (2, 16))
    tgt = rng.integers(0, 50, (2, 16))
    init = {}
    ref = nanogpt(real_torch, idx, tgt, init)
    ours = nanogpt(ember, idx, tgt, init)
    _close(ours[0], ref[0], rtol=1e-5)
    _close(ours[1], ref[1], rtol=1e-4, atol=1e-5)
    assert ours[2:] == ref[2:]


# --- "Learning PyTorch with Examples": polynomial fit, nn, custom Function; CIFAR10 classifier -----
def polynomial(torch, steps=30):
    dtype, device = torch.float, torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=dtype)
    y = torch.sin(x)
    out = []

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
    P3 = LegendrePolynomial3.apply  # noqa: N806
    for _t in range(steps):
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= 5e-6 * p.grad
                p.grad = None
    out.append([a.item(), b.item(), c.item(), d.item(), loss.item()])
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[0.1, -0.2, 0.05]]))
        model[0].bias.fill_(0.01)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for _t in range(steps):
        loss = loss_fn(model(xx), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    linear_layer = model[0]
    out.append([loss.item(), linear_layer.bias.item(), linear_layer.weight[:, 0].item()])
    return out


def test_learning_pytorch_with_examples():
    _close(np.array(polynomial(ember)[0]), np.array(polynomial(real_torch)[0]), rtol=1e-4)
    _close(np.array(polynomial(ember)[1]), np.array(polynomial(real_torch)[1]), rtol=1e-4)


def cifar_classifier(torch, X, Y, init):
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim  # noqa: N806

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = Net()
    if init:
        _load(torch, net, init)
    init.update(_numpy_state(net))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    trainloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=4)  # noqa: E501
    losses = []
    for _epoch in range(2):
        running_loss = 0.0
        for _i, data in enumerate(trainloader, 0):
            inputs, labels = data
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        losses.append(running_loss)
    correct = total = 0
    with torch.no_grad():
        for images, labels in trainloader:
            outputs = net(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return losses, correct, total


def test_cifar10_classifier(rng):
    X = rng.random((8, 3, 32, 32), dtype=np.float32)
    Y = rng.integers(0, 10, 8)
    init = {}
    ref = cifar_classifier(real_torch, X, Y, init)
    ours = cifar_classifier(ember, X, Y, init)
    _close(ours[0], ref[0], rtol=1e-4)
    assert ours[1:] == ref[1:]


# --- DCGAN tutorial (tiny sizes) -----------------------------------------------------------------
def dcgan(torch, data, noises, init):
    nn, optim = torch.nn, torch.optim
    nz, ngf, ndf, nc = 8, 4, 4, 1

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    class Generator(nn.Module):
        def __init__(self, ngpu):
            super().__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),  # noqa: E501
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),  # noqa: E501
                nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False), nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ngpu):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
                nn.Sigmoid())

        def forward(self, input):
            return self.main(input)

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    netG, netD = Generator(1).to(device), Discriminator(1).to(device)  # noqa: N806
    netG.apply(weights_init)
    netD.apply(weights_init)
    for key, net in (("G", netG), ("D", netD)):
        if key in init:
            _load(torch, net, init[key])
        init[key] = _numpy_state(net)
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))  # noqa: N806
    optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))  # noqa: N806
    real_label, fake_label, out = 1.0, 0.0, []
    for noise_np in noises:
        netD.zero_grad()
        real_cpu = torch.tensor(data).to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)  # noqa: N806
        errD_real.backward()
        D_x = output.mean().item()  # noqa: N806
        fake = netG(torch.tensor(noise_np))
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)  # noqa: N806
        errD_fake.backward()
        errD = errD_real + errD_fake  # noqa: N806
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)  # noqa: N806
        errG.backward()
        optimizerG.step()
        out.append([errD.item(), errG.item(), D_x])
    return out, _numpy_state(netG)["main.1.running_mean"]


def test_dcgan(rng):
    data = rng.random((4, 1, 16, 16), dtype=np.float32) * 2 - 1
    noises = [rng.standard_normal((4, 8, 1, 1)).astype(np.float32) for _ in range(2)]
    init = {}
    ref = dcgan(real_torch, data, noises, init)
    ours = dcgan(ember, data, noises, init)
    _close(ours[0], ref[0], rtol=1e-4)
    _close(ours[1], ref[1], rtol=1e-4)
