#!/usr/bin/env python3
"""Writes the PyTorch golden files for residual and graph networks (needs torch; the Swift test
`TorchGoldenTests` reads them without it):

  residual-torch.safetensors  a small ResNet (residual blocks with and without a projection
                              shortcut, a block that is one layer, batch norm)
  graph-torch.safetensors     a branching graph: two branches of a node concatenated along the
                              channels, an `add` that takes one node twice and another through an
                              identity node, batch norm, a dense head
  resnet-mnist-state-dict.json  the state_dict names and shapes of Examples/resnet-mnist.json as
                              torch names them (read by Tests/Interop/resnet_interop.py)

Each .safetensors file holds, in float64, with the architecture JSON in its metadata:
  state.NAME          the module's state_dict before the step (running statistics made non-trivial)
  input               a batch x;  loss_weight: R, the loss is sum(output · R)
  eval.output         the output in evaluation mode (running statistics)
  train.output        the output in training mode (batch statistics)
  train.grad.input    ∂loss/∂x in training mode;  train.grad.NAME: ∂loss/∂parameter
  train.state.NAME    the running statistics after that one training-mode forward pass

Usage (from the repository root): python3 Tests/Golden/make_graph_golden.py
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "Tests", "Interop"))
import synapse_torch  # noqa: E402

RESIDUAL = {"type": "sequential", "layers": [
    {"type": "conv2d", "out": 4, "kernel": 3, "padding": 1},
    {"type": "batchnorm"}, {"type": "activation", "function": "relu"},
    {"type": "residual",
     "block": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1, "bias": False}, {"type": "batchnorm"},
               {"type": "activation", "function": "relu"},
               {"type": "conv2d", "out": 4, "kernel": 3, "padding": 1, "bias": False}, {"type": "batchnorm"}]},
    {"type": "activation", "function": "relu"},
    {"type": "residual",
     "block": [{"type": "conv2d", "out": 6, "kernel": 3, "stride": 2, "padding": 1, "bias": False}, {"type": "batchnorm"},
               {"type": "activation", "function": "relu"},
               {"type": "conv2d", "out": 6, "kernel": 3, "padding": 1, "bias": False}, {"type": "batchnorm"}],
     "shortcut": [{"type": "conv2d", "out": 6, "kernel": 1, "stride": 2, "bias": False}, {"type": "batchnorm"}]},
    {"type": "activation", "function": "tanh"},
    {"type": "residual", "block": {"type": "conv2d", "out": 6, "kernel": 3, "padding": "same"}, "shortcut": {"type": "identity"}},
    {"type": "global_avg_pool"},
    {"type": "dense", "out": 3}]}

GRAPH = {"type": "graph", "inputs": ["x"], "nodes": [
    {"name": "stem", "type": "conv2d", "inputs": ["x"], "out": 4, "kernel": 3, "padding": 1},
    {"name": "norm", "type": "batchnorm", "inputs": ["stem"]},
    {"name": "act", "type": "activation", "function": "relu", "inputs": ["norm"]},
    {"name": "branch_a", "type": "sequential", "inputs": ["act"], "layers": [
        {"type": "conv2d", "out": 3, "kernel": 3, "padding": 1}, {"type": "activation", "function": "tanh"}]},
    {"name": "branch_b", "type": "conv2d", "inputs": ["act"], "out": 5, "kernel": 1, "bias": False},
    {"name": "cat", "type": "concat", "axis": 1, "inputs": ["branch_a", "branch_b"]},
    {"name": "mix", "type": "conv2d", "inputs": ["cat"], "out": 4, "kernel": 1},
    {"name": "skip", "type": "identity", "inputs": ["act"]},
    {"name": "sum", "type": "add", "inputs": ["mix", "act", "skip", "mix"]},
    {"name": "pool", "type": "global_avg_pool", "inputs": ["sum"]},
    {"name": "head", "type": "dense", "out": 3, "activation": "sigmoid", "inputs": ["pool"]}],
    "outputs": ["head"]}

INPUT_SHAPE = [2, 6, 6]
BATCH = 5


def golden(name, spec, seed):
    torch.manual_seed(seed)
    model, output_shape = synapse_torch.build(spec, INPUT_SHAPE)
    model = model.double()
    with torch.no_grad():
        for key, tensor in model.state_dict().items():   # non-trivial running statistics and affine parts
            if key.endswith("running_mean") or key.endswith(".weight") and tensor.dim() == 1 or key.endswith("bias") and tensor.dim() == 1:
                tensor.copy_(torch.randn_like(tensor) * 0.5 + (1.0 if key.endswith(".weight") else 0.0))
            elif key.endswith("running_var"):
                tensor.copy_(torch.rand_like(tensor) + 0.5)
    state = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    x = torch.randn([BATCH] + INPUT_SHAPE, dtype=torch.float64)
    weight = torch.randn([BATCH] + output_shape, dtype=torch.float64)

    model.eval()
    with torch.no_grad():
        eval_output = model(x)
    model.train()
    x_grad = x.clone().requires_grad_(True)
    output = model(x_grad)
    (output * weight).sum().backward()

    tensors = {"state." + k: v for k, v in state.items()}
    tensors.update({"input": x, "loss_weight": weight, "eval.output": eval_output, "train.output": output.detach(),
                    "train.grad.input": x_grad.grad})
    for key, parameter in model.named_parameters():
        tensors["train.grad." + key] = parameter.grad
    for key, buffer in model.named_buffers():
        if not key.endswith("num_batches_tracked"):
            tensors["train.state." + key] = buffer.detach().clone()
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    path = os.path.join(HERE, name)
    save_file(tensors, path, metadata={"architecture": json.dumps(spec), "input_shape": json.dumps(INPUT_SHAPE),
                                       "torch": torch.__version__, "loss": "sum(output * loss_weight)"})
    print("wrote %s: %d tensors, %d parameters" % (path, len(tensors), sum(p.numel() for p in model.parameters())))


def resnet_state_dict():
    """The names of the hand-written torch ResNet (resnet_interop.py), checked against the module
    built from Examples/resnet-mnist.json."""
    import resnet_interop
    names = {k: list(v.shape) for k, v in resnet_interop.hand_written_resnet(torch).state_dict().items()}
    with open(os.path.join(ROOT, "Examples", "resnet-mnist.json")) as f:
        built = {k: list(v.shape) for k, v in synapse_torch.build(json.load(f), [784])[0].state_dict().items()}
    assert built == names, "the module built from the JSON differs from the hand-written one"
    path = os.path.join(HERE, "resnet-mnist-state-dict.json")
    with open(path, "w") as f:
        json.dump(names, f, indent=1)
        f.write("\n")
    print("wrote %s: %d entries" % (path, len(names)))


if __name__ == "__main__":
    golden("residual-torch.safetensors", RESIDUAL, 1)
    golden("graph-torch.safetensors", GRAPH, 2)
    resnet_state_dict()
