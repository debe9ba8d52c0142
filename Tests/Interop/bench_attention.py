#!/usr/bin/env python3
"""Fused attention forward + backward, Synapse against PyTorch, interleaved round by round:
B = 32, H = 4, T = 128, D = 32, causal, float32, on the same threads. Each round runs the Swift
benchmark test (a fresh process, `SYNAPSE_ATTENTION_BENCH` iterations, its median) and then
PyTorch's `F.scaled_dot_product_attention(is_causal=True)` (the same number of iterations, median).
Build first: swift build -c release --build-tests -Xswiftc -enable-testing

Usage (from the repository root): python3 Tests/Interop/bench_attention.py [rounds] [iterations] [tiles, e.g. 64x64]
"""
import os
import re
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 20
tiles = sys.argv[3] if len(sys.argv) > 3 else "64x64"
threads = int(os.environ.get("SYNAPSE_NUM_THREADS", "2"))
torch.set_num_threads(threads)

shape = (32, 4, 128, 32)
q, k, v = (torch.randn(shape, requires_grad=True) for _ in range(3))
upstream = torch.randn(shape)


def torch_round():
    times, forward = [], []
    for i in range(iterations + 3):
        for t in (q, k, v):
            t.grad = None
        start = time.perf_counter()
        F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(upstream)
        times.append((time.perf_counter() - start) * 1e3)
        with torch.no_grad():
            start = time.perf_counter()
            F.scaled_dot_product_attention(q, k, v, is_causal=True)
            forward.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times[3:]), statistics.median(forward[3:])


def swift_round():
    env = dict(os.environ, SYNAPSE_ATTENTION_BENCH=str(iterations), SYNAPSE_ATTENTION_TILES=tiles, SYNAPSE_NUM_THREADS=str(threads))
    out = subprocess.run(["swift", "test", "-c", "release", "--skip-build", "-Xswiftc", "-enable-testing",
                          "--filter", "AttentionTests/benchmark"], env=env, capture_output=True, text=True).stdout
    m = re.search(r"fwd\+bwd ([0-9.]+) ms, fwd ([0-9.]+) ms, packed fwd\+bwd ([0-9.]+) ms", out)
    if not m:
        sys.exit("no BENCH line in:\n" + out)
    return tuple(float(x) for x in m.groups())


cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if l.startswith("Model name")), "?")
print(f"CPU: {cpu}; torch {torch.__version__}; {threads} threads; tiles {tiles}; {rounds} rounds × {iterations} iterations")
rows = []
for r in range(rounds):
    s = swift_round()
    t = torch_round()
    rows.append((s, t))
    print(f"round {r}: synapse fwd+bwd {s[0]:.2f} ms (fwd {s[1]:.2f}, packed fwd+bwd {s[2]:.2f}) | torch fwd+bwd {t[0]:.2f} ms (fwd {t[1]:.2f})", flush=True)
sf = [s[0] for s, _ in rows]
tf = [t[0] for _, t in rows]
ratios = [t / s for s, t in zip(sf, tf)]
print(f"median synapse fwd+bwd {statistics.median(sf):.2f} ms [{min(sf):.2f}–{max(sf):.2f}], "
      f"fwd {statistics.median([s[1] for s, _ in rows]):.2f}, packed {statistics.median([s[2] for s, _ in rows]):.2f}")
print(f"median torch   fwd+bwd {statistics.median(tf):.2f} ms [{min(tf):.2f}–{max(tf):.2f}], fwd {statistics.median([t[1] for _, t in rows]):.2f}")
print(f"speed-up (torch time / synapse time), per-round median: {statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}]")
