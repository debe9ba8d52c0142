"""Interoperability check between Synapse and NumPy / safetensors (and PyTorch when importable).

Run by the Swift test `InteropTests` as `python3 interop.py DIR`: DIR holds files Synapse wrote.
This script
  1. loads Synapse's model file with safetensors + NumPy only, rebuilds the network from the
     metadata, and reproduces Synapse's predictions to 1e-5 (and through torch's load_state_dict
     when torch is importable);
     The same for a CNN (conv2d, batch norm, pooling), computed in NumPy from the tensors alone;
  2. reads the .npy files Synapse wrote and checks their dtypes, shapes and values;
  3. writes a PyTorch-style MLP state dict (safetensors, no Synapse metadata), its inputs and
     outputs, and .npy files in other layouts (version 2.0 and 3.0 headers, big-endian), which the
     Swift test then loads and checks.
Exit status 0 when every check passes; a message on stderr otherwise.
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def fail(message):
    print("interop.py: " + message, file=sys.stderr)
    sys.exit(1)


def activation(name, x):
    if name == "identity":
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    fail("activation %s not covered by this check" % name)


def forward(spec, tensors, x, prefix=""):
    """The network described by Synapse's architecture JSON, in NumPy (torch.nn.Linear semantics)."""
    if spec["type"] == "sequential":
        for i, layer in enumerate(spec["layers"]):
            x = forward(layer, tensors, x, "%s%d." % (prefix, i))
        return x
    if spec["type"] == "dense":
        x = x @ tensors[prefix + "weight"].T
        if spec["bias"]:
            x = x + tensors[prefix + "bias"]
        return activation(spec["activation"], x)
    if spec["type"] == "activation":
        return activation(spec["function"], x)
    if spec["type"] in ("dropout", "flatten"):
        return x.reshape(x.shape[0], -1)
    if spec["type"] == "reshape":
        return x.reshape([x.shape[0]] + spec["shape"])
    if spec["type"] == "conv2d":
        return conv2d(x, tensors[prefix + "weight"], tensors.get(prefix + "bias"), spec)
    if spec["type"] in ("maxpool2d", "avgpool2d"):
        return pool2d(x, spec)
    if spec["type"] == "global_avg_pool":
        return x.mean(axis=(2, 3))
    if spec["type"] == "batchnorm":   # evaluation mode: the running statistics
        shape = (1, -1) + (1,) * (x.ndim - 2)
        y = (x - tensors[prefix + "running_mean"].reshape(shape)) / np.sqrt(tensors[prefix + "running_var"].reshape(shape) + spec["eps"])
        if spec["affine"]:
            y = y * tensors[prefix + "weight"].reshape(shape) + tensors[prefix + "bias"].reshape(shape)
        return y
    fail("layer type %s not covered by this check" % spec["type"])


def pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def windows(x, kernel, stride, padding, dilation, fill):
    """Yields (i, j, x[:, :, taps]) for every window tap: the NCHW input seen through tap (i, j)."""
    (kh, kw), (sy, sx), (py, px), (dy, dx) = kernel, stride, padding, dilation
    padded = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)), constant_values=fill)
    oh = (padded.shape[2] - dy * (kh - 1) - 1) // sy + 1
    ow = (padded.shape[3] - dx * (kw - 1) - 1) // sx + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, padded[:, :, i * dy:i * dy + sy * (oh - 1) + 1:sy, j * dx:j * dx + sx * (ow - 1) + 1:sx]


def conv2d(x, weight, bias, spec):
    """Cross-correlation as torch.nn.functional.conv2d: y[n,o] = b[o] + sum_{c,i,j} W[o,c,i,j] x[n,c,...]."""
    taps = windows(x, pair(spec["kernel"]), pair(spec["stride"]), pair(spec["padding"]), pair(spec["dilation"]), 0.0)
    y = sum(np.einsum("nchw,oc->nohw", patch, weight[:, :, i, j]) for i, j, patch in taps)
    return y + bias.reshape(1, -1, 1, 1) if bias is not None else y


def pool2d(x, spec):
    maximum = spec["type"] == "maxpool2d"
    patches = [p for _, _, p in windows(x, pair(spec["kernel"]), pair(spec["stride"]), pair(spec["padding"]), (1, 1),
                                        -np.inf if maximum else 0.0)]
    return np.max(patches, axis=0) if maximum else np.mean(patches, axis=0)


