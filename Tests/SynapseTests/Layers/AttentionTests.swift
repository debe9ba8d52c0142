import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

private func random(_ shape: [Int], seed: UInt32, scale: Double = 1) -> Tensor<Double> {
    var g = RandomGenerator(seed: seed)
    return Tensor<Double>(randomNormal: shape, mean: 0, standardDeviation: scale, generator: &g)
}

/// softmax(scale · Q Kᵀ + mask) · V from existing ops (batched matmul, softmax), the T × T way:
/// the reference the fused kernel must equal. `mask` is −1e9 (e^−1e9 = 0 exactly) where hidden.
private func naiveAttention<Scalar: TensorScalar>(_ q: Tensor<Scalar>, _ k: Tensor<Scalar>, _ v: Tensor<Scalar>, causal: Bool,
                                                  padding: [[Bool]]?, scale: Double? = nil) -> Tensor<Scalar> {
    let (b, h, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let tk = k.shape[2]
    var mask = [Scalar](repeating: 0, count: b * tq * tk)
    for n in 0..<b {
        for i in 0..<tq {
            for j in 0..<tk where (causal && j > i + tk - tq) || (padding?[n][j] ?? false) { mask[(n * tq + i) * tk + j] = -1e9 }
        }
    }
    let scores = matmul(q, k, transposeB: true) * Scalar(scale ?? 1 / Double(d).squareRoot())
    let masked = scores + Tensor(shape: [b, 1, tq, tk], scalars: mask)
    _ = h
    return matmul(softmax(masked, axis: -1), v)
}

private func maxDifference<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Double {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    return zip(a.doubleScalars, b.doubleScalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Fused scaled-dot-product attention (tiled forward and backward with an online softmax) and the
/// multi-head attention layer built on it.
@Suite("Attention")
struct AttentionTests {
    @Test("gradient checks (Float64) of the fused op: causal and not, Tq ≠ Tk, padding, Dv ≠ D, ragged tiles")
    func fusedGradients() {
        struct Case { var b, h, tq, tk, d, dv: Int; var causal: Bool; var padding: [[Bool]]?; var tiles: (Int, Int) }
        let cases = [
            Case(b: 2, h: 2, tq: 5, tk: 5, d: 3, dv: 3, causal: false, padding: nil, tiles: (64, 64)),
            Case(b: 2, h: 2, tq: 5, tk: 5, d: 3, dv: 3, causal: true, padding: nil, tiles: (2, 3)),
            Case(b: 1, h: 2, tq: 3, tk: 7, d: 4, dv: 2, causal: true, padding: nil, tiles: (2, 3)),     // a cache of 4 keys
            Case(b: 2, h: 1, tq: 7, tk: 4, d: 2, dv: 3, causal: false, padding: nil, tiles: (3, 3)),
            Case(b: 2, h: 2, tq: 6, tk: 6, d: 3, dv: 3, causal: true,
                 padding: [[false, false, false, false, true, true], [true, false, false, false, false, false]], tiles: (4, 4)),
            Case(b: 2, h: 1, tq: 4, tk: 5, d: 3, dv: 3, causal: false,
                 padding: [[false, true, false, true, false], [false, false, false, false, true]], tiles: (3, 2)),
        ]
        for (n, c) in cases.enumerated() {
            let inputs = [random([c.b, c.h, c.tq, c.d], seed: UInt32(10 + n)), random([c.b, c.h, c.tk, c.d], seed: UInt32(20 + n)),
                          random([c.b, c.h, c.tk, c.dv], seed: UInt32(30 + n))]
            let result = AttentionKernels.$tileOverride.withValue(.init(queries: c.tiles.0, keys: c.tiles.1)) {
                checkGradients(at: inputs, epsilon: 1e-5) { v in
                    scaledDotProductAttention(query: v[0], key: v[1], value: v[2], causal: c.causal, keyPadding: c.padding)
                }
            }
            #expect(result.maxRelativeError < 1e-6, "case \(n): \(result)")
        }
        // A custom scale, and a query that sees no key (causal, Tq > Tk): zero output, no gradient.
        let lonely = checkGradients(at: [random([1, 1, 4, 2], seed: 1), random([1, 1, 2, 2], seed: 2), random([1, 1, 2, 2], seed: 3)], epsilon: 1e-5) { v in
            scaledDotProductAttention(query: v[0], key: v[1], value: v[2], causal: true, scale: 0.7)
        }
        #expect(lonely.maxRelativeError < 1e-6, "\(lonely)")
        let out = scaledDotProductAttention(query: random([1, 1, 4, 2], seed: 1), key: random([1, 1, 2, 2], seed: 2),
                                            value: random([1, 1, 2, 2], seed: 3), causal: true)
        #expect(out.scalars[0..<4].allSatisfy { $0 == 0 } && out.scalars[4..<8].allSatisfy { $0 != 0 })
    }

    @Test("the fused op equals softmax(QKᵀ·scale + mask)·V to 1e-12 (Float64), outputs and gradients, T over several tiles")
    func equalsNaive() {
        let padding = [(0..<200).map { $0 >= 181 }, (0..<200).map { $0 % 7 == 3 }]
        for (tq, tk, causal, pad) in [(200, 200, false, false), (200, 200, true, false), (70, 200, true, false),
                                      (200, 200, true, true), (130, 200, false, true)] {
            let (q, k, v) = (random([2, 3, tq, 16], seed: 1), random([2, 3, tk, 16], seed: 2), random([2, 3, tk, 16], seed: 3))
            let r = random([2, 3, tq, 16], seed: 4)
            var grads: [[Tensor<Double>]] = []
            var outs: [Tensor<Double>] = []
            for fused in [true, false] {
                let (qv, kv, vv) = (q.copy(), k.copy(), v.copy())
                for t in [qv, kv, vv] { t.requiresGrad = true }
                let out = fused ? scaledDotProductAttention(query: qv, key: kv, value: vv, causal: causal, keyPadding: pad ? padding : nil)
                                : naiveAttention(qv, kv, vv, causal: causal, padding: pad ? padding : nil)
                (out * r).sum().backward()
                outs.append(out)
                grads.append([qv.grad!, kv.grad!, vv.grad!])
            }
            let label = "Tq \(tq) Tk \(tk) causal \(causal) padding \(pad)"
            #expect(maxDifference(outs[0], outs[1]) < 1e-12, "\(label): output \(maxDifference(outs[0], outs[1]))")
            for (name, (a, b)) in zip(["dQ", "dK", "dV"], zip(grads[0], grads[1])) {
                #expect(maxDifference(a, b) < 1e-12, "\(label): \(name) \(maxDifference(a, b))")
            }
        }
        // Float: the vectorised exponential (≈ 2e-7 relative) against the naive Float computation.
        let (q, k, v) = (random([2, 2, 150, 32], seed: 5).converted(to: Float.self), random([2, 2, 150, 32], seed: 6).converted(to: Float.self),
                         random([2, 2, 150, 32], seed: 7).converted(to: Float.self))
        let fused = scaledDotProductAttention(query: q, key: k, value: v, causal: true)
        #expect(maxDifference(fused, naiveAttention(q, k, v, causal: true, padding: nil)) < 2e-5)
    }

    @Test("Float32 pair kernels in C (6 × 32 and 6 × 16 tiles): outputs and gradients equal the Float64 op to 1e-5, with and without copied operands, causal offsets, both tiles; 1, 2 and 3 threads bit-identical")
    func pairKernels() {
        let native = GEMM.backend == .native && GEMM.nativeKernel != .swift
        let tiles: [GEMM.MicroKernel] = !native ? [] : (GEMM.nativeKernel == .avx512 ? [.avx512, .avx2] : [.avx2])
        #expect(!native || !tiles.isEmpty)
        // (Tq, Tk, D, causal): short sequences copy their operands, (300, 300, 64) reads them in place;
        // D = 16 runs on the 6 × 16 tile only (the generic loops under the 6 × 32 one).
        for (tq, tk, d, causal) in [(128, 128, 32, true), (70, 200, 32, true), (37, 37, 64, false), (300, 300, 64, true),
                                    (16, 16, 16, true), (20, 45, 32, false), (45, 20, 32, false), (45, 20, 32, true)] {
            let (q, k, v) = (random([2, 3, tq, d], seed: 11), random([2, 3, tk, d], seed: 12), random([2, 3, tk, d], seed: 13))
            let r = random([2, 3, tq, d], seed: 14)
            func run<Scalar: TensorScalar>(_: Scalar.Type) -> [Tensor<Scalar>] {
                let (qv, kv, vv) = (q.converted(to: Scalar.self), k.converted(to: Scalar.self), v.converted(to: Scalar.self))
                for t in [qv, kv, vv] { t.requiresGrad = true }
                let out = scaledDotProductAttention(query: qv, key: kv, value: vv, causal: causal)
                (out * r.converted(to: Scalar.self)).sum().backward()
                return [out, qv.grad!, kv.grad!, vv.grad!]
            }
            let reference = run(Double.self)
            let problem = AttentionProblem(batch: 2, heads: 3, queries: tq, keys: tk, depth: d, valueDepth: d, causal: causal,
                                           scale: 1 / Double(d).squareRoot(), keyPadding: nil)
            for tile in tiles {
                AttentionKernels.$forcedKernel.withValue(tile) {
                    let label = "Tq \(tq) Tk \(tk) D \(d) causal \(causal) tile \(tile)"
                    if d % tile.nr == 0 { #expect(AttentionKernels.pairKernel(problem, Float.self) != nil, "\(label): the C kernel does not run") }
                    Parallel.threadCountOverride = 1
                    let one = run(Float.self)
                    Parallel.threadCountOverride = 2
                    let two = run(Float.self)
                    Parallel.threadCountOverride = 3
                    let three = run(Float.self)
                    Parallel.threadCountOverride = nil
                    for (name, (a, e)) in zip(["O", "dQ", "dK", "dV"], zip(one, reference)) {
                        let scale = e.doubleScalars.reduce(0) { max($0, abs($1)) }
                        #expect(maxDifference(a.converted(to: Double.self), e) <= 1e-5 * max(1, scale), "\(label): \(name)")
                    }
                    #expect(zip(one, two).allSatisfy { $0.scalars == $1.scalars }, "\(label): 1 and 2 threads differ")
                    #expect(zip(one, three).allSatisfy { $0.scalars == $1.scalars }, "\(label): 1 and 3 threads differ")
                }
            }
        }
        // Packed multi-head self-attention writes its gradient over an uninitialised buffer.
        let x = random([2, 50, 192], seed: 15), r = random([2, 50, 64], seed: 16)
        func packed<Scalar: TensorScalar>(_: Scalar.Type) -> [Tensor<Scalar>] {
            let qkv = x.converted(to: Scalar.self)
            qkv.requiresGrad = true
            let out = multiheadSelfAttention(packed: qkv, heads: 2, causal: true)
            (out * r.converted(to: Scalar.self)).sum().backward()
            return [out, qkv.grad!]
        }
        let reference = packed(Double.self)
        for tile in tiles {
            let result = AttentionKernels.$forcedKernel.withValue(tile) { packed(Float.self) }
            for (name, (a, e)) in zip(["O", "dQKV"], zip(result, reference)) {
                let scale = e.doubleScalars.reduce(0) { max($0, abs($1)) }
                #expect(maxDifference(a.converted(to: Double.self), e) <= 1e-5 * max(1, scale), "packed, tile \(tile): \(name)")
            }
        }
    }

    @Test("gradient checks (Float64) of packed multi-head self-attention and of the MultiheadAttention layer")
    func layerGradients() {
        // The layer as the composition it is: in-projection, packed attention, out-projection.
        for (causal, padding) in [(true, nil), (false, [[false, false, false, true, true], [false, false, false, false, false]] as [[Bool]]?)] {
            let result = AttentionKernels.$tileOverride.withValue(.init(queries: 2, keys: 3)) {
                checkGradients(at: [random([2, 5, 6], seed: 1), random([18, 6], seed: 2, scale: 0.5), random([18], seed: 3, scale: 0.5),
                                    random([6, 6], seed: 4), random([6], seed: 5, scale: 0.1)], epsilon: 1e-5) { v in
                    let qkv = linear(v[0], weight: v[1], bias: v[2])
                    return linear(multiheadSelfAttention(packed: qkv, heads: 2, causal: causal, keyPadding: padding), weight: v[3], bias: v[4])
                }
            }
            #expect(result.maxRelativeError < 1e-6, "causal \(causal): \(result)")
        }
        // The layer itself, w.r.t. its input (its parameters are checked through the composition above).
        var g = RandomGenerator(seed: 9)
        let layer = MultiheadAttention<Double>(width: 6, headCount: 3, causal: true, generator: &g)
        let input = checkGradients(at: [random([2, 4, 6], seed: 6)], epsilon: 1e-5) { v in layer(v[0]) }
        #expect(input.maxRelativeError < 1e-6, "\(input)")
        // Packed attention equals the [B, H, T, D] op on the split heads.
        let x = random([2, 5, 6], seed: 7)
        let qkv = linear(x, weight: layer.inputProjectionWeight, bias: layer.inputProjectionBias)
        func heads(_ part: Int) -> Tensor<Double> {   // [B, T, 3C] → [B, H, T, D]
            let all = qkv.scalars
            return Tensor(shape: [2, 3, 5, 2], scalars: (0..<60).map { (e: Int) -> Double in
                let (n, h, t, c): (Int, Int, Int, Int) = (e / 30, e / 10 % 3, e / 2 % 5, e % 2)
                return all[(n * 5 + t) * 18 + part * 6 + h * 2 + c]
            })
        }
        let split = scaledDotProductAttention(query: heads(0), key: heads(1), value: heads(2), causal: true)
        let packed = multiheadSelfAttention(packed: qkv, heads: 3, causal: true)
        let splitScalars = split.scalars
        let merged: [Double] = (0..<60).map { (e: Int) -> Double in   // [B, T, C] from [B, H, T, D]
            let (n, t, h, c): (Int, Int, Int, Int) = (e / 30, e / 6 % 5, e % 6 / 2, e % 2)
            return splitScalars[((n * 3 + h) * 5 + t) * 2 + c]
        }
        #expect(zip(packed.scalars, merged).allSatisfy { abs($0 - $1) < 1e-14 })
        #expect(layer.namedParameters.map(\.name) == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
        #expect(layer.summary == "MultiheadAttention(6, 3 heads, causal)")
        #expect(MultiheadAttention<Float>(width: 128, headCount: 4, generator: &g).summary == "MultiheadAttention(128, 4 heads)")
    }

    @Test("nn.MultiheadAttention(8, 2, batch_first=True): causal and key-padded outputs and gradients equal PyTorch's (1e-10 Float64, 1e-5 Float32)")
    func againstPyTorch() throws {
        let path = "\(GoldenModelTests.golden)/attention-torch.safetensors"
        let golden = try SafeTensors.read(path)
        func check<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double) throws {
            func tensor(_ name: String) throws -> Tensor<Scalar> {
                try #require(golden.entries[name], "no \(name)").tensor(as: Scalar.self, name: name, path: path)
            }
            func close(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, _ what: String) {
                let (x, y) = (a.doubleScalars, b.doubleScalars)
                #expect(a.shape == b.shape && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) },
                        "\(Scalar.self) \(what): \(x.prefix(6)) vs \(y.prefix(6))")
            }
            let layer = MultiheadAttention(inputProjectionWeight: try tensor("in_proj_weight"), inputProjectionBias: try tensor("in_proj_bias"),
                                           outputProjection: Dense(weight: try tensor("out_proj.weight"), bias: try tensor("out_proj.bias")),
                                           headCount: 2, causal: true)
            let x = try tensor("input")
            x.requiresGrad = true
            let y = layer(x)
            close(y, try tensor("causal.output"), "causal output")
            (y * (try tensor("loss_weight"))).sum().backward()
            close(try #require(x.grad), try tensor("causal.grad.input"), "∂input")
            for (name, parameter) in layer.namedParameters {
                close(try #require(parameter.grad), try tensor("causal.grad.\(name)"), "∂\(name)")
            }
            // Key padding (PyTorch's key_padding_mask), no causal mask: the same weights in a non-causal layer.
            let open = MultiheadAttention(inputProjectionWeight: layer.inputProjectionWeight, inputProjectionBias: layer.inputProjectionBias,
                                          outputProjection: layer.outputProjection, headCount: 2)
            let mask = try tensor("padded.mask").doubleScalars
            let padding = (0..<2).map { n in (0..<5).map { mask[n * 5 + $0] != 0 } }
            let x2 = try tensor("input")
            x2.requiresGrad = true
            let y2 = open(x2, keyPadding: padding)
            close(y2, try tensor("padded.output"), "padded output")
            (y2 * (try tensor("loss_weight"))).sum().backward()
            close(try #require(x2.grad), try tensor("padded.grad.input"), "padded ∂input")
        }
        try check(Double.self, tolerance: 1e-10)
        try check(Float.self, tolerance: 1e-5)
    }

    @Test("decoding token by token (and a prompt, then tokens) equals the full causal forward; the KV cache grows by doubling")
    func decoding() {
        var g = RandomGenerator(seed: 4)
        let layer = MultiheadAttention<Double>(width: 8, headCount: 2, causal: true, generator: &g)
        let x = random([2, 37, 8], seed: 8)
        let full = withoutGradients { layer(x) }
        func positions(_ t: Tensor<Double>, _ range: Range<Int>) -> Tensor<Double> {   // t[:, range, :]
            Tensor(shape: [2, range.count, 8], scalars: (0..<2).flatMap { n in Array(t.scalars[(n * 37 + range.lowerBound) * 8 ..< (n * 37 + range.upperBound) * 8]) })
        }
        for promptLength in [1, 5] {
            let cache = DecodingCache<Double>()
            var pieces = [layer.incrementalForward(positions(x, 0..<promptLength), cache: cache)]
            cache.advance(by: promptLength)
            for t in promptLength..<37 {
                pieces.append(layer.incrementalForward(positions(x, t..<(t + 1)), cache: cache))
                cache.advance(by: 1)
            }
            for (start, piece) in zip([0] + Array(promptLength..<37), pieces) {
                let expected = positions(full, start..<(start + piece.shape[1]))
                #expect(maxDifference(piece, expected) < 1e-12, "prompt \(promptLength), position \(start)")
            }
            let kv = cache.state(for: layer) { KeyValueCache<Double>(heads: 2, depth: 4) }
            #expect(kv.length == 37 && kv.capacity == 64)   // 16 → 32 → 64: three allocations for 37 positions
        }
        // Inside a network (Sequential forwards decode to its layers).
        let network = Sequential<Double>([Dense(inputSize: 8, outputSize: 8, generator: &g), layer])
        let cache = DecodingCache<Double>()
        let whole = withoutGradients { network(x) }
        for t in 0..<37 {
            let step = network.incrementalForward(positions(x, t..<(t + 1)), cache: cache)
            cache.advance(by: 1)
            #expect(maxDifference(step, positions(whole, t..<(t + 1))) < 1e-12)
        }
    }

    @Test("memory grows linearly in T: forward + backward at T = 512, 1024, 2048 (one head, D = 64, Float32)")
    func linearMemory() {
        var peaks: [Int] = []
        for t in [512, 1024, 2048] {
            let meter = AttentionMemoryMeter()
            var g = RandomGenerator(seed: 1)
            let (q, k, v) = (Tensor<Float>(randomNormal: [1, 1, t, 64], generator: &g, requiresGrad: true),
                             Tensor<Float>(randomNormal: [1, 1, t, 64], generator: &g, requiresGrad: true),
                             Tensor<Float>(randomNormal: [1, 1, t, 64], generator: &g, requiresGrad: true))
            AttentionMemoryMeter.$installed.withValue(meter) {
                scaledDotProductAttention(query: q, key: k, value: v, causal: true).sum().backward()
            }
            #expect(q.grad != nil && k.grad != nil && v.grad != nil)
            peaks.append(meter.peak)
        }
        let scores = [512, 1024, 2048].map { $0 * $0 * 4 }
        print("attention forward+backward peak bytes allocated by the op at T = 512, 1024, 2048: \(peaks) (one T × T Float score matrix: \(scores))")
        #expect(Double(peaks[1]) / Double(peaks[0]) < 2.2 && Double(peaks[2]) / Double(peaks[1]) < 2.2, "\(peaks)")
        #expect(peaks[2] < scores[2] / 4, "\(peaks[2]) bytes at T = 2048")
    }

    /// Timing of the fused op, forward + backward, for `Tests/Interop/bench_attention.py`: runs only
    /// with `SYNAPSE_ATTENTION_BENCH=<iterations>` set, and prints the median in milliseconds.
    @Test("benchmark: fused attention forward + backward, B 32, H 4, T 128, D 32, causal, Float32 (SYNAPSE_ATTENTION_BENCH=n)",
          .enabled(if: ProcessInfo.processInfo.environment["SYNAPSE_ATTENTION_BENCH"] != nil))
    func benchmark() {
        let environment = ProcessInfo.processInfo.environment
        let iterations = Int(environment["SYNAPSE_ATTENTION_BENCH"] ?? "") ?? 20
        let tiles = (environment["SYNAPSE_ATTENTION_TILES"] ?? "64x64").split(separator: "x").compactMap { Int($0) }
        var g = RandomGenerator(seed: 1)
        let shape = [32, 4, 128, 32]
        let (q, k, v) = (Tensor<Float>(randomNormal: shape, generator: &g, requiresGrad: true), Tensor<Float>(randomNormal: shape, generator: &g, requiresGrad: true),
                         Tensor<Float>(randomNormal: shape, generator: &g, requiresGrad: true))
        let upstream = Tensor<Float>(randomNormal: shape, generator: &g)
        let qkv = Tensor<Float>(randomNormal: [32, 128, 384], generator: &g, requiresGrad: true)
        let packedUpstream = Tensor<Float>(randomNormal: [32, 128, 128], generator: &g)
        func median(_ body: () -> Void) -> Double {
            var times: [Double] = []
            for _ in 0..<(iterations + 3) {
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return times.dropFirst(3).sorted()[iterations / 2]
        }
        AttentionKernels.$tileOverride.withValue(.init(queries: tiles[0], keys: tiles[1])) {
            let fused = median {
                for t in [q, k, v] { t.grad = nil }
                scaledDotProductAttention(query: q, key: k, value: v, causal: true).backward(gradient: upstream)
            }
            let forward = median { _ = withoutGradients { scaledDotProductAttention(query: q, key: k, value: v, causal: true) } }
            let packed = median {
                qkv.grad = nil
                multiheadSelfAttention(packed: qkv, heads: 4, causal: true).backward(gradient: packedUpstream)
            }
            print("BENCH synapse tiles \(tiles[0])x\(tiles[1]) threads \(Parallel.threadCount): fwd+bwd \(fused) ms, fwd \(forward) ms, packed fwd+bwd \(packed) ms")
        }
    }
}
