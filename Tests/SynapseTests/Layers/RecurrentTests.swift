import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

private func random<Scalar: TensorScalar>(_ shape: [Int], seed: UInt32, scale: Double = 1, as: Scalar.Type = Double.self) -> Tensor<Scalar> {
    var g = RandomGenerator(seed: seed)
    return Tensor<Scalar>(randomNormal: shape, mean: 0, standardDeviation: scale, generator: &g)
}

/// Steps `range` of a `[B, T, C]` tensor (a copy).
private func steps<Scalar: TensorScalar>(_ x: Tensor<Scalar>, _ range: Range<Int>) -> Tensor<Scalar> {
    let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
    let values = x.scalars
    return Tensor(shape: [b, range.count, c], scalars: (0..<b).flatMap { i in values[((i * t + range.lowerBound) * c)..<((i * t + range.upperBound) * c)] })
}

/// Everything a recurrent call returns, flattened into one vector (so one check covers all of it).
private func flat<Scalar: TensorScalar>(_ parts: [Tensor<Scalar>]) -> Tensor<Scalar> {
    concatenate(parts.map { $0.reshaped([-1]) }, axis: 0)
}

private func maxDifference<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Double {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    return zip(a.doubleScalars, b.doubleScalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// LSTM and GRU (`Recurrent.swift`, `LSTM.swift`, `GRU.swift`): finite differences, PyTorch's outputs
/// and gradients (`Tests/Interop/make_recurrent_golden.py` wrote the golden file with torch),
/// decoding one step at a time, carried state, and the Float fast path against Float64.
@Suite("LSTM and GRU")
struct RecurrentTests {
    /// Weights for a 2-layer network with input 3, hidden 4 (gates·4 rows), with or without biases.
    private func weights(gates: Int, layers: Int = 2, bias: Bool = true, seed: UInt32) -> [Tensor<Double>] {
        (0..<layers).flatMap { l -> [Tensor<Double>] in
            let s = seed + UInt32(10 * l)
            return [random([gates * 4, l == 0 ? 3 : 4], seed: s, scale: 0.6), random([gates * 4, 4], seed: s + 1, scale: 0.6)]
                + (bias ? [random([gates * 4], seed: s + 2, scale: 0.5), random([gates * 4], seed: s + 3, scale: 0.5)] : [])
        }
    }

    /// Splits `v` (per layer: W_ih, W_hh, and optionally b_ih, b_hh) into the four arrays.
    private func arrays(_ v: ArraySlice<Tensor<Double>>, layers: Int, bias: Bool) -> ([Tensor<Double>], [Tensor<Double>], [Tensor<Double>], [Tensor<Double>]) {
        let per = bias ? 4 : 2
        let v = Array(v)
        return ((0..<layers).map { v[$0 * per] }, (0..<layers).map { v[$0 * per + 1] },
                bias ? (0..<layers).map { v[$0 * per + 2] } : [], bias ? (0..<layers).map { v[$0 * per + 3] } : [])
    }

    @Test("gradient checks (Float64): 2-layer LSTM and GRU with biases — input, every weight and bias, initial h (and c); 1 layer without bias")
    func gradients() {
        // ε = 1e-5: the sums over a whole sequence make ε = 1e-6's rounding noise (≈ 1e-16·|L|/ε) visible
        // on the smallest gradient elements; the truncation error (≈ ε²) is still far below 1e-6.
        for bias in [true, false] {
            let layers = bias ? 2 : 1
            let x = random([2, 3, 3], seed: 1), h0 = random([layers, 2, 4], seed: 2, scale: 0.5), c0 = random([layers, 2, 4], seed: 3, scale: 0.5)
            let lstmCheck = checkGradients(at: [x, h0, c0] + weights(gates: 4, layers: layers, bias: bias, seed: 10), epsilon: 1e-5) { v in
                let (wi, wh, bi, bh) = arrays(v[3...], layers: layers, bias: bias)
                let net = LSTM(inputWeights: wi, hiddenWeights: wh, inputBiases: bi, hiddenBiases: bh)
                let (out, state) = net(v[0], state: LSTMState(hidden: v[1], cell: v[2]))
                return flat([out, state.hidden, state.cell])
            }
            #expect(lstmCheck.maxRelativeError < 1e-6, "LSTM bias \(bias): \(lstmCheck)")
            let gruCheck = checkGradients(at: [x, h0] + weights(gates: 3, layers: layers, bias: bias, seed: 20), epsilon: 1e-5) { v in
                let (wi, wh, bi, bh) = arrays(v[2...], layers: layers, bias: bias)
                let net = GRU(inputWeights: wi, hiddenWeights: wh, inputBiases: bi, hiddenBiases: bh)
                let (out, state) = net(v[0], state: v[1])
                return flat([out, state])
            }
            #expect(gruCheck.maxRelativeError < 1e-6, "GRU bias \(bias): \(gruCheck)")
        }
        // From zeros (no initial state given): gradients into the input and weights only.
        let zeroStart = checkGradients(at: [random([2, 4, 3], seed: 4)] + weights(gates: 4, layers: 1, seed: 30), epsilon: 1e-5) { v in
            LSTM(inputWeights: [v[1]], hiddenWeights: [v[2]], inputBiases: [v[3]], hiddenBiases: [v[4]])(v[0])
        }
        #expect(zeroStart.maxRelativeError < 1e-6, "\(zeroStart)")
    }

    @Test("nn.LSTM and nn.GRU (2 layers): outputs, final states and gradients equal PyTorch's to 1e-12 (Float64) and 1e-5 (Float32)")
    func againstPyTorch() throws {
        let path = "\(GoldenModelTests.golden)/recurrent-torch.safetensors"
        let golden = try SafeTensors.read(path)
        func check<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double) throws {
            func tensor(_ name: String) throws -> Tensor<Scalar> {
                try #require(golden.entries[name], "no \(name)").tensor(as: Scalar.self, name: name, path: path)
            }
            func close(_ a: Tensor<Scalar>?, _ name: String, _ what: String) throws {
                let (a, b) = (try #require(a, "\(what): no gradient"), try tensor(name))
                let (x, y) = (a.doubleScalars, b.doubleScalars)
                #expect(a.shape == b.shape && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) },
                        "\(Scalar.self) \(what): \(x.prefix(6)) vs \(y.prefix(6))")
            }
            let names = (0..<2).flatMap { ["weight_ih_l\($0)", "weight_hh_l\($0)", "bias_ih_l\($0)", "bias_hh_l\($0)"] }
            for kind in ["lstm", "gru"] {
                let p = kind + "."
                let wi = try [0, 1].map { try tensor(p + "weight_ih_l\($0)") }, wh = try [0, 1].map { try tensor(p + "weight_hh_l\($0)") }
                let bi = try [0, 1].map { try tensor(p + "bias_ih_l\($0)") }, bh = try [0, 1].map { try tensor(p + "bias_hh_l\($0)") }
                let (x, h0) = (try tensor(p + "input"), try tensor(p + "h0"))
                x.requiresGrad = true
                h0.requiresGrad = true
                let output: Tensor<Scalar>, parameters: [(name: String, tensor: Tensor<Scalar>)]
                if kind == "lstm" {
                    let net = LSTM(inputWeights: wi, hiddenWeights: wh, inputBiases: bi, hiddenBiases: bh)
                    let c0 = try tensor(p + "c0")
                    c0.requiresGrad = true
                    let (out, state) = net(x, state: LSTMState(hidden: h0, cell: c0))
                    try close(state.cell, p + "c_n", "LSTM c_n")
                    try close(state.hidden, p + "h_n", "LSTM h_n")
                    ((out * (try tensor(p + "r_output"))).sum() + (state.hidden * (try tensor(p + "r_h"))).sum()
                        + (state.cell * (try tensor(p + "r_c"))).sum()).backward()
                    try close(c0.grad, p + "grad.c0", "LSTM ∂c0")
                    (output, parameters) = (out, net.namedParameters)
                    #expect(net.summary == "LSTM(5 → 7, 2 layers)")
                } else {
                    let net = GRU(inputWeights: wi, hiddenWeights: wh, inputBiases: bi, hiddenBiases: bh)
                    let (out, state) = net(x, state: h0)
                    try close(state, p + "h_n", "GRU h_n")
                    ((out * (try tensor(p + "r_output"))).sum() + (state * (try tensor(p + "r_h"))).sum()).backward()
                    (output, parameters) = (out, net.namedParameters)
                    #expect(net.summary == "GRU(5 → 7, 2 layers)")
                }
                try close(output, p + "output", "\(kind) output")
                try close(x.grad, p + "grad.input", "\(kind) ∂input")
                try close(h0.grad, p + "grad.h0", "\(kind) ∂h0")
                #expect(parameters.map(\.name) == names)
                for (name, parameter) in parameters { try close(parameter.grad, p + "grad." + name, "\(kind) ∂\(name)") }
            }
        }
        try check(Double.self, tolerance: 1e-12)
        try check(Float.self, tolerance: 1e-5)
    }

    @Test("decode one step (and two steps) at a time equals the full forward pass, LSTM and GRU, also inside Sequential")
    func decoding() {
        var g = RandomGenerator(seed: 5)
        let lstm = LSTM<Double>(inputSize: 3, hiddenSize: 6, layerCount: 2, generator: &g)
        let gru = GRU<Double>(inputSize: 3, hiddenSize: 6, layerCount: 2, generator: &g)
        let x = random([2, 5, 3], seed: 6)
        for layer in [lstm, gru] as [any IncrementalLayer<Double>] {
            let full = layer(x)
            let cache = DecodingCache<Double>()
            for t in 0..<5 {
                let y = layer.decode(steps(x, t..<(t + 1)), cache: cache)
                cache.advance(by: 1)
                #expect(maxDifference(y, steps(full, t..<(t + 1))) < 1e-12, "\(layer.summary) step \(t)")
            }
            // A prompt of 3 steps, then 2 more in one call.
            let again = DecodingCache<Double>()
            let prompt = layer.decode(steps(x, 0..<3), cache: again)
            again.advance(by: 3)
            let rest = layer.decode(steps(x, 3..<5), cache: again)
            #expect(maxDifference(prompt, steps(full, 0..<3)) < 1e-12 && maxDifference(rest, steps(full, 3..<5)) < 1e-12)
        }
        var g2 = RandomGenerator(seed: 8)
        let model = Sequential<Double>([LSTM(inputSize: 3, hiddenSize: 5, generator: &g2), Dense(inputSize: 5, outputSize: 2, generator: &g2)])
        let cache = DecodingCache<Double>()
        let full = model(x)
        for t in 0..<5 {
            let y = model.incrementalForward(steps(x, t..<(t + 1)), cache: cache)
            cache.advance(by: 1)
            #expect(maxDifference(y, steps(full, t..<(t + 1))) < 1e-12)
        }
        #expect(lstm.summary == "LSTM(3 → 6, 2 layers)" && gru.summary == "GRU(3 → 6, 2 layers)")
        #expect(lstm.namedParameters.map(\.name).first == "weight_ih_l0" && lstm.parameterCount == 4 * 6 * (3 + 6 + 2) + 4 * 6 * (6 + 6 + 2))
        let bound = 1 / 6.0.squareRoot()
        #expect(lstm.parameters.allSatisfy { $0.scalars.allSatisfy { abs($0) <= bound } })
    }

    @Test("stateful: two halves with the carried (detached) state equal the whole sequence; truncated BPTT stops at the detach")
    func carriedState() {
        var g = RandomGenerator(seed: 7)
        let lstm = LSTM<Double>(inputSize: 3, hiddenSize: 5, layerCount: 2, generator: &g)
        let gru = GRU<Double>(inputSize: 3, hiddenSize: 5, layerCount: 2, generator: &g)
        let x = random([3, 6, 3], seed: 8)
        let (whole, wholeState) = lstm(x, state: nil)
        let (first, middle) = lstm(steps(x, 0..<4), state: nil)
        let (second, last) = lstm(steps(x, 4..<6), state: middle.detached())
        #expect(maxDifference(first, steps(whole, 0..<4)) < 1e-12 && maxDifference(second, steps(whole, 4..<6)) < 1e-12)
        #expect(maxDifference(last.hidden, wholeState.hidden) < 1e-12 && maxDifference(last.cell, wholeState.cell) < 1e-12)
        #expect(wholeState.hidden.shape == [2, 3, 5])
        // The last layer's final h is the output's last step.
        #expect(maxDifference(steps(whole, 5..<6).reshaped([3, 5]), wholeState.hidden.rows(1..<2).reshaped([3, 5])) == 0)
        // Truncated BPTT: the second chunk's loss reaches the weights only through the second chunk.
        lstm.zeroGrad()
        second.sum().backward()
        let truncated = lstm.hiddenWeights[0].grad!.scalars
        lstm.zeroGrad()
        lstm(steps(x, 4..<6), state: LSTMState(hidden: middle.hidden.copy(), cell: middle.cell.copy())).output.sum().backward()
        #expect(lstm.hiddenWeights[0].grad!.scalars == truncated)

        let (gWhole, gState) = gru(x, state: nil)
        let (g1, gMiddle) = gru(steps(x, 0..<2), state: nil)
        let (g2, gLast) = gru(steps(x, 2..<6), state: gMiddle.detached())
        #expect(maxDifference(g1, steps(gWhole, 0..<2)) < 1e-12 && maxDifference(g2, steps(gWhole, 2..<6)) < 1e-12)
        #expect(maxDifference(gLast, gState) < 1e-12)
    }

    @Test("the Float fast path (packed recurrent weight; steps split by sequence or by unit; H not a multiple of the strip width, B not of 6) matches Float64, bit-identical on 1, 2 and 3 threads")
    func floatPath() {
        // B = 7: 2 threads split by sequence in 6-row tiles (6 + 1 rows), 3 by unit (8-row tile, AVX-512);
        // B = 13: 2 threads by sequence in 8-row tiles (8 + 5), 3 in 6-row tiles (6 + 6 + 1); B = 32: 2 × 16.
        for (kind, gates, b) in [("lstm", 4, 7), ("gru", 3, 7), ("lstm", 4, 13), ("gru", 3, 13), ("lstm", 4, 32)] {
            let (t, i, h) = (5, 10, 45)
            let parameters: [Tensor<Double>] = [random([gates * h, i], seed: 40, scale: 0.2), random([gates * h, h], seed: 41, scale: 0.2),
                                                 random([gates * h], seed: 42, scale: 0.2), random([gates * h], seed: 43, scale: 0.2)]
            let (x, h0, c0) = (random([b, t, i], seed: 44), random([1, b, h], seed: 45, scale: 0.5), random([1, b, h], seed: 46, scale: 0.5))
            let r = random([b, t, h], seed: 47)
            func run<Scalar: TensorScalar>(_: Scalar.Type) -> [Tensor<Scalar>] {
                let p = parameters.map { $0.converted(to: Scalar.self) }
                let (xs, h0s, c0s, rs) = (x.converted(to: Scalar.self), h0.converted(to: Scalar.self), c0.converted(to: Scalar.self), r.converted(to: Scalar.self))
                xs.requiresGrad = true
                h0s.requiresGrad = true
                let out: Tensor<Scalar>
                if kind == "lstm" {
                    out = LSTM(inputWeights: [p[0]], hiddenWeights: [p[1]], inputBiases: [p[2]], hiddenBiases: [p[3]])(xs, state: LSTMState(hidden: h0s, cell: c0s)).output
                } else {
                    out = GRU(inputWeights: [p[0]], hiddenWeights: [p[1]], inputBiases: [p[2]], hiddenBiases: [p[3]])(xs, state: h0s).output
                }
                (out * rs).sum().backward()
                return [out, xs.grad!, h0s.grad!] + p.map { $0.grad! }
            }
            let reference = run(Double.self)
            Parallel.threadCountOverride = 1
            let one = run(Float.self)
            Parallel.threadCountOverride = 2
            let two = run(Float.self)
            Parallel.threadCountOverride = 3
            let three = run(Float.self)
            // The AVX2 tile (6 × 16) where the machine has AVX-512: the same sums, the same bits.
            let forcesAVX2 = GEMM.backend == .native && GEMM.nativeKernel == .avx512
            let avx2 = forcesAVX2 ? RecurrentKernel.$forced.withValue(.avx2) { run(Float.self) } : three
            Parallel.threadCountOverride = nil
            for (k, (a, e)) in zip(two, reference).enumerated() {
                let scale = e.doubleScalars.reduce(0) { max($0, abs($1)) }
                #expect(maxDifference(a.converted(to: Double.self), e) <= 1e-5 * max(1, scale), "\(kind) result \(k)")
            }
            #expect(zip(one, two).allSatisfy { $0.scalars == $1.scalars }, "\(kind) B=\(b): 1 and 2 threads differ")
            #expect(zip(one, three).allSatisfy { $0.scalars == $1.scalars }, "\(kind) B=\(b): 1 and 3 threads differ")
            #expect(zip(one, avx2).allSatisfy { $0.scalars == $1.scalars }, "\(kind) B=\(b): the AVX2 tile differs")
        }
    }

    @Test("an embedding followed by an LSTM or a GRU: the folded input product (E·W_ihᵀ gathered per token) gives the unfolded outputs and gradients; lstm(projected:) and gru(projected:) check in Float64")
    func embeddingFold() {
        var g = RandomGenerator(seed: 77)
        // 2 × 5 = 10 tokens over a vocabulary of 6: more tokens than table rows, so Sequential folds.
        let ids = Tensor<Double>(shape: [2, 5], scalars: (0..<10).map { _ in Double(g.integer(in: 0..<6)) })
        for kind in ["lstm", "gru"] {
            func network() -> (Sequential<Double>, Embedding<Double>, any Layer<Double>) {
                var generator = RandomGenerator(seed: 5)
                let table = Embedding<Double>(vocabularySize: 6, width: 3, generator: &generator)
                let recurrent: any Layer<Double> = kind == "lstm" ? LSTM<Double>(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &generator)
                                                                  : GRU<Double>(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &generator)
                return (Sequential<Double>([table, recurrent]), table, recurrent)
            }
            let (folded, _, _) = network(), (_, table, recurrent) = network()
            let y = folded(ids), reference = recurrent(table(ids))
            #expect(maxDifference(y, reference) < 1e-13, "\(kind): outputs differ by \(maxDifference(y, reference))")
            (y * y).sum().backward()
            (reference * reference).sum().backward()
            for ((name, a), (_, b)) in zip(folded.namedParameters, Sequential<Double>([table, recurrent]).namedParameters) {
                #expect(maxDifference(a.grad!, b.grad!) < 1e-12, "\(kind) \(name): gradients differ by \(maxDifference(a.grad!, b.grad!))")
            }
            // Fewer tokens than table rows: the plain path (nothing to fold), the same values.
            let short = Tensor<Double>(shape: [1, 2], scalars: [1, 4])
            #expect(maxDifference(folded(short), recurrent(table(short))) == 0, "\(kind)")
        }
        // The projected ops alone: finite differences through the projection, W_hh, biases and states.
        for gates in [4, 3] {
            let projected = random([2, 3, 4 * gates], seed: 40), wh = random([4 * gates, 4], seed: 41, scale: 0.6)
            let bi = random([4 * gates], seed: 42, scale: 0.5), bh = random([4 * gates], seed: 43, scale: 0.5)
            let h0 = random([2, 4], seed: 44, scale: 0.5), c0 = random([2, 4], seed: 45, scale: 0.5)
            let check = checkGradients(at: gates == 4 ? [projected, wh, bi, bh, h0, c0] : [projected, wh, bi, bh, h0], epsilon: 1e-5) { v in
                if gates == 4 {
                    let r = SynapseCore.lstm(projected: v[0], weightHH: v[1], biasIH: v[2], biasHH: v[3], hidden: v[4], cell: v[5])
                    return flat([r.output, r.hidden, r.cell])
                }
                let r = SynapseCore.gru(projected: v[0], weightHH: v[1], biasIH: v[2], biasHH: v[3], hidden: v[4])
                return flat([r.output, r.hidden])
            }
            #expect(check.maxRelativeError < 1e-6, "\(gates == 4 ? "lstm" : "gru")(projected:): \(check)")
        }
    }
}