def torch_module(spec, torch):
    """The torch.nn module for one layer of Synapse's architecture JSON (state-dict names match)."""
    nn = torch.nn
    kind = spec["type"]
    if kind == "sequential":
        return nn.Sequential(*[torch_module(layer, torch) for layer in spec["layers"]])
    if kind == "dense":
        class DenseLayer(nn.Linear):   # a Linear followed by its activation, under the Linear's state-dict names
            def forward(self, x):
                return torch_activation(spec["activation"], torch)(super().forward(x))
        return DenseLayer(spec["in"], spec["out"], bias=spec["bias"])
    if kind == "activation":
        return torch_activation(spec["function"], torch)
    if kind == "conv2d":
        return nn.Conv2d(spec["in"], spec["out"], pair(spec["kernel"]), stride=pair(spec["stride"]), padding=pair(spec["padding"]),
                         dilation=pair(spec["dilation"]), bias=spec["bias"])
    if kind == "maxpool2d":
        return nn.MaxPool2d(pair(spec["kernel"]), stride=pair(spec["stride"]), padding=pair(spec["padding"]))
    if kind == "avgpool2d":
        return nn.AvgPool2d(pair(spec["kernel"]), stride=pair(spec["stride"]), padding=pair(spec["padding"]))
    if kind == "batchnorm":
        return nn.BatchNorm2d(spec["features"], eps=spec["eps"], momentum=spec["momentum"], affine=spec["affine"])
    if kind == "reshape":
        return nn.Unflatten(1, tuple(spec["shape"]))
    if kind == "flatten":
        return nn.Flatten()
    if kind == "global_avg_pool":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Identity()


def torch_activation(name, torch):
    return {"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid(), "identity": torch.nn.Identity()}[name]


def check_synapse_cnn(directory):
    """A CNN model file: NumPy reproduces its predictions from the tensors and the architecture alone."""
    path = os.path.join(directory, "synapse_cnn.safetensors")
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        spec = json.loads(f.metadata()["architecture"])
    x = np.load(os.path.join(directory, "synapse_cnn_inputs.npy")).astype(np.float64)
    expected = np.load(os.path.join(directory, "synapse_cnn_predictions.npy"))
    outputs = forward(spec, {k: v.astype(np.float64) for k, v in tensors.items()}, x)
    error = np.max(np.abs(outputs - expected))
    if not error < 1e-4:
        fail("NumPy CNN predictions differ from Synapse's by %g" % error)
    print("synapse CNN through NumPy: max |difference| %.2e over %d predictions" % (error, expected.size))
    try:
        import torch
    except ImportError:
        return
    from safetensors.torch import load_file as torch_load
    state = {k: v for k, v in torch_load(path).items()}
    model = torch_module(spec, torch)
    # Synapse's state dict has no num_batches_tracked; torch's BatchNorm only counts steps with it.
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not name.endswith("num_batches_tracked") for name in missing):
        fail("torch load_state_dict: missing %s, unexpected %s" % (missing, unexpected))
    model.eval()
    with torch.no_grad():
        torch_outputs = model(torch.tensor(x, dtype=torch.float32)).numpy()
    error = np.max(np.abs(torch_outputs - expected))
    if not error < 1e-4:
        fail("PyTorch CNN predictions differ from Synapse's by %g" % error)
    print("synapse CNN through torch.load_state_dict: max |difference| %.2e" % error)


