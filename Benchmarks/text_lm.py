#!/usr/bin/env python3
"""Synapse's character-level language-model recipes in PyTorch, for comparison of curves and speeds.

Data, as Synapse's TextCorpus: the text file read as bytes; the vocabulary is the sorted set of the
byte values in the whole file, a token's id its index there. The last round(n · 0.1) tokens (half
away from zero, Swift's `.rounded()`) are held out: training = tokens[:cut], validation =
tokens[cut:]. An epoch is len(train) // T windows of T + 1 tokens at uniformly random offsets in
[0, len(train) − T) (nanoGPT's get_batch; inputs tokens[s:s+T], targets tokens[s+1:s+T+1]), in
batches of 32; torch's RNG, seeded, draws them (the same distribution as Synapse's, not the same
stream). Validation: the consecutive non-overlapping windows of the held-out text (block
min(T, len(val) − 1), starts 0, T, 2T, … while start < len(val) − block), mean cross-entropy over
every position, in eval mode without gradients, after every epoch.

Models (float32):
  gpt   Embedding(V, 128), learned positions [T, 128], 4 pre-norm transformer blocks
        (nn.TransformerEncoderLayer: 4 heads, feed-forward 512, GELU, no dropout, causal mask),
        LayerNorm(128), Linear(128, V)
  lstm  Embedding(V, 256), LSTM(256, 256, 2 layers), Linear(256, V)
Both are nn.Sequentials whose state_dict names are `0.weight`, `1.…`, …. AdamW lr 1e-3, betas
(0.9, 0.99), eps 1e-8, weight decay 0.1 on parameters of rank ≥ 2 and 0 on the others, gradient
norm clipped to 1 every step, constant learning rate.

Usage (from the repository root):
    Benchmarks/text_lm.py --model gpt|lstm [--epochs N] [--seed S] [--block-size 128]
                          [--batch-size 32] [--data PATH] [--threads 2] [--generate 500] [--json]

Per epoch it prints the steps so far, the training loss (mean over the epoch's batches), the
validation loss (nats) and bits per character, the seconds of training and the training tokens/s
(batches × batch size × T over the training steps' time alone). Then the speed of naive generation
(no cache: the model reruns on the last ≤ T tokens for every new token; temperature 0.8, top-k 40)
— Synapse generates with a decoding cache, so that figure is an upper bound on the work per token.

As a module: `Recipe` (data, model, optimizer; `epoch()`, `evaluate()`), `build_model`,
`measure_step(model_name, steps, ...)` (training tokens/s on random batches after 3 warm-up
steps, for Benchmarks/compare) and `generation_speed(model, length=500, ...)` (tokens/s).
"""
import argparse, json, math, os, sys, time

import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEFAULT_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "text", "lee_background.txt")
HELD_OUT = 0.1


# ---- data ----

def round_half_away(x):
    """Swift's `.rounded()` (to nearest, half away from zero), not Python's banker's `round`."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


class Corpus:
    """The text as token ids (a byte's index in the sorted set of the file's bytes), split by position."""

    def __init__(self, path, held_out=HELD_OUT):
        with open(path, "rb") as f:
            data = f.read()
        self.vocabulary = sorted(set(data))  # byte values
        index = torch.full((256,), -1, dtype=torch.long)
        index[torch.tensor(self.vocabulary, dtype=torch.long)] = torch.arange(len(self.vocabulary))
        tokens = index[torch.frombuffer(bytearray(data), dtype=torch.uint8).long()]
        cut = len(tokens) - round_half_away(len(tokens) * held_out)
        self.training, self.validation = tokens[:cut].clone(), tokens[cut:].clone()

    def decode(self, ids):
        return bytes(self.vocabulary[i] for i in ids)

    @staticmethod
    def random_windows(tokens, count, block_size, generator=None):
        """`count` windows at offsets uniform in [0, len − T): inputs and targets [count, T]."""
        starts = torch.randint(0, len(tokens) - block_size, (count,), generator=generator)
        offsets = starts[:, None] + torch.arange(block_size + 1)
        windows = tokens[offsets]
        return windows[:, :-1], windows[:, 1:]

    @staticmethod
    def consecutive_windows(tokens, block_size):
        """The consecutive non-overlapping windows (block min(T, len − 1)), the last partial one left out."""
        block = min(block_size, len(tokens) - 1)
        starts = torch.arange(0, len(tokens) - block, block)
        windows = tokens[starts[:, None] + torch.arange(block + 1)]
        return windows[:, :-1], windows[:, 1:]


# ---- models ----

class LearnedPositions(nn.Module):
    """A learned vector per position, added to the input [N, L, C] (L ≤ T)."""

    def __init__(self, block_size, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(block_size, channels))

    def forward(self, x):
        return x + self.weight[:x.shape[1]]


class Block(nn.TransformerEncoderLayer):
    """A pre-norm transformer block with a causal mask; its state_dict names are
    nn.TransformerEncoderLayer's (self_attn.in_proj_weight, linear1.weight, norm1.weight, …)."""

    def __init__(self, channels=128, heads=4, feed_forward=512):
        super().__init__(channels, heads, dim_feedforward=feed_forward, dropout=0.0, activation="gelu",
                         batch_first=True, norm_first=True)
        self._masks = {}

    def forward(self, src):
        length = src.shape[1]
        mask = self._masks.get(length)
        if mask is None:
            mask = self._masks[length] = nn.Transformer.generate_square_subsequent_mask(length)
        return super().forward(src, src_mask=mask, is_causal=True)


