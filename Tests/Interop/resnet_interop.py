"""A Synapse ResNet model file read by NumPy/safetensors and by PyTorch.

Run by the Swift test `ResNetInteropTests` as

    python3 resnet_interop.py DIR MNIST_DIR

DIR holds `resnet.safetensors` (Examples/resnet-mnist.json, trained briefly with `--scale global`)
and `resnet_probabilities.npy`: Synapse's class probabilities [10000, 10] (float64) for MNIST's
test images, which this script reads from MNIST_DIR itself (pixel · (1/255) in float32, as Synapse
reads IDX files). Checks:
  NumPy only (always):
  1. the file's tensor names and shapes are exactly PyTorch's state_dict of the equivalent module
     (Tests/Golden/resnet-mnist-state-dict.json, written by torch in make_graph_golden.py) less the
     BatchNorms' `num_batches_tracked`, all float32;
  2. the metadata: architecture, a global scaling (one shift, one scale for all 784 pixels);
  3. a NumPy forward pass (eval mode, from the tensors and architecture alone) reproduces Synapse's
     probabilities of the first 200 test images to 1e-5.
  PyTorch (when `import torch` works; SYNAPSE_REQUIRE_TORCH=1 makes its absence a failure):
  4. `load_state_dict(strict=True)` into a hand-written torch ResNet (a `Residual` module holding
     `block` and `shortcut`) and into the module built from the file's architecture JSON;
  5. softmax of the modules' logits, on the stored scaling applied as Synapse applies it
     ((x − shift) · (1/scale) in float32), matches Synapse's probabilities to 1e-5: the
     hand-written module's on all 10 000 test images, the other's on the first 1 000.
Exit status 0 when every check passes; a message on stderr otherwise.
"""
import gzip
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import interop  # noqa: E402  (the NumPy layers of the older interoperability check)

TOLERANCE = 1e-5


def fail(message):
    print("resnet_interop.py: " + message, file=sys.stderr)
    sys.exit(1)


def forward(spec, tensors, x, prefix=""):
    """Synapse's architecture JSON in NumPy (eval mode), with residual blocks and graphs."""
    kind = spec["type"]
    if kind == "sequential":
        for i, layer in enumerate(spec["layers"]):
            x = forward(layer, tensors, x, "%s%d." % (prefix, i))
        return x
    if kind == "residual":
        def branch(value, name):
            if value is None:
                return x
            layer = {"type": "sequential", "layers": value} if isinstance(value, list) else value
            return forward(layer, tensors, x, prefix + name + ".")
        return branch(spec["block"], "block") + branch(spec.get("shortcut"), "shortcut")
    if kind == "identity":
        return x
    if kind == "graph":
        values = {spec["inputs"][0]: x}
        pending = list(spec["nodes"])
        while pending:
            node = next(n for n in pending if all(i in values for i in n["inputs"]))
            given = [values[i] for i in node["inputs"]]
            if node["type"] == "add":
                values[node["name"]] = sum(given[1:], given[0])
            elif node["type"] == "concat":
                values[node["name"]] = np.concatenate(given, axis=node.get("axis", 1))
            else:
                values[node["name"]] = forward(node, tensors, given[0], prefix + node["name"] + ".")
            pending.remove(node)
        return values[spec["outputs"][0]]
    return interop.forward(spec, tensors, x, prefix)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def mnist_test_images(directory):
    with gzip.open(os.path.join(directory, "t10k-images-idx3-ubyte.gz")) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784).astype(np.float32) * np.float32(1 / 255)


def check_names(tensors):
    golden = os.path.join(HERE, "..", "Golden", "resnet-mnist-state-dict.json")
    with open(golden) as f:
        torch_state = json.load(f)   # {name: shape} of the torch module's state_dict
    expected = {name: tuple(shape) for name, shape in torch_state.items() if not name.endswith("num_batches_tracked")}
    got = {name: tuple(t.shape) for name, t in tensors.items()}
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing or extra:
        fail("tensor names differ from torch's state_dict: missing %s, unexpected %s" % (missing, extra))
    wrong = [(n, got[n], expected[n]) for n in expected if got[n] != expected[n]]
    if wrong:
        fail("tensor shapes differ from torch's (name, Synapse, torch): %s" % wrong)
    not_float32 = [n for n, t in tensors.items() if t.dtype != np.float32]
    if not_float32:
        fail("tensors not float32: %s" % not_float32)
    print("names and shapes: the %d tensors are torch's state_dict less %d num_batches_tracked"
          % (len(got), len(torch_state) - len(expected)))


