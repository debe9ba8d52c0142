"""Synapse language-model files (a GPT and an LSTM LM) read by NumPy/safetensors and by PyTorch.

Run by the Swift test `LanguageModelTrainingGoldenTests` as

    python3 lm_interop.py DIR

DIR holds, for M in gpt and lstm: `M.safetensors` (a Synapse Float32 language model of
LayerSpec.gpt(blockSize: 8, width: 16, layers: 2, heads: 2) or recurrentLanguageModel(.lstm,
width: 8, hidden: 12, layers: 2), vocabulary 11, trained briefly), and for L in full and short:
`M_L_ids.npy` (token ids [N, T], int64) with `M_L_logits.npy` (Synapse's logits [N, T, 11] in
evaluation mode, float64). Checks:
  NumPy only (always):
  1. the file's tensor names and shapes are exactly torch's state_dict of the same module, as
     recorded by torch in Tests/Golden/lm-training-torch.safetensors (`M.initial.*`), all float32;
  2. the metadata: a language model with block size 8 and an 11-byte vocabulary.
  PyTorch (when `import torch` works; SYNAPSE_REQUIRE_TORCH=1 makes its absence a failure):
  3. `load_state_dict(strict=True)` into Benchmarks/text_lm.py's modules (nn.Sequential of
     Embedding, LearnedPositions, TransformerEncoderLayer blocks, LayerNorm, Linear; or Embedding,
     LSTM, Linear), once built by hand as the golden script builds them and once from the file's
     architecture JSON;
  4. their logits (eval mode, float32) on the given ids match Synapse's to 1e-5, relative to the
     larger of 1 and the largest logit.
Exit status 0 when every check passes; a message on stderr otherwise.
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "Golden", "lm-training-torch.safetensors")
TOLERANCE = 1e-5
MODELS = ["gpt", "lstm"]
INPUTS = ["full", "short"]


def fail(message):
    print("lm_interop.py: " + message, file=sys.stderr)
    sys.exit(1)


def check_file(name, tensors, metadata, golden):
    prefix = name + ".initial."
    expected = {k[len(prefix):]: tuple(v.shape) for k, v in golden.items() if k.startswith(prefix)}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing or extra:
        fail("%s: tensor names differ from torch's state_dict: missing %s, unexpected %s" % (name, missing, extra))
    wrong = [(n, got[n], expected[n]) for n in expected if got[n] != expected[n]]
    if wrong:
        fail("%s: tensor shapes differ from torch's (name, Synapse, torch): %s" % (name, wrong))
    not_float32 = [n for n, t in tensors.items() if t.dtype != np.float32]
    if not_float32:
        fail("%s: tensors not float32: %s" % (name, not_float32))
    if metadata.get("block_size") != "8" or len(json.loads(metadata.get("vocabulary", "[]"))) != 11:
        fail("%s: expected block_size 8 and 11 vocabulary bytes, got %r and %r"
             % (name, metadata.get("block_size"), metadata.get("vocabulary")))
    print("%s: the %d tensors are torch's state_dict names and shapes, float32; block size 8, vocabulary 11"
          % (name, len(got)))


def from_architecture(spec, torch, text_lm):
    """The torch module of a language model's architecture JSON (the layers these models use)."""
    nn = torch.nn
    if spec["type"] == "sequential":
        return nn.Sequential(*[from_architecture(layer, torch, text_lm) for layer in spec["layers"]])
    kind = spec["type"]
    if kind == "embedding":
        return nn.Embedding(spec["vocabulary"], spec["width"])
    if kind == "positional_embedding":
        return text_lm.LearnedPositions(spec["max_length"], spec["width"])
    if kind == "transformer_block":
        if spec.get("dropout", 0) != 0 or not spec.get("causal", True):
            fail("only causal transformer blocks without dropout are built here: %s" % spec)
        return text_lm.Block(spec["width"], spec["heads"], spec["feed_forward"])
    if kind == "layernorm":
        return nn.LayerNorm(spec["features"], eps=spec.get("eps", 1e-5), elementwise_affine=spec.get("affine", True))
    if kind == "dense":
        if spec.get("activation", "identity") not in ("identity", "linear", None):
            fail("dense with activation %r is not built here" % spec.get("activation"))
        return nn.Linear(spec["in"], spec["out"], bias=spec.get("bias", True))
    if kind == "lstm":
        return text_lm.LSTM(spec["in"], spec["hidden"], num_layers=spec.get("num_layers", 1), bias=spec.get("bias", True),
                            batch_first=True)
    fail("layer type %r is not built here" % kind)


def main():
    if len(sys.argv) != 2:
        fail("usage: python3 lm_interop.py DIRECTORY")
    directory = sys.argv[1]
    golden = load_file(GOLDEN)
    files = {}
    for name in MODELS:
        path = os.path.join(directory, name + ".safetensors")
        with safe_open(path, framework="np") as f:
            metadata = f.metadata()
        tensors = load_file(path)
        check_file(name, tensors, metadata, golden)
        files[name] = (path, json.loads(metadata["architecture"]))

    try:
        import torch
    except ImportError:
        if os.environ.get("SYNAPSE_REQUIRE_TORCH") == "1":
            fail("torch is not importable but SYNAPSE_REQUIRE_TORCH=1")
        print("torch is not importable: the load_state_dict(strict=True) and logits checks are skipped")
        return
    sys.path.insert(0, os.path.join(HERE, "..", "..", "Benchmarks"))
    sys.path.insert(0, HERE)
    import text_lm
    import make_lm_training_golden as hand_written
    from safetensors.torch import load_file as torch_load
    torch.set_num_threads(1)

    for name in MODELS:
        path, spec = files[name]
        state = torch_load(path)
        builders = [("hand-written torch module", getattr(hand_written, name)),
                    ("torch module from the file's architecture", lambda: from_architecture(spec, torch, text_lm))]
        for label, build in builders:
            model = build()
            try:
                model.load_state_dict(state, strict=True)
            except RuntimeError as error:
                fail("%s, %s: load_state_dict(strict=True) failed: %s" % (name, label, error))
            model.eval()
            worst = 0.0
            for inputs in INPUTS:
                ids = np.load(os.path.join(directory, "%s_%s_ids.npy" % (name, inputs)))
                expected = np.load(os.path.join(directory, "%s_%s_logits.npy" % (name, inputs)))
                with torch.no_grad():
                    logits = model(torch.from_numpy(ids.astype(np.int64))).double().numpy()
                if logits.shape != expected.shape:
                    fail("%s, %s: logits %s, Synapse's %s" % (name, label, logits.shape, expected.shape))
                error = np.max(np.abs(logits - expected)) / max(1.0, np.max(np.abs(expected)))
                if not error < TOLERANCE:
                    where = np.unravel_index(np.argmax(np.abs(logits - expected)), logits.shape)
                    fail("%s, %s, %s ids %s: logits differ from Synapse's by %g (at %s: torch %.7f, Synapse %.7f)"
                         % (name, label, inputs, ids.shape, error, where, logits[where], expected[where]))
                worst = max(worst, error)
            print("%s, %s: load_state_dict(strict=True); logits on [6, 8] and [3, 5] ids, max relative difference %.1e"
                  % (name, label, worst))


if __name__ == "__main__":
    main()