class LSTM(nn.LSTM):
    """nn.LSTM (batch first) returning only its output sequence, so it fits an nn.Sequential."""

    def forward(self, x):
        return super().forward(x)[0]


def build_model(name, vocabulary_size, block_size=128):
    if name == "gpt":
        model = nn.Sequential(nn.Embedding(vocabulary_size, 128), LearnedPositions(block_size, 128),
                              *[Block(128, 4, 512) for _ in range(4)], nn.LayerNorm(128), nn.Linear(128, vocabulary_size))
    elif name == "lstm":
        model = nn.Sequential(nn.Embedding(vocabulary_size, 256), LSTM(256, 256, num_layers=2, batch_first=True),
                              nn.Linear(256, vocabulary_size))
    else:
        raise ValueError("unknown model %r (gpt or lstm)" % name)
    model.block_size = block_size
    return model


def make_optimizer(model, lr=1e-3):
    """AdamW: weight decay 0.1 on parameters of rank ≥ 2, 0 on the others, in parameters() order."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.99), eps=1e-8)


def train_step(model, optimizer, x, y):
    """One step: forward, mean cross-entropy over every position, backward, clip to 1, AdamW. Returns the loss."""
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss


# ---- the recipe ----

class Recipe:
    """The data, model and optimizer; `epoch()` trains one epoch, `evaluate()` the held-out loss."""

    def __init__(self, model_name, data=DEFAULT_DATA, seed=42, block_size=128, batch_size=32, lr=1e-3):
        torch.manual_seed(seed)
        self.corpus = Corpus(data)
        self.block_size, self.batch_size = block_size, batch_size
        self.vocabulary_size = len(self.corpus.vocabulary)
        self.model = build_model(model_name, self.vocabulary_size, block_size)
        self.optimizer = make_optimizer(self.model, lr)
        self.windows_per_epoch = len(self.corpus.training) // block_size
        self.steps_per_epoch = (self.windows_per_epoch + batch_size - 1) // batch_size
        self.val_x, self.val_y = Corpus.consecutive_windows(self.corpus.validation, block_size)
        self.steps = 0

    def epoch(self):
        """Trains one epoch; returns (mean training loss over its batches, seconds of the training steps, tokens)."""
        self.model.train()
        x, y = Corpus.random_windows(self.corpus.training, self.windows_per_epoch, self.block_size)
        order = torch.randperm(len(x))
        losses, seconds, tokens = [], 0.0, 0
        for start in range(0, len(x), self.batch_size):
            idx = order[start:start + self.batch_size]
            xb, yb = x[idx], y[idx]
            began = time.perf_counter()
            loss = train_step(self.model, self.optimizer, xb, yb)
            seconds += time.perf_counter() - began
            losses.append(loss.item())
            tokens += xb.numel()
            self.steps += 1
        return sum(losses) / len(losses), seconds, tokens

    def evaluate(self, batch=32):
        """Mean cross-entropy (nats) over every position of the held-out windows."""
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(self.val_x), batch):
                xb, yb = self.val_x[start:start + batch], self.val_y[start:start + batch]
                logits = self.model(xb)
                total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), yb.reshape(-1), reduction="sum").item()
                count += yb.numel()
        return total / count


# ---- speeds ----

def measure_step(model_name, steps=20, vocabulary_size=None, block_size=128, batch_size=32, seed=0, threads=2, data=None):
    """Training tokens/s of the recipe's step (forward, backward, clip, AdamW) on random batches,
    timing `steps` steps after 3 warm-up steps. The vocabulary size is the text's (read from `data`,
    default the recipe's file) unless given."""
    torch.set_num_threads(threads)
    if vocabulary_size is None:
        with open(data or DEFAULT_DATA, "rb") as f:
            vocabulary_size = len(set(f.read()))
    torch.manual_seed(seed)
    model = build_model(model_name, vocabulary_size, block_size)
    optimizer = make_optimizer(model)
    model.train()
    batches = [(torch.randint(0, vocabulary_size, (batch_size, block_size)),
                torch.randint(0, vocabulary_size, (batch_size, block_size))) for _ in range(4)]
    for i in range(3):
        train_step(model, optimizer, *batches[i % len(batches)])
    began = time.perf_counter()
    for i in range(steps):
        train_step(model, optimizer, *batches[i % len(batches)])
    return steps * batch_size * block_size / (time.perf_counter() - began)


