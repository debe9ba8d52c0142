#!/usr/bin/env python3
"""Writes Tests/Golden/sequence-layers-torch.safetensors: nn.Embedding and nn.LayerNorm outputs and
gradients for fixed weights and inputs, in float64 (needs torch; the Swift test
`SequenceLayerTests` reads the file without it). For each layer the loss is sum(output · R):

  embedding.weight [7, 5], embedding.indices [2, 4] (as float64, with repeats), embedding.output,
  embedding.loss_weight, embedding.grad.weight
  layernorm.input [2, 3, 6], layernorm.weight, layernorm.bias [6] (eps 1e-5), layernorm.output,
  layernorm.loss_weight, layernorm.grad.input, layernorm.grad.weight, layernorm.grad.bias

Usage (from the repository root): python3 Tests/Interop/make_sequence_golden.py
"""
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Golden", "sequence-layers-torch.safetensors")
torch.manual_seed(17)
tensors = {}

embedding = torch.nn.Embedding(7, 5).double()
indices = torch.tensor([[3, 0, 6, 3], [1, 3, 6, 2]])
out = embedding(indices)
r = torch.randn(out.shape, dtype=torch.float64)
(out * r).sum().backward()
tensors.update({"embedding.weight": embedding.weight.detach(), "embedding.indices": indices.double(),
                "embedding.output": out.detach(), "embedding.loss_weight": r, "embedding.grad.weight": embedding.weight.grad})

norm = torch.nn.LayerNorm(6).double()
with torch.no_grad():
    norm.weight.copy_(torch.rand(6, dtype=torch.float64) + 0.5)
    norm.bias.copy_(torch.randn(6, dtype=torch.float64))
x = (torch.randn(2, 3, 6, dtype=torch.float64) * 3 + 1).requires_grad_()
out = norm(x)
r = torch.randn(out.shape, dtype=torch.float64)
(out * r).sum().backward()
tensors.update({"layernorm.input": x.detach(), "layernorm.weight": norm.weight.detach(), "layernorm.bias": norm.bias.detach(),
                "layernorm.output": out.detach(), "layernorm.loss_weight": r, "layernorm.grad.input": x.grad,
                "layernorm.grad.weight": norm.weight.grad, "layernorm.grad.bias": norm.bias.grad})

save_file({k: v.contiguous() for k, v in tensors.items()}, OUT, metadata={"torch": torch.__version__})
print("wrote", OUT)
