#!/usr/bin/env python3
"""The ResNet-MNIST acceptance recipe in PyTorch, for comparison with

    synapse train --data ../shared/data/mnist --arch Examples/resnet-mnist.json --epochs 3 \\
        --scale global --lr 0.002 --lr-schedule cosine --seed 42 --out resnet.safetensors

The network is built from the same architecture file (Tests/Interop/synapse_torch.py: a
`Residual(nn.Module)` holding `block` and `shortcut`, nn.Identity when absent), so its state_dict
names are Synapse's. As Synapse does: 10 % of the 60 000 training images held out for validation
(a seeded random split), one mean and one standard deviation over all pixels of the remaining
54 000 (`--scale global`, like Normalize(0.1307, 0.3081)), Adam lr 2e-3 annealed to 0 by a cosine
over all the run's steps, set before every step (CosineAnnealingLR(T_max = steps), stepped per
batch), batch 32 (the last smaller batch kept), reshuffled every epoch, cross-entropy, float32, the weights of the epoch with
the lowest validation loss kept at the end (Synapse's early stopping default), then accuracy on the
10 000 test images. Prints seconds per epoch — training alone, and with the validation pass, which
is what `synapse train` reports per epoch — and the accuracies.

Usage (from the repository root): Benchmarks/resnet_mnist.py [--epochs 3] [--data DIR] [--threads N] [--json]
"""
import argparse, copy, gzip, json, os, sys, time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "Tests", "Interop"))
import synapse_torch  # noqa: E402


def load_mnist(directory, part):
    """Images [N, 784] float32 as Synapse reads them (pixel · (1/255) in float32) and int64 labels."""
    with gzip.open(os.path.join(directory, "%s-images-idx3-ubyte.gz" % part)) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784).astype(np.float32) * np.float32(1 / 255)
    with gzip.open(os.path.join(directory, "%s-labels-idx1-ubyte.gz" % part)) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    return images, labels


def global_scaling(x):
    """One mean and one standard deviation (population) over every pixel, in float64."""
    mean = x.mean(dtype=np.float64)
    std = np.sqrt(((x.astype(np.float64) - mean) ** 2).mean())
    return mean, std


def scale(x, mean, std):
    """(x − mean) · (1/std) in float32, as Synapse applies a model's scaling."""
    return (x - np.float32(mean)) * np.float32(1 / std)


class Recipe:
    """The model, optimizer and data of the recipe; `epoch()` trains one epoch."""

    def __init__(self, data, arch, seed=42, batch_size=32, validation=0.1, lr=2e-3, epochs=3):
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        x, y = load_mnist(data, "train")
        order = self.rng.permutation(len(x))
        held = int(round(len(x) * validation))
        train, val = order[held:], order[:held]
        self.mean, self.std = global_scaling(x[train])
        self.x = torch.from_numpy(scale(x[train], self.mean, self.std))
        self.y = torch.from_numpy(y[train])
        self.x_val, self.y_val = torch.from_numpy(scale(x[val], self.mean, self.std)), torch.from_numpy(y[val])
        with open(arch) as f:
            self.model, _ = synapse_torch.build(json.load(f), [784])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.loss = torch.nn.CrossEntropyLoss()
        self.batch_size = batch_size
        steps = epochs * ((len(self.x) + batch_size - 1) // batch_size)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=steps)

    def epoch(self):
        self.model.train()
        order = torch.from_numpy(self.rng.permutation(len(self.x)))
        for start in range(0, len(self.x), self.batch_size):
            idx = order[start:start + self.batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss(self.model(self.x[idx]), self.y[idx]).backward()
            self.optimizer.step()
            self.schedule.step()

    def evaluate(self, x, y, batch=1000):
        """(mean cross-entropy, accuracy) in evaluation mode."""
        self.model.eval()
        total, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(x), batch):
                logits = self.model(x[start:start + batch])
                total += torch.nn.functional.cross_entropy(logits, y[start:start + batch], reduction="sum").item()
                correct += (logits.argmax(1) == y[start:start + batch]).sum().item()
        return total / len(x), correct / len(x)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "mnist"))
    parser.add_argument("--arch", default=os.path.join(ROOT, "Examples", "resnet-mnist.json"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    recipe = Recipe(args.data, args.arch, seed=args.seed, batch_size=args.batch_size, lr=args.lr, epochs=args.epochs)
    x_test, y_test = load_mnist(args.data, "t10k")
    x_test, y_test = torch.from_numpy(scale(x_test, recipe.mean, recipe.std)), torch.from_numpy(y_test)
    if not args.json:
        print("PyTorch %s, %d threads, %s; scaling mean %.4f std %.4f; %d training, %d validation images"
              % (torch.__version__, torch.get_num_threads(), cpu_model(), recipe.mean, recipe.std, len(recipe.x), len(recipe.x_val)), flush=True)
    seconds, with_validation, best, best_loss = [], [], None, float("inf")
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        recipe.epoch()
        seconds.append(time.perf_counter() - start)
        val_loss, val_accuracy = recipe.evaluate(recipe.x_val, recipe.y_val)
        with_validation.append(time.perf_counter() - start)
        if val_loss < best_loss:
            best_loss, best = val_loss, copy.deepcopy(recipe.model.state_dict())
        if not args.json:
            print("epoch %d: %.2f s (%.2f s with the validation pass), val_loss %.4f, val_accuracy %.4f"
                  % (epoch, seconds[-1], with_validation[-1], val_loss, val_accuracy), flush=True)
    recipe.model.load_state_dict(best)
    test_loss, test_accuracy = recipe.evaluate(x_test, y_test)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpu": cpu_model(), "epochs": args.epochs,
              "seconds_per_epoch": seconds, "median_seconds_per_epoch": sorted(seconds)[len(seconds) // 2],
              "seconds_per_epoch_with_validation": with_validation,
              "test_loss": test_loss, "test_accuracy": test_accuracy}
    if args.json:
        print(json.dumps(result))
    else:
        print("test accuracy %.4f (loss %.4f); seconds per epoch %s (median %.2f; with the validation pass %s)"
              % (test_accuracy, test_loss, ", ".join("%.2f" % s for s in seconds), result["median_seconds_per_epoch"],
                 ", ".join("%.2f" % s for s in with_validation)))


if __name__ == "__main__":
    main()
