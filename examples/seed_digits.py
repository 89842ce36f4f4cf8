"""Train the seed model (two 5x5 convolutions) on real handwritten digits, on the CPU, with ember.

Written as a PyTorch program: swap the three ``ember`` imports for ``torch`` and it runs on torch.
It initialises the weights with ``apply``, trains with SGD + momentum (``train()``/``eval()`` matter:
the head has BatchNorm and Dropout), shows the activation shapes with a forward hook, prints a
per-epoch table and a confusion matrix, then saves the ``state_dict`` (a file real PyTorch loads
with ``torch.load(path, weights_only=True)``) and checks that a fresh model reloaded from it
scores the same. ``--smoke`` runs one short epoch for the tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits import Digits  # noqa: E402 - the dataset file beside this one

try:
    from tqdm import tqdm
except ImportError:  # tqdm is in the `demo` extra; without it, a plain progress line
    tqdm = None


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 20, 5)
        self.head = nn.Sequential(
            nn.Flatten(), nn.BatchNorm1d(1280), nn.Dropout(0.25), nn.Linear(1280, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")  # 8x8 -> 16x16: room for two 5x5 convs
        x = F.relu(self.conv1(x))  # -> 20 x 12 x 12
        x = F.relu(self.conv2(x))  # -> 20 x 8 x 8
        return self.head(x)  # -> 10 logits


@torch.no_grad()
def init_weights(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        m.bias.zero_()


def progress(loader: DataLoader, desc: str):
    if tqdm is not None:
        yield from tqdm(loader, desc=desc, leave=False, ncols=80)
        return
    for i, batch in enumerate(loader, 1):
        bar = "#" * (20 * i // len(loader))
        print(f"\r{desc} [{bar:<20}] {i}/{len(loader)}", end="", file=sys.stderr, flush=True)
        yield batch
    print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)


def train_epoch(model, loader, optimizer, desc, max_batches=None) -> tuple[float, float]:
    model.train()
    loss_sum, correct, seen = 0.0, 0, 0
    for i, (x, y) in enumerate(progress(loader, desc)):
        if max_batches is not None and i >= max_batches:
            break
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += len(y)
    return loss_sum / seen, correct / seen


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader) -> torch.Tensor:
    model.eval()
    return torch.cat([model(x).argmax(dim=1) for x, _ in loader])


def show_shapes(model: nn.Module, x: torch.Tensor) -> None:
    def report(module, inputs, output):
        print(f"  {type(module).__name__:<10} {tuple(inputs[0].shape)} -> {tuple(output.shape)}")

    handles = [m.register_forward_hook(report) for m in (model.conv1, model.conv2, model.head)]
    predict(model, [(x, None)])
    for h in handles:
        h.remove()


def print_confusion(pred: torch.Tensor, target: torch.Tensor) -> None:
    matrix = torch.bincount(target * 10 + pred, minlength=100).view(10, 10)
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("      " + "".join(f"{d:>5}" for d in range(10)))
    for d, row in enumerate(matrix.tolist()):
        print(f"  {d:>3} " + "".join(f"{n:>5}" for n in row))


def main() -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/seed_digits.pt"))
    parser.add_argument("--smoke", action="store_true", help="one short epoch (for the tests)")
    args = parser.parse_args()
    epochs, max_batches = (1, 12) if args.smoke else (args.epochs, None)
    start = time.perf_counter()

    torch.manual_seed(0)
    train_set, test_set = Digits(train=True), Digits(train=False)
    shuffle = torch.Generator().manual_seed(0)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=shuffle)
    test_loader = DataLoader(test_set, batch_size=120)
    test_targets = test_set.targets

    model = Model()
    model.apply(init_weights)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    print(model)
    print(f"{len(train_set)} training and {len(test_set)} test images; activation shapes:")
    show_shapes(model, train_set[0][0].unsqueeze(0))

    print(f"\n{'epoch':>5} {'loss':>8} {'train acc':>10} {'test acc':>9} {'time':>6}")
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loss, train_acc = train_epoch(model, train_loader, optimizer, f"epoch {epoch}", max_batches)
        pred = predict(model, test_loader)
        test_acc = (pred == test_targets).float().mean().item()
        took = time.perf_counter() - t0
        print(f"{epoch:>5} {loss:>8.4f} {train_acc:>10.2%} {test_acc:>9.2%} {took:>5.1f}s")

    print()
    print_confusion(pred, test_targets)
    args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.checkpoint)
    fresh = Model()
    fresh.load_state_dict(torch.load(args.checkpoint))
    same = torch.equal(predict(fresh, test_loader), pred)
    print(f"\nreloaded from the checkpoint: {'same predictions' if same else 'DIFFERENT PREDICTIONS'}")
    print(f"test accuracy: {test_acc:.2%} ({time.perf_counter() - start:.1f}s)")
    print(f"checkpoint: {args.checkpoint}")
    return test_acc


if __name__ == "__main__":
    main()
