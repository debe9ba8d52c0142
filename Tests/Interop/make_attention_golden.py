#!/usr/bin/env python3
"""Writes Tests/Golden/attention-torch.safetensors: nn.MultiheadAttention(8, 2, batch_first=True)
self-attention outputs and gradients for fixed weights and inputs, in float64 (needs torch; the
Swift test `AttentionTests` reads the file without it). B = 2, T = 5, C = 8, 2 heads.

  in_proj_weight [24, 8], in_proj_bias [24], out_proj.weight [8, 8], out_proj.bias [8]
      (biases drawn non-zero so their gradients and effects are tested)
  input [2, 5, 8], loss_weight [2, 5, 8]
  causal.output: mha(x, x, x, attn_mask=generate_square_subsequent_mask(5)) and, for the loss
      sum(causal.output · loss_weight), causal.grad.input, causal.grad.in_proj_weight,
      causal.grad.in_proj_bias, causal.grad.out_proj.weight, causal.grad.out_proj.bias
  padded.mask [2, 5] (1.0 = padding: the last 2 keys of batch element 1), padded.output:
      mha(x, x, x, key_padding_mask=mask) without a causal mask, and padded.grad.input

Usage (from the repository root): python3 Tests/Interop/make_attention_golden.py
"""
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Golden", "attention-torch.safetensors")
torch.manual_seed(23)
B, T, C, H = 2, 5, 8, 2
mha = torch.nn.MultiheadAttention(C, H, bias=True, batch_first=True).double()
with torch.no_grad():
    mha.in_proj_bias.copy_(torch.randn(3 * C, dtype=torch.float64) * 0.5)
    mha.out_proj.bias.copy_(torch.randn(C, dtype=torch.float64) * 0.5)
x = torch.randn(B, T, C, dtype=torch.float64).requires_grad_()
r = torch.randn(B, T, C, dtype=torch.float64)
tensors = {"in_proj_weight": mha.in_proj_weight.detach().clone(), "in_proj_bias": mha.in_proj_bias.detach().clone(),
           "out_proj.weight": mha.out_proj.weight.detach().clone(), "out_proj.bias": mha.out_proj.bias.detach().clone(),
           "input": x.detach().clone(), "loss_weight": r}

mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
out, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
(out * r).sum().backward()
tensors.update({"causal.output": out.detach(), "causal.grad.input": x.grad.clone(),
                "causal.grad.in_proj_weight": mha.in_proj_weight.grad.clone(),
                "causal.grad.in_proj_bias": mha.in_proj_bias.grad.clone(),
                "causal.grad.out_proj.weight": mha.out_proj.weight.grad.clone(),
                "causal.grad.out_proj.bias": mha.out_proj.bias.grad.clone()})

x.grad = None
padding = torch.zeros(B, T, dtype=torch.bool)
padding[1, T - 2:] = True
out, _ = mha(x, x, x, key_padding_mask=padding, need_weights=False)
(out * r).sum().backward()
tensors.update({"padded.mask": padding.double(), "padded.output": out.detach(), "padded.grad.input": x.grad.clone()})

save_file({k: v.contiguous() for k, v in tensors.items()}, OUT, metadata={"torch": torch.__version__})
print("wrote", OUT)
