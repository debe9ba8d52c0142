"""Synapse's architecture JSON as a torch.nn.Module whose state_dict names match Synapse's tensor names.

Shared by Tests/Interop/resnet_interop.py, Tests/Golden/make_graph_golden.py and
Benchmarks/resnet_mnist.py. Sizes that a hand-written architecture leaves out ("in" of dense and
conv2d, "features" of batchnorm) are inferred from the shape of one example, as Synapse does:

    module, output_shape = synapse_torch.build(json.load(open("Examples/resnet-mnist.json")), [784])

The modules are the ones a PyTorch user would write: `Residual` holds `block` and `shortcut`
(nn.Identity when absent), a graph is a module whose children are named after its nodes and whose
forward wires them, `dense` is an nn.Linear (its activation adds no parameters).
"""
import torch
from torch import nn


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


class Residual(nn.Module):
    """block(x) + shortcut(x); the shortcut is nn.Identity when the architecture has none."""

    def __init__(self, block, shortcut=None):
        super().__init__()
        self.block = block
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x):
        return self.block(x) + self.shortcut(x)


class Add(nn.Module):
    def forward(self, *inputs):
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return total


class Concat(nn.Module):
    def __init__(self, axis=1):
        super().__init__()
        self.axis = axis

    def forward(self, *inputs):
        return torch.cat(inputs, dim=self.axis)


class Reshape(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.shape)


class GlobalAvgPool(nn.Module):
    """[N, C, H, W] → [N, C], the mean over each channel's plane."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


class Dense(nn.Linear):
    """An nn.Linear followed by its activation, under the Linear's state-dict names."""

    def __init__(self, inputs, outputs, bias, activation):
        super().__init__(inputs, outputs, bias=bias)
        self.activation = activation

    def forward(self, x):
        return self.activation(super().forward(x))


class Graph(nn.Module):
    """Named nodes, each a child module applied to the outputs of earlier nodes or graph inputs."""

    def __init__(self, inputs, nodes, outputs):
        super().__init__()
        self.input_names = list(inputs)
        self.wiring = []            # (name, inputs) in a topological order
        for name, module, node_inputs in nodes:
            self.add_module(name, module)
            self.wiring.append((name, list(node_inputs)))
        self.output_names = list(outputs)

    def forward(self, *inputs):
        values = dict(zip(self.input_names, inputs))
        for name, node_inputs in self.wiring:
            values[name] = getattr(self, name)(*[values[i] for i in node_inputs])
        outputs = [values[name] for name in self.output_names]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def activation(name):
    name = name.lower().replace(" ", "")
    simple = {"identity": nn.Identity, "linear": nn.Identity, "none": nn.Identity, "relu": nn.ReLU, "sigmoid": nn.Sigmoid,
              "tanh": nn.Tanh, "silu": nn.SiLU, "swish": nn.SiLU, "softplus": nn.Softplus, "gelu": nn.GELU}
    if name in simple:
        return simple[name]()
    if name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    if name == "softmax":
        return nn.Softmax(dim=-1)
    if name == "log_softmax":
        return nn.LogSoftmax(dim=-1)
    base, _, argument = name.partition("(")
    value = float(argument.rstrip(")")) if argument else None
    if base == "leaky_relu":
        return nn.LeakyReLU(0.01 if value is None else value)
    if base == "elu":
        return nn.ELU(1.0 if value is None else value)
    raise ValueError("activation %r not covered" % name)


def conv_output(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def build(spec, shape):
    """(module, output shape) for one layer of the architecture, given one example's input shape
    (a list without the batch axis). Merge layers ("add", "concat") take a list of shapes."""
    kind = spec["type"]
    if kind == "sequential":
        layers = []
        for layer in spec["layers"]:
            module, shape = build(layer, shape)
            layers.append(module)
        return nn.Sequential(*layers), shape
    if kind == "dense":
        inputs = spec.get("in") or shape[-1]
        assert shape[-1] == inputs, "dense expects %d features, gets %s" % (inputs, shape)
        return Dense(inputs, spec["out"], spec.get("bias", True), activation(spec.get("activation", "identity"))), shape[:-1] + [spec["out"]]
    if kind == "activation":
        return activation(spec["function"]), shape
    if kind == "dropout":
        return nn.Dropout(spec["rate"]), shape
    if kind == "flatten":
        size = 1
        for s in shape:
            size *= s
        return nn.Flatten(), [size]
    if kind == "reshape":
        return Reshape(spec["shape"]), list(spec["shape"])
    if kind == "identity":
        return nn.Identity(), shape
    if kind == "conv2d":
        kernel, stride, dilation = pair(spec["kernel"]), pair(spec.get("stride", 1)), pair(spec.get("dilation", 1))
        padding = spec.get("padding", 0)
        padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation)) if padding == "same" else pair(padding)
        inputs = spec.get("in") or shape[0]
        assert shape[0] == inputs, "conv2d expects %d channels, gets %s" % (inputs, shape)
        module = nn.Conv2d(inputs, spec["out"], kernel, stride=stride, padding=padding, dilation=dilation, bias=spec.get("bias", True))
        return module, [spec["out"]] + [conv_output(shape[1 + i], kernel[i], stride[i], padding[i], dilation[i]) for i in range(2)]
    if kind in ("maxpool2d", "avgpool2d"):
        kernel = pair(spec["kernel"])
        stride, padding = pair(spec.get("stride", kernel)), pair(spec.get("padding", 0))
        module = (nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d)(kernel, stride=stride, padding=padding)
        return module, [shape[0]] + [conv_output(shape[1 + i], kernel[i], stride[i], padding[i], 1) for i in range(2)]
    if kind == "global_avg_pool":
        return GlobalAvgPool(), [shape[0]]
    if kind == "batchnorm":
        features = spec.get("features") or shape[0]
        norm = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return norm(features, eps=spec.get("eps", 1e-5), momentum=spec.get("momentum", 0.1), affine=spec.get("affine", True)), shape
    if kind == "residual":
        def branch(value):
            if value is None:
                return None, shape
            return build({"type": "sequential", "layers": value} if isinstance(value, list) else value, shape)
        block, out = branch(spec["block"])
        shortcut, skip = branch(spec.get("shortcut"))
        assert out == skip, "residual: block gives %s, shortcut %s" % (out, skip)
        return Residual(block, shortcut), out
    if kind == "add":
        assert all(s == shape[0] for s in shape), "add of shapes %s" % shape
        return Add(), shape[0]
    if kind == "concat":
        axis = spec.get("axis", 1)
        axis = axis - 1 if axis > 0 else len(shape[0]) + axis   # without the batch axis
        out = list(shape[0])
        out[axis] = sum(s[axis] for s in shape)
        return Concat(spec.get("axis", 1)), out
    if kind == "graph":
        shapes = {name: shape for name in spec["inputs"]}    # one input: every input name gets `shape`
        pending, nodes = list(spec["nodes"]), []
        while pending:   # nodes in any order: take each once its inputs are known
            ready = [node for node in pending if all(i in shapes for i in node["inputs"])]
            assert ready, "graph: cycle or unknown input among %s" % [n["name"] for n in pending]
            for node in ready:
                given = [shapes[i] for i in node["inputs"]]
                module, shapes[node["name"]] = build(node, given if node["type"] in ("add", "concat") else given[0])
                nodes.append((node["name"], module, node["inputs"]))
                pending.remove(node)
        outputs = spec["outputs"]
        return Graph(spec["inputs"], nodes, outputs), shapes[outputs[0]]
    raise ValueError("layer type %r not covered" % kind)