def hand_written_resnet(torch):
    """Examples/resnet-mnist.json as a PyTorch user would write it."""
    nn = torch.nn

    class Residual(nn.Module):
        def __init__(self, block, shortcut=None):
            super().__init__()
            self.block = block
            self.shortcut = shortcut if shortcut is not None else nn.Identity()

        def forward(self, x):
            return self.block(x) + self.shortcut(x)

    def conv(i, o, k=3, stride=1):
        return nn.Conv2d(i, o, k, stride=stride, padding=k // 2, bias=False)

    def basic(i, o, stride):
        block = nn.Sequential(conv(i, o, 3, stride), nn.BatchNorm2d(o), nn.ReLU(), conv(o, o), nn.BatchNorm2d(o))
        shortcut = None if stride == 1 and i == o else nn.Sequential(conv(i, o, 1, stride), nn.BatchNorm2d(o))
        return Residual(block, shortcut)

    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)), conv(1, 16), nn.BatchNorm2d(16), nn.ReLU(),
                         basic(16, 16, 1), nn.ReLU(), basic(16, 32, 2), nn.ReLU(), basic(32, 64, 2), nn.ReLU(),
                         nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), nn.Linear(64, 10))


def main():
    if len(sys.argv) != 3:
        fail("usage: python3 resnet_interop.py DIRECTORY MNIST_DIRECTORY")
    directory, mnist = sys.argv[1:]
    path = os.path.join(directory, "resnet.safetensors")
    tensors = load_file(path)
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    spec = json.loads(metadata["architecture"])
    scaling = json.loads(metadata["scaling"])
    expected = np.load(os.path.join(directory, "resnet_probabilities.npy"))

    check_names(tensors)
    shift, scale = np.array(scaling["shift"]), np.array(scaling["scale"])
    if scaling.get("method") != "global" or shift.shape != (784,) or np.ptp(shift) != 0 or np.ptp(scale) != 0:
        fail("expected a global scaling (one shift and one scale for all 784 pixels), got method %r, %d shifts with spread %g"
             % (scaling.get("method"), shift.size, np.ptp(shift)))
    print("scaling: global, mean %.6f, standard deviation %.6f" % (shift[0], scale[0]))

    images = mnist_test_images(mnist)
    if expected.shape != (len(images), 10) or expected.dtype != np.float64:
        fail("Synapse's probabilities are %s %s, expected float64 (%d, 10)" % (expected.dtype, expected.shape, len(images)))
    # As Synapse's FeatureScaling.apply: (x − Float(shift)) · Float(1 / scale), in float32.
    scaled = (images - shift.astype(np.float32)) * (1 / scale).astype(np.float32)

    subset = 200
    numpy_probabilities = softmax(forward(spec, {k: v.astype(np.float64) for k, v in tensors.items()}, scaled[:subset].astype(np.float64)))
    error = np.max(np.abs(numpy_probabilities - expected[:subset]))
    if not error < TOLERANCE:
        fail("NumPy's probabilities of the first %d test images differ from Synapse's by %g" % (subset, error))
    print("NumPy forward pass: first %d test images, max |probability difference| %.2e" % (subset, error))

    try:
        import torch
    except ImportError:
        if os.environ.get("SYNAPSE_REQUIRE_TORCH") == "1":
            fail("torch is not importable but SYNAPSE_REQUIRE_TORCH=1")
        print("torch is not importable: the load_state_dict(strict=True) check on 10 000 images is skipped")
        return
    import synapse_torch
    from safetensors.torch import load_file as torch_load
    torch.set_num_threads(os.cpu_count() or 2)
    state = torch_load(path)
    x = torch.from_numpy(scaled)
    # The hand-written module on all 10 000 images; the one built from the JSON (as Benchmarks/
    # resnet_mnist.py builds it) on the first 1 000 (torch takes ~10 s per 10 000 images here).
    for name, model, count in [("hand-written torch ResNet", hand_written_resnet(torch), len(x)),
                               ("torch module built from the file's architecture", synapse_torch.build(spec, [784])[0], 1000)]:
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            fail("%s: load_state_dict(strict=True) failed: %s" % (name, error))
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(x[i:i + 1000]) for i in range(0, count, 1000)])
        probabilities = torch.softmax(logits.double(), dim=1).numpy()
        error = np.max(np.abs(probabilities - expected[:count]))
        agree = np.mean(probabilities.argmax(1) == expected[:count].argmax(1))
        if not error < TOLERANCE:
            worst = np.unravel_index(np.argmax(np.abs(probabilities - expected[:count])), probabilities.shape)
            fail("%s: probabilities differ from Synapse's by %g (image %d, class %d: torch %.8f, Synapse %.8f)"
                 % (name, error, worst[0], worst[1], probabilities[worst], expected[worst]))
        print("%s: load_state_dict(strict=True); %d test images, max |probability difference| %.2e, same class for %.2f %%"
              % (name, count, error, 100 * agree))


if __name__ == "__main__":
    main()