def check_synapse_model(directory):
    path = os.path.join(directory, "synapse_model.safetensors")
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    if metadata.get("format") != "synapse":
        fail("metadata format is %r" % metadata.get("format"))
    spec = json.loads(metadata["architecture"])
    scaling = json.loads(metadata["scaling"])
    class_names = json.loads(metadata["class_names"])
    if class_names != ["red", "green", "blue"]:
        fail("class names %r" % class_names)
    for name, tensor in tensors.items():
        if tensor.dtype != np.float32:
            fail("%s has dtype %s" % (name, tensor.dtype))
    x = np.load(os.path.join(directory, "synapse_inputs.npy"))
    expected = np.load(os.path.join(directory, "synapse_predictions.npy"))
    scaled = (x.astype(np.float64) - np.array(scaling["shift"])) / np.array(scaling["scale"])
    outputs = forward(spec, {k: v.astype(np.float64) for k, v in tensors.items()}, scaled)
    error = np.max(np.abs(outputs - expected))
    if not error < 1e-5:
        fail("NumPy predictions differ from Synapse's by %g" % error)
    print("synapse model through NumPy: max |difference| %.2e over %d predictions" % (error, expected.size))
    try:
        import torch
    except ImportError:
        print("torch is not importable: load_state_dict check skipped")
        return
    layers = []
    for layer in spec["layers"]:
        if layer["type"] == "dense":
            layers.append(torch.nn.Linear(layer["in"], layer["out"], bias=layer["bias"]))
        elif layer["type"] == "activation":
            layers.append({"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(), "sigmoid": torch.nn.Sigmoid()}[layer["function"]])
        else:
            layers.append(torch.nn.Identity())
    model = torch.nn.Sequential(*layers)
    from safetensors.torch import load_file as torch_load
    model.load_state_dict(torch_load(path))
    with torch.no_grad():
        torch_outputs = model(torch.tensor(scaled, dtype=torch.float32)).numpy()
    error = np.max(np.abs(torch_outputs - expected))
    if not error < 1e-5:
        fail("PyTorch predictions differ from Synapse's by %g" % error)
    print("synapse model through torch.load_state_dict: max |difference| %.2e" % error)


def check_synapse_npy(directory):
    expectations = {
        "synapse_float32.npy": (np.float32, (2, 3), np.array([[1.5, -2, 3], [0, 1e-7, 65504]], dtype=np.float32)),
        "synapse_float64.npy": (np.float64, (4,), np.array([np.pi, -1e300, 5e-324, 0.0])),
        "synapse_int32.npy": (np.int32, (3,), np.array([-2147483648, 0, 2147483647], dtype=np.int32)),
        "synapse_int64.npy": (np.int64, (2, 2), np.array([[-(2**62), 1], [2, 2**62]], dtype=np.int64)),
        "synapse_uint8.npy": (np.uint8, (5,), np.array([0, 1, 127, 128, 255], dtype=np.uint8)),
        "synapse_scalar.npy": (np.float64, (), np.array(42.5)),
    }
    for name, (dtype, shape, values) in expectations.items():
        array = np.load(os.path.join(directory, name))
        if array.dtype != dtype or array.shape != shape or not np.array_equal(array, values):
            fail("%s: got %s %s %r" % (name, array.dtype, array.shape, array))
    print("read %d .npy files written by Synapse" % len(expectations))


def write_python_files(directory):
    rng = np.random.default_rng(7)
    state = {
        "0.weight": rng.standard_normal((16, 4)).astype(np.float32),
        "0.bias": rng.standard_normal(16).astype(np.float32),
        "2.weight": rng.standard_normal((3, 16)).astype(np.float32),
        "2.bias": rng.standard_normal(3).astype(np.float32),
    }
    save_file(state, os.path.join(directory, "python_model.safetensors"))
    x = rng.standard_normal((10, 4)).astype(np.float32)
    hidden = np.maximum(x.astype(np.float64) @ state["0.weight"].T + state["0.bias"], 0)
    y = hidden @ state["2.weight"].T + state["2.bias"]
    np.save(os.path.join(directory, "python_inputs.npy"), x)
    np.save(os.path.join(directory, "python_outputs.npy"), y)
    values = np.arange(12, dtype=np.float64).reshape(3, 4) / 8
    with open(os.path.join(directory, "python_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, values, version=(2, 0))
    with open(os.path.join(directory, "python_v3.npy"), "wb") as f:
        np.lib.format.write_array(f, values.astype(np.float32), version=(3, 0))
    np.save(os.path.join(directory, "python_big_endian.npy"), values.astype(">f8"))
    np.save(os.path.join(directory, "python_int64.npy"), np.array([3, -1, 2**40], dtype=np.int64))
    np.save(os.path.join(directory, "python_uint8.npy"), np.arange(6, dtype=np.uint8).reshape(2, 3))
    np.save(os.path.join(directory, "python_fortran.npy"), np.asfortranarray(values))
    np.save(os.path.join(directory, "python_object.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(os.path.join(directory, "python_complex.npy"), np.array([1 + 2j]))
    print("wrote a PyTorch-style safetensors MLP and 8 .npy files for Synapse")


def main():
    if len(sys.argv) != 2:
        fail("usage: python3 interop.py DIRECTORY")
    directory = sys.argv[1]
    check_synapse_model(directory)
    check_synapse_cnn(directory)
    check_synapse_npy(directory)
    write_python_files(directory)


if __name__ == "__main__":
    main()