def sample(logits, temperature=0.8, top_k=40, generator=None):
    """A token id from logits [V]: the top-k largest, softmax(logits / temperature), one draw."""
    logits = logits / temperature
    if top_k is not None and top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator).item()


def generation_speed(model, length=500, prompt=(0,), block_size=None, temperature=0.8, top_k=40, seed=0):
    """Naive generation without a cache: for every new token the model runs on the last ≤ T tokens
    and samples the last position's logits. Returns (tokens/s, the generated ids)."""
    block_size = block_size or getattr(model, "block_size", 128)
    generator = torch.Generator().manual_seed(seed)
    tokens = list(prompt)
    was_training = model.training
    model.eval()
    began = time.perf_counter()
    with torch.no_grad():
        for _ in range(length):
            context = torch.tensor([tokens[-block_size:]], dtype=torch.long)
            tokens.append(sample(model(context)[0, -1], temperature, top_k, generator))
    seconds = time.perf_counter() - began
    model.train(was_training)
    return length / seconds, tokens[len(prompt):]


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
    parser.add_argument("--model", choices=["gpt", "lstm"], required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--generate", type=int, default=500, help="tokens of naive generation to time after training (0: skip)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    recipe = Recipe(args.model, args.data, seed=args.seed, block_size=args.block_size, batch_size=args.batch_size, lr=args.lr)
    corpus = recipe.corpus
    parameters = sum(p.numel() for p in recipe.model.parameters())
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpu": cpu_model(), "model": args.model,
              "seed": args.seed, "block_size": args.block_size, "batch_size": args.batch_size, "parameters": parameters,
              "vocabulary": len(corpus.vocabulary), "training_tokens": len(corpus.training),
              "validation_tokens": len(corpus.validation), "validation_windows": len(recipe.val_x),
              "windows_per_epoch": recipe.windows_per_epoch, "steps_per_epoch": recipe.steps_per_epoch,
              "epochs": [], "steps": [], "train_loss": [], "val_loss": [], "val_bits_per_char": [],
              "seconds": [], "tokens_per_second": []}
    if not args.json:
        print("PyTorch %s, %d threads, %s; %s, %d parameters; V = %d, %d training and %d validation tokens; "
              "%d windows of %d per epoch = %d steps of %d; %d validation windows"
              % (torch.__version__, torch.get_num_threads(), cpu_model(), args.model, parameters, len(corpus.vocabulary),
                 len(corpus.training), len(corpus.validation), recipe.windows_per_epoch, args.block_size,
                 recipe.steps_per_epoch, args.batch_size, len(recipe.val_x)), flush=True)
    for epoch in range(1, args.epochs + 1):
        train_loss, seconds, tokens = recipe.epoch()
        val_loss = recipe.evaluate()
        for key, value in [("epochs", epoch), ("steps", recipe.steps), ("train_loss", train_loss), ("val_loss", val_loss),
                           ("val_bits_per_char", val_loss / math.log(2)), ("seconds", seconds),
                           ("tokens_per_second", tokens / seconds)]:
            result[key].append(value)
        if not args.json:
            print("epoch %d: step %d, train_loss %.4f, val_loss %.4f (%.4f bits/char), %.1f s, %.0f tokens/s"
                  % (epoch, recipe.steps, train_loss, val_loss, val_loss / math.log(2), seconds, tokens / seconds), flush=True)
    if args.generate > 0:
        prompt = [corpus.vocabulary.index(b) for b in b"The " if b in corpus.vocabulary] or [0]
        speed, ids = generation_speed(recipe.model, args.generate, prompt=prompt, block_size=args.block_size, seed=args.seed)
        result["generation_tokens_per_second"] = speed
        result["generated"] = corpus.decode(prompt + ids).decode("utf-8", errors="replace")
        if not args.json:
            print("naive generation (no cache, temperature 0.8, top-k 40): %.1f tokens/s" % speed)
            print(repr(result["generated"][:200]))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
