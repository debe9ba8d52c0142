#!/usr/bin/env python3
"""Writes Tests/Golden/lm-training-torch.safetensors: 20 training steps of a small GPT and a small
LSTM language model in PyTorch, for `LanguageModelTrainingGoldenTests` (which reads the file
without torch) to repeat in Synapse and compare step by step.

The models are Benchmarks/text_lm.py's (the same modules, hence the same state_dict names as
Synapse's `LayerSpec.gpt` and `LayerSpec.recurrentLanguageModel`) at small sizes, vocabulary 11:

  gpt   nn.Sequential(Embedding(11, 16), LearnedPositions(8, 16),
                      2 × TransformerEncoderLayer(16, 2 heads, feed-forward 64, GELU, norm_first, batch_first, causal),
                      LayerNorm(16), Linear(16, 11))
        AdamW lr 1e-2, betas (0.9, 0.99), eps 1e-8, weight decay 0.1 on parameters of rank ≥ 2, 0 on the others
  lstm  nn.Sequential(Embedding(11, 8), LSTM(8, 12, 2 layers, batch_first), Linear(12, 11))
        Adam lr 1e-2, betas (0.9, 0.999), eps 1e-8, no weight decay

Each step: zero the gradients, forward on the batch's ids [4, 8], mean cross-entropy of the logits
reshaped to [32, 11] against the targets, backward, `clip_grad_norm_(parameters, 1.0)`, optimizer step.
The weights are initialised in float32 by torch (seeded), so the float64 run (`model.double()`, the
primary golden) and the float32 run start from exactly the same numbers.

Tensors (M is `gpt` or `lstm`; NAME a torch state_dict name such as `0.weight`, `2.self_attn.in_proj_weight`):
  batches.inputs, batches.targets   [20, 4, 8] token ids in 0..<11 (as float64), shared by both models:
                                    windows of arithmetic sequences mod 11, targets the inputs shifted by one
  M.initial.NAME                    the initial state dict (float64; exactly the float32 initial values)
  M.losses                          [20] the loss of every step (float64 run), before that step's update
  M.grad_norms                      [20] the gradient norm clip_grad_norm_ returned (before clipping)
  M.final.NAME                      the state dict after the 20 steps (float64 run)
  M.float32.losses                  [20] the losses of the same training in float32 (as float64)
  M.float32.final.NAME              the state dict after the 20 float32 steps (float32)

Usage (from the repository root): python3 Tests/Interop/make_lm_training_golden.py
"""
import copy
import os
import sys

import torch
from torch import nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Benchmarks"))
from text_lm import LSTM, Block, LearnedPositions  # noqa: E402  (the benchmark's modules)

OUT = os.path.join(HERE, "..", "Golden", "lm-training-torch.safetensors")
VOCABULARY, BLOCK, BATCH, STEPS = 11, 8, 4, 20


def gpt():
    return nn.Sequential(nn.Embedding(VOCABULARY, 16), LearnedPositions(BLOCK, 16), *[Block(16, 2, 64) for _ in range(2)],
                         nn.LayerNorm(16), nn.Linear(16, VOCABULARY))


def lstm():
    return nn.Sequential(nn.Embedding(VOCABULARY, 8), LSTM(8, 12, num_layers=2, batch_first=True), nn.Linear(12, VOCABULARY))


def adamw(model):
    """text_lm.make_optimizer's two groups (decay on rank ≥ 2), at lr 1e-2."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=1e-2, betas=(0.9, 0.99), eps=1e-8)


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8)


def train(model, make_optimizer, inputs, targets):
    """The 20 steps; returns (losses, gradient norms) as float64 lists."""
    optimizer = make_optimizer(model)
    model.train()
    losses, norms = [], []
    for x, y in zip(inputs, targets):
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCABULARY), y.reshape(-1))
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), 1.0)))
        optimizer.step()
        losses.append(loss.item())
    return losses, norms


def main():
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(2024)
    # Windows of 9 tokens of arithmetic sequences mod 11 (random start, step 1, 2 or 3): inputs the
    # first 8, targets the next 8, something the models can learn within 20 steps.
    starts = torch.randint(0, VOCABULARY, (STEPS, BATCH, 1), generator=generator)
    strides = torch.randint(1, 4, (STEPS, BATCH, 1), generator=generator)
    windows = (starts + strides * torch.arange(BLOCK + 1)) % VOCABULARY
    inputs, targets = windows[..., :-1].contiguous(), windows[..., 1:].contiguous()
    tensors = {"batches.inputs": inputs.double(), "batches.targets": targets.double()}
    for name, build, make_optimizer, seed in [("gpt", gpt, adamw, 7), ("lstm", lstm, adam, 8)]:
        torch.manual_seed(seed)
        single = build()                          # initialised in float32
        double = copy.deepcopy(single).double()   # the same numbers in float64
        for key, value in double.state_dict().items():
            tensors["%s.initial.%s" % (name, key)] = value.detach().clone()
        losses, norms = train(double, make_optimizer, inputs, targets)
        tensors["%s.losses" % name] = torch.tensor(losses, dtype=torch.float64)
        tensors["%s.grad_norms" % name] = torch.tensor(norms, dtype=torch.float64)
        for key, value in double.state_dict().items():
            tensors["%s.final.%s" % (name, key)] = value.detach().clone()
        losses32, _ = train(single, make_optimizer, inputs, targets)
        tensors["%s.float32.losses" % name] = torch.tensor(losses32, dtype=torch.float64)
        for key, value in single.state_dict().items():
            tensors["%s.float32.final.%s" % (name, key)] = value.detach().clone()
        drift = max(abs(a - b) / abs(a) for a, b in zip(losses, losses32))
        print("%s: %d parameters, loss %.4f → %.4f; float32 vs float64 loss: max relative %.1e"
              % (name, sum(p.numel() for p in double.parameters()), losses[0], losses[-1], drift))
    save_file({k: v.contiguous() for k, v in tensors.items()}, OUT,
              metadata={"torch": torch.__version__, "vocabulary": str(VOCABULARY), "steps": str(STEPS)})
    os.chmod(OUT, 0o644)
    print("wrote", os.path.normpath(OUT), "(%d tensors)" % len(tensors))


if __name__ == "__main__":
    main()
