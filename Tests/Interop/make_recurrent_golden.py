#!/usr/bin/env python3
"""Writes Tests/Golden/recurrent-torch.safetensors: nn.LSTM and nn.GRU (2 layers, batch_first,
with biases) outputs, final states and gradients for fixed weights, inputs and initial states, in
float64 (needs torch; the Swift test `RecurrentTests` reads the file without it). Sizes: input 5,
hidden 7, batch 3, 4 steps. For each network (prefix `lstm.` or `gru.`):

  <state-dict names>   weight_ih_l0 [G, 5], weight_hh_l0 [G, 7], bias_ih_l0, bias_hh_l0 [G], … _l1
  input [3, 4, 5], h0 [2, 3, 7] (and c0 for the LSTM)
  output [3, 4, 7], h_n [2, 3, 7] (and c_n)
  loss weights r_output, r_h (and r_c): loss = sum(output·r_output) + sum(h_n·r_h) (+ sum(c_n·r_c))
  grad.<name> for every parameter, grad.input, grad.h0 (and grad.c0)

Usage (from the repository root): python3 Tests/Interop/make_recurrent_golden.py
"""
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Golden", "recurrent-torch.safetensors")
torch.manual_seed(23)
I, H, L, B, T = 5, 7, 2, 3, 4
tensors = {}

for kind in ["lstm", "gru"]:
    net = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(I, H, num_layers=L, batch_first=True).double()
    x = torch.randn(B, T, I, dtype=torch.float64, requires_grad=True)
    h0 = (torch.randn(L, B, H, dtype=torch.float64) * 0.5).requires_grad_()
    if kind == "lstm":
        c0 = (torch.randn(L, B, H, dtype=torch.float64) * 0.5).requires_grad_()
        out, (hn, cn) = net(x, (h0, c0))
    else:
        out, hn = net(x, h0)
    r_out = torch.randn(out.shape, dtype=torch.float64)
    r_h = torch.randn(hn.shape, dtype=torch.float64)
    loss = (out * r_out).sum() + (hn * r_h).sum()
    if kind == "lstm":
        r_c = torch.randn(cn.shape, dtype=torch.float64)
        loss = loss + (cn * r_c).sum()
    loss.backward()
    p = kind + "."
    for name, parameter in net.named_parameters():
        tensors[p + name] = parameter.detach()
        tensors[p + "grad." + name] = parameter.grad
    tensors.update({p + "input": x.detach(), p + "h0": h0.detach(), p + "output": out.detach(), p + "h_n": hn.detach(),
                    p + "r_output": r_out, p + "r_h": r_h, p + "grad.input": x.grad, p + "grad.h0": h0.grad})
    if kind == "lstm":
        tensors.update({p + "c0": c0.detach(), p + "c_n": cn.detach(), p + "r_c": r_c, p + "grad.c0": c0.grad})

save_file({k: v.contiguous() for k, v in tensors.items()}, OUT, metadata={"torch": torch.__version__})
print("wrote", OUT)
