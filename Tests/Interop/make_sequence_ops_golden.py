#!/usr/bin/env python3
"""Writes Tests/Golden/sequence-ops-torch.safetensors: RMSNorm, logsumexp, split, stack and a
masked softmax (masked_fill with the causal mask) computed by torch, with their gradients (needs
torch; the Swift test `SequenceOpsTests` reads the file without it). Every loss is sum(output · R).
Inputs and results are float64; the `f32.` entries are the same computations run by torch in
float32 (RMSNorm's default eps is then float32's machine epsilon).

  rmsnorm.input [2, 3, 6], rmsnorm.weight [6], rmsnorm.loss_weight; eps=None (finfo eps):
    rmsnorm.output, rmsnorm.grad.input, rmsnorm.grad.weight, and f32.rmsnorm.* likewise
  rmsnorm_plain.*: no weight, eps=1e-6: output, grad.input (loss weight rmsnorm.loss_weight)
  logsumexp.input [2, 3, 5] (one row near 1000): logsumexp.last.{output, loss_weight, grad.input}
    (dim=-1), logsumexp.middle.{output, loss_weight, grad.input} (dim=1, keepdim=True)
  split.input [2, 7, 3], sizes [2, 4, 1] along dim 1: split.piece0..2, loss on pieces 0 and 2 only
    (split.loss_weight0, split.loss_weight2), split.grad.input
  stack.a, stack.b, stack.c [2, 3] stacked along dim 1: stack.output [2, 3, 3], stack.loss_weight,
    stack.grad.a, stack.grad.b, stack.grad.c
  masked.scores [2, 2, 4, 4]: softmax(masked_fill(scores, triu(ones(4, 4), 1).bool(), -inf), -1):
    masked.output, masked.loss_weight, masked.grad.scores

Usage (from the repository root): python3 Tests/Interop/make_sequence_ops_golden.py
"""
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Golden", "sequence-ops-torch.safetensors")
torch.manual_seed(23)
tensors = {}


def leaf(t):
    return t.detach().clone().requires_grad_()


# RMSNorm (nn.RMSNorm's functional form), float64 and float32, default eps (None).
x = torch.randn(2, 3, 6, dtype=torch.float64) * 3 + 1
w = torch.rand(6, dtype=torch.float64) + 0.5
r = torch.randn(2, 3, 6, dtype=torch.float64)
tensors.update({"rmsnorm.input": x, "rmsnorm.weight": w, "rmsnorm.loss_weight": r})
for prefix, dtype in (("", torch.float64), ("f32.", torch.float32)):
    xi, wi = leaf(x.to(dtype)), leaf(w.to(dtype))
    norm = torch.nn.RMSNorm(6, dtype=dtype)
    with torch.no_grad():
        norm.weight.copy_(wi)
    out = norm(xi)
    (out * r.to(dtype)).sum().backward()
    tensors.update({prefix + "rmsnorm.output": out.detach(), prefix + "rmsnorm.grad.input": xi.grad,
                    prefix + "rmsnorm.grad.weight": norm.weight.grad})
xi = leaf(x)
out = F.rms_norm(xi, [6], None, 1e-6)
(out * r).sum().backward()
tensors.update({"rmsnorm_plain.output": out.detach(), "rmsnorm_plain.grad.input": xi.grad})

# logsumexp along the last and a middle axis.
x = torch.randn(2, 3, 5, dtype=torch.float64) * 2
x[1, 2] += 1000
tensors["logsumexp.input"] = x
for name, dim, keep in (("last", -1, False), ("middle", 1, True)):
    xi = leaf(x)
    out = torch.logsumexp(xi, dim=dim, keepdim=keep)
    r = torch.randn(out.shape, dtype=torch.float64)
    (out * r).sum().backward()
    tensors.update({f"logsumexp.{name}.output": out.detach(), f"logsumexp.{name}.loss_weight": r,
                    f"logsumexp.{name}.grad.input": xi.grad})

# split along a middle axis; piece 1 gets no gradient.
x = torch.randn(2, 7, 3, dtype=torch.float64)
xi = leaf(x)
pieces = torch.split(xi, [2, 4, 1], dim=1)
r0, r2 = torch.randn(pieces[0].shape, dtype=torch.float64), torch.randn(pieces[2].shape, dtype=torch.float64)
((pieces[0] * r0).sum() + (pieces[2] * r2).sum()).backward()
tensors.update({"split.input": x, "split.loss_weight0": r0, "split.loss_weight2": r2, "split.grad.input": xi.grad})
tensors.update({f"split.piece{i}": p.detach() for i, p in enumerate(pieces)})

# stack along a middle axis.
parts = [leaf(torch.randn(2, 3, dtype=torch.float64)) for _ in range(3)]
out = torch.stack(parts, dim=1)
r = torch.randn(out.shape, dtype=torch.float64)
(out * r).sum().backward()
tensors.update({"stack.a": parts[0].detach(), "stack.b": parts[1].detach(), "stack.c": parts[2].detach(),
                "stack.output": out.detach(), "stack.loss_weight": r,
                "stack.grad.a": parts[0].grad, "stack.grad.b": parts[1].grad, "stack.grad.c": parts[2].grad})

# The causal mask of attention: masked_fill with -inf above the diagonal, then softmax.
scores = leaf(torch.randn(2, 2, 4, 4, dtype=torch.float64))
mask = torch.triu(torch.ones(4, 4), 1).bool()
out = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
r = torch.randn(out.shape, dtype=torch.float64)
(out * r).sum().backward()
tensors.update({"masked.scores": scores.detach(), "masked.output": out.detach(), "masked.loss_weight": r,
                "masked.grad.scores": scores.grad})

save_file({k: v.detach().contiguous() for k, v in tensors.items()}, OUT, metadata={"torch": torch.__version__})
print("wrote", OUT)
