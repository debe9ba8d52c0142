import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

private func random(_ shape: [Int], seed: UInt32, scale: Double = 1, offset: Double = 0) -> Tensor<Double> {
    var g = RandomGenerator(seed: seed)
    return Tensor<Double>(randomNormal: shape, mean: offset, standardDeviation: scale, generator: &g)
}

/// Row-major strides of `shape`.
private func strides(_ shape: [Int]) -> [Int] {
    var result = [Int](repeating: 1, count: shape.count)
    for d in stride(from: shape.count - 2, through: 0, by: -1) { result[d] = result[d + 1] * shape[d + 1] }
    return result
}

/// The multi-index of flat position `flat` in `shape`.
private func index(_ flat: Int, in shape: [Int]) -> [Int] {
    zip(strides(shape), shape).map { flat / $0 % $1 }
}

private func expectGradients(_ inputs: [Tensor<Double>], _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                             _ function: ([Tensor<Double>]) -> Tensor<Double>) {
    let result = checkGradients(at: inputs, of: function)
    #expect(result.maxRelativeError < 1e-6, "\(what): \(result)", sourceLocation: sourceLocation)
}

/// The tensor ops of the sequence-model issue: slicing on any axis, split, stack, swapping axes,
/// where / maskedFill, logSumExp, functional dropout, RMSNorm and positional encodings — by finite
/// differences (Float64) and against PyTorch (`Tests/Interop/make_sequence_ops_golden.py`).
@Suite("Sequence ops: split, stack, slice, transpose, where, logSumExp, dropout, RMSNorm, positions")
struct SequenceOpsTests {
    // MARK: Shape ops

    @Test("slice(axis:range:) on every axis (negative too): values and gradients; a view when the leading axes are 1")
    func slicing() {
        let x = random([2, 3, 4], seed: 1)
        for axis in -3..<3 {
            let a = axis < 0 ? axis + 3 : axis
            let range = 1..<x.shape[a]
            let y = x.slice(axis: axis, range: range)
            var expectedShape = x.shape
            expectedShape[a] = range.count
            #expect(y.shape == expectedShape)
            for flat in 0..<y.count {
                var i = index(flat, in: y.shape)
                i[a] += range.lowerBound
                #expect(y.scalars[flat] == x.scalars[zip(i, strides(x.shape)).map(*).reduce(0, +)])
            }
            expectGradients([x], "slice axis \(axis)") { v in
                let s = v[0].slice(axis: axis, range: range)
                return s * s
            }
        }
        // Leading axes of size 1: a view of the same storage; an empty slice works.
        let row = random([1, 5, 3], seed: 2)
        #expect(row.slice(axis: 1, range: 2..<4).data == row.data + 6)
        #expect(x.slice(axis: 1, range: 2..<2).shape == [2, 0, 4])
    }

    @Test("split: pieces equal slices, on axis 0 (views), 1 and −1; unused pieces get zero gradient; reusing x and backward twice")
    func splitting() {
        let x = random([4, 6, 5], seed: 3)
        for (axis, sizes) in [(0, [1, 3]), (1, [2, 0, 3, 1]), (-1, [2, 2, 1])] {
            let pieces = split(x, sizes: sizes, axis: axis)
            var start = 0
            for (piece, size) in zip(pieces, sizes) {
                #expect(piece.scalars == x.slice(axis: axis, range: start..<(start + size)).scalars)
                start += size
            }
            // Piece 1 unused, piece 0 used twice; x is also used directly.
            expectGradients([x], "split axis \(axis) \(sizes)") { v in
                let p = split(v[0], sizes: sizes, axis: axis)
                return (p[0] * p[0]).sum() + (p[0] * 2).sum() + (p.last! * p.last!).sum() + (v[0] * v[0]).sum()
            }
        }
        // The unused piece's slab of the gradient is exactly zero; a second backward over the kept
        // graph adds the same gradient again (the accumulator starts afresh each pass).
        let leaf = x.copy()
        leaf.requiresGrad = true
        let p = split(leaf, sizes: [2, 3, 1], axis: 1)
        let loss = (p[0] * 3).sum() + (p[2] * p[2]).sum()
        loss.backward()
        let once = leaf.grad!.scalars
        #expect(leaf.grad!.slice(axis: 1, range: 2..<5).scalars.allSatisfy { $0 == 0 })
        #expect(leaf.grad!.slice(axis: 1, range: 0..<2).scalars.allSatisfy { $0 == 3 })
        loss.backward()
        #expect(leaf.grad!.scalars == once.map { 2 * $0 })
        // Backward from one piece alone.
        leaf.grad = nil
        (p[2] * 1).sum().backward()
        #expect(leaf.grad!.slice(axis: 1, range: 5..<6).scalars.allSatisfy { $0 == 1 })
        #expect(leaf.grad!.scalars.reduce(0, +) == 20)      // [4, 1, 5] ones
    }

    @Test("stack along a new axis 0, 1 and −1 (the last): values equal the parts; gradients")
    func stacking() {
        let parts = (0..<3).map { random([2, 4], seed: 10 + UInt32($0)) }
        for (axis, shape) in [(0, [3, 2, 4]), (1, [2, 3, 4]), (-1, [2, 4, 3]), (2, [2, 4, 3])] {
            let y = stack(parts, axis: axis)
            #expect(y.shape == shape)
            let a = axis < 0 ? axis + 3 : axis
            for i in 0..<3 { #expect(y.slice(axis: a, range: i..<(i + 1)).scalars == parts[i].scalars) }
            expectGradients(parts, "stack axis \(axis)") { v in let s = stack(v, axis: axis); return s * s }
        }
    }

    @Test("transposed(a, b) swaps two axes (torch.transpose); every permutation of a rank-5 tensor equals the element-by-element definition")
    func transposing() {
        let x = random([2, 3, 4, 5], seed: 20)
        let heads = x.transposed(1, 2)                                     // [B, T, H, D] → [B, H, T, D]
        #expect(heads.shape == [2, 4, 3, 5] && heads.scalars == x.transposed([0, 2, 1, 3]).scalars)
        #expect(x.transposed(-1, -2).scalars == x.transposed([0, 1, 3, 2]).scalars)
        #expect(x.transposed(2, 2).scalars == x.scalars)
        for (a, b) in [(1, 2), (-1, -2), (0, 3), (0, 1)] {
            expectGradients([x], "transpose \(a) \(b)") { v in let t = v[0].transposed(a, b); return t * (t + 3) }
        }
        // Every permutation of a shape with a size-1 axis (merged runs, batched transposes, element copies).
        let shape = [2, 3, 1, 4, 5]
        let y = random(shape, seed: 21)
        func permutations(_ items: [Int]) -> [[Int]] {
            items.count <= 1 ? [items] : items.indices.flatMap { i in
                permutations(items.enumerated().filter { $0.offset != i }.map(\.element)).map { [items[i]] + $0 }
            }
        }
        for perm in permutations(Array(0..<5)) {
            let t = y.transposed(perm)
            let newShape = perm.map { shape[$0] }
            let source = strides(shape)
            var ok = t.shape == newShape
            for flat in 0..<t.count {
                let i = index(flat, in: newShape)
                let offset = perm.indices.reduce(0) { $0 + i[$1] * source[perm[$1]] }
                if t.data[flat] != y.data[offset] { ok = false }
            }
            #expect(ok, "\(perm)")
        }
    }

    // MARK: Selection

    @Test("Tensor.where and maskedFill: values with broadcasting, gradients to the selected side only")
    func selection() {
        let condition = TensorMask(shape: [3, 1], values: [true, false, true])
        let a = random([2, 3, 4], seed: 30), b = random([4], seed: 31)
        let y = Tensor.where(condition, a, b)
        #expect(y.shape == [2, 3, 4])
        for flat in 0..<y.count {
            let i = index(flat, in: y.shape)
            #expect(y.scalars[flat] == (condition.values[i[1]] ? a.scalars[flat] : b.scalars[i[2]]))
        }
        expectGradients([a, b], "where") { v in let w = Tensor.where(condition, v[0], v[1]); return w * w }
        let leftA = a.copy(), rightB = b.copy()
        leftA.requiresGrad = true
        rightB.requiresGrad = true
        Tensor.where(condition, leftA, rightB).sum().backward()
        #expect(leftA.grad!.slice(axis: 1, range: 1..<2).scalars.allSatisfy { $0 == 0 })
        #expect(leftA.grad!.slice(axis: 1, range: 0..<1).scalars.allSatisfy { $0 == 1 })
        #expect(rightB.grad!.scalars == [2, 2, 2, 2])                     // one unselected row in each of 2 batches
        // A comparison's mask as the condition; a condition broadcast over both sides.
        let relu = Tensor.where(a .> Tensor(0.0), a, Tensor(0.0))
        #expect(relu.scalars == a.scalars.map { max($0, 0) })
        let wide = Tensor.where(TensorMask(shape: [2, 1, 1, 1], values: [false, true]), random([3, 1, 2], seed: 32), random([3, 2], seed: 33))
        #expect(wide.shape == [2, 3, 3, 2])

        // maskedFill with the causal mask on [B, H, T, T], and a mask broadcast over a middle axis.
        let causal = TensorMask.upperTriangular(size: 4)
        #expect(causal.values == [false, true, true, true, false, false, true, true, false, false, false, true, false, false, false, false])
        let scores = random([2, 3, 4, 4], seed: 34)
        let filled = maskedFill(scores, mask: causal, value: -.infinity)
        for flat in 0..<filled.count {
            let i = index(flat, in: filled.shape)
            #expect(filled.scalars[flat] == (i[3] > i[2] ? -.infinity : scores.scalars[flat]))
        }
        expectGradients([scores], "masked softmax") { v in softmax(maskedFill(v[0], mask: causal, value: -.infinity)) * v[0] }
        let middle = TensorMask(shape: [3, 1], values: [false, true, false])
        expectGradients([random([2, 3, 5], seed: 35)], "maskedFill broadcast") { v in
            let m = maskedFill(v[0], mask: middle, value: 7)
            return m * m
        }
        #expect(TensorMask.upperTriangular(size: 3, diagonal: 0).values.filter { $0 }.count == 6)
        #expect(TensorMask(Tensor<Float>([0, 2, -1, .nan])).values == [false, true, true, true])
    }

    // MARK: logSumExp, softmax

    @Test("logSumExp on any axis and rank: values (stable at 1000, −∞ rows), gradients; softmax and logSoftmax of rank 3 and 4")
    func logSumExpAndSoftmax() {
        let x = random([2, 3, 4], seed: 40, scale: 2)
        for axis in [-1, 0, 1, 2] {
            for keepDims in [false, true] {
                let y = logSumExp(x, axis: axis, keepDims: keepDims)
                let reference = log(exp(x).sum(axis: axis, keepDims: keepDims))
                #expect(y.shape == reference.shape && zip(y.scalars, reference.scalars).allSatisfy { abs($0 - $1) < 1e-12 }, "axis \(axis)")
                expectGradients([x], "logSumExp axis \(axis) keepDims \(keepDims)") { v in
                    let l = logSumExp(v[0], axis: axis, keepDims: keepDims)
                    return l * l
                }
            }
        }
        let big = Tensor<Float>(shape: [3, 3], scalars: [1000, 1000, 999, -.infinity, -.infinity, -.infinity, .infinity, 0, 1])
        let lse = logSumExp(big)
        #expect(abs(lse.scalars[0] - (1000 + log(2 + exp(-1)))) < 1e-3)
        #expect(lse.scalars[1] == -.infinity && lse.scalars[2] == .infinity)
        // The gradient is the softmax.
        let leaf = x.copy()
        leaf.requiresGrad = true
        logSumExp(leaf).sum().backward()
        #expect(zip(leaf.grad!.scalars, softmax(x).scalars).allSatisfy { abs($0 - $1) < 1e-12 })

        for shape in [[2, 3, 5], [2, 2, 3, 4]] {
            let z = random(shape, seed: 41, scale: 3)
            expectGradients([z], "softmax \(shape)") { v in softmax(v[0]) * v[0] }
            expectGradients([z], "logSoftmax \(shape)") { v in logSoftmax(v[0], axis: -1) * v[0] }
            let rows = softmax(z).sum(axis: -1).scalars
            #expect(rows.allSatisfy { abs($0 - 1) < 1e-12 })
        }
    }

    // MARK: Dropout

    @Test("dropout(_:rate:generator:) on rank 3: kept values scaled, the same mask in the backward; the Dropout layer on rank 3 uses the same draws")
    func dropping() {
        let x = random([4, 5, 6], seed: 50, offset: 3)
        var g = RandomGenerator(seed: 7)
        let leaf = x.copy()
        leaf.requiresGrad = true
        let y = dropout(leaf, rate: 0.25, generator: &g)
        #expect(y.shape == [4, 5, 6])
        let kept = zip(y.scalars, x.scalars).filter { $0.0 != 0 }
        #expect(kept.allSatisfy { abs($0.0 - $0.1 / 0.75) < 1e-12 })
        #expect(kept.count > 60 && kept.count < 120)
        y.sum().backward()
        #expect(zip(leaf.grad!.scalars, y.scalars).allSatisfy { ($1 == 0 ? 0 : 1 / 0.75) == $0 })
        expectGradients([x], "dropout") { v in
            var generator = RandomGenerator(seed: 8)
            let d = dropout(v[0], rate: 0.5, generator: &generator)
            return d * d
        }
        // The layer: rank 3, the functional op's draws, identity in evaluation.
        let layer = Dropout<Double>(rate: 0.25, seed: 7)
        #expect(layer(x).scalars == y.scalars)
        layer.eval()
        #expect(layer(x) === x)
        var h = RandomGenerator(seed: 1)
        #expect(dropout(x, rate: 0, generator: &h) === x)
        #expect(dropout(x, rate: 1, generator: &h).scalars.allSatisfy { $0 == 0 })
    }

    // MARK: RMSNorm

    @Test("rmsNorm over the last axis of rank 1 to 3, with and without γ: gradients; the RMSNorm layer")
    func rmsNormalisation() {
        for shape in [[6], [4, 5], [2, 3, 4]] {
            let c = shape.last!
            expectGradients([random(shape, seed: 60, scale: 2, offset: 0.5), random([c], seed: 61, offset: 1)], "rmsNorm \(shape)") { v in
                rmsNorm(v[0], weight: v[1], epsilon: 1e-5) * v[0]
            }
            expectGradients([random(shape, seed: 62, scale: 2)], "rmsNorm plain \(shape)") { v in
                rmsNorm(v[0], weight: nil) * v[0]
            }
        }
        // Values: x / √(mean(x²) + ε), ε the machine epsilon by default.
        let x = Tensor<Float>(shape: [2, 2], scalars: [3, 4, 0, 0])
        #expect(rmsNorm(x, weight: nil).scalars[0] == 3 / (12.5 + Float.ulpOfOne).squareRoot())
        #expect(rmsNorm(x, weight: nil).scalars[2] == 0)
        let layer = RMSNorm<Float>(features: 2)
        #expect(layer.epsilon == nil && layer.weight!.scalars == [1, 1])
        #expect(layer.namedParameters.map(\.name) == ["weight"])
        #expect(layer(x).scalars == rmsNorm(x, weight: nil).scalars)
        #expect(RMSNorm<Float>(features: 2, affine: false).parameters.isEmpty)
    }

    // MARK: Positional encodings

    @Test("PositionalEmbedding: x + weight[t], gradients; decode adds positions from the cache")
    func learnedPositions() {
        var g = RandomGenerator(seed: 70)
        let layer = PositionalEmbedding<Double>(maxLength: 6, width: 4, generator: &g)
        #expect(layer.namedParameters.map(\.name) == ["weight"] && layer.weight.shape == [6, 4])
        let x = random([2, 5, 4], seed: 71)
        let y = layer(x)
        for flat in 0..<y.count {
            let i = index(flat, in: y.shape)
            #expect(y.scalars[flat] == x.scalars[flat] + layer.weight.scalars[i[1] * 4 + i[2]])
        }
        expectGradients([x, layer.weight], "positional embedding") { v in
            let p = PositionalEmbedding(weight: v[1])(v[0])
            return p * p
        }
        // Decoding 2 + 1 + 2 positions equals the forward pass over all 5.
        let cache = DecodingCache<Double>()
        var pieces: [Tensor<Double>] = []
        for range in [0..<2, 2..<3, 3..<5] {
            pieces.append(layer.incrementalForward(x.slice(axis: 1, range: range), cache: cache))
            cache.advance(by: range.count)
        }
        #expect(concatenate(pieces, axis: 1).scalars == y.scalars)
    }

    @Test("SinusoidalPositionalEncoding: PE equals the formula (even and odd widths); decode equals forward; no parameters")
    func sinusoidalPositions() {
        for width in [6, 5] {
            let layer = SinusoidalPositionalEncoding<Double>(width: width)
            #expect(layer.parameters.isEmpty)
            let pe = layer.encodings(0..<50)
            for position in 0..<50 {
                for c in 0..<width {
                    let angle = Double(position) / pow(10000, Double(2 * (c / 2)) / Double(width))
                    let expected = c % 2 == 0 ? sin(angle) : cos(angle)
                    #expect(abs(pe[position, c] - expected) < 1e-12, "PE[\(position), \(c)]")
                }
            }
            let x = random([2, 7, width], seed: 80)
            let y = layer(x)
            #expect(zip(y.scalars, x.scalars).enumerated().allSatisfy { n, pair in
                let i = index(n, in: y.shape)
                return abs(pair.0 - pair.1 - pe[i[1], i[2]]) < 1e-12
            })
            let cache = DecodingCache<Double>()
            var pieces: [Tensor<Double>] = []
            for range in [0..<3, 3..<4, 4..<7] {
                pieces.append(layer.incrementalForward(x.slice(axis: 1, range: range), cache: cache))
                cache.advance(by: range.count)
            }
            #expect(concatenate(pieces, axis: 1).scalars == y.scalars)
            // Positions beyond the table so far grow it; the values stay those of the formula.
            let far = SinusoidalPositionalEncoding<Float>(width: width).encodings(1000..<1002)
            #expect(abs(Double(far[1, 0]) - sin(1001)) < 1e-6)
        }
    }

    // MARK: Against PyTorch

    @Test("RMSNorm, logsumexp, split, stack and a causal masked softmax equal PyTorch's to 1e-12 (Float64) and 1e-5 (Float32)")
    func againstPyTorch() throws {
        let path = "\(GoldenModelTests.golden)/sequence-ops-torch.safetensors"
        let golden = try SafeTensors.read(path)
        func check<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double) throws {
            func tensor(_ name: String, requiresGrad: Bool = false) throws -> Tensor<Scalar> {
                let t = try #require(golden.entries[name], "no \(name)").tensor(as: Scalar.self, name: name, path: path)
                t.requiresGrad = requiresGrad
                return t
            }
            func close(_ a: Tensor<Scalar>?, _ name: String) throws {
                let b = try tensor(name)
                let (x, y) = (a?.doubleScalars ?? [], b.doubleScalars)
                #expect(a?.shape == b.shape && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) },
                        "\(Scalar.self) \(name): \(x.prefix(6)) vs \(y.prefix(6))")
            }
            let f32 = Scalar.self == Float.self ? "f32." : ""
            // RMSNorm (the layer, torch's default eps), and the functional form with eps 1e-6, no weight.
            let norm = RMSNorm<Scalar>(features: 6)
            let gamma = try tensor("rmsnorm.weight")
            withExtendedLifetime(gamma) { norm.weight!.data.update(from: gamma.data, count: 6) }
            let x = try tensor("rmsnorm.input", requiresGrad: true)
            let y = norm(x)
            try close(y, f32 + "rmsnorm.output")
            (y * (try tensor("rmsnorm.loss_weight"))).sum().backward()
            try close(x.grad, f32 + "rmsnorm.grad.input")
            try close(norm.weight!.grad, f32 + "rmsnorm.grad.weight")
            let plainInput = try tensor("rmsnorm.input", requiresGrad: true)
            let plain = rmsNorm(plainInput, weight: nil, epsilon: 1e-6)
            try close(plain, "rmsnorm_plain.output")
            (plain * (try tensor("rmsnorm.loss_weight"))).sum().backward()
            try close(plainInput.grad, "rmsnorm_plain.grad.input")

            for (name, axis, keep) in [("last", -1, false), ("middle", 1, true)] {
                let input = try tensor("logsumexp.input", requiresGrad: true)
                let out = logSumExp(input, axis: axis, keepDims: keep)
                try close(out, "logsumexp.\(name).output")
                (out * (try tensor("logsumexp.\(name).loss_weight"))).sum().backward()
                try close(input.grad, "logsumexp.\(name).grad.input")
            }

            let whole = try tensor("split.input", requiresGrad: true)
            let pieces = split(whole, sizes: [2, 4, 1], axis: 1)
            for i in 0..<3 { try close(pieces[i], "split.piece\(i)") }
            ((pieces[0] * (try tensor("split.loss_weight0"))).sum() + (pieces[2] * (try tensor("split.loss_weight2"))).sum()).backward()
            try close(whole.grad, "split.grad.input")

            let parts = try ["a", "b", "c"].map { try tensor("stack.\($0)", requiresGrad: true) }
            let stacked = stack(parts, axis: 1)
            try close(stacked, "stack.output")
            (stacked * (try tensor("stack.loss_weight"))).sum().backward()
            for (part, name) in zip(parts, ["a", "b", "c"]) { try close(part.grad, "stack.grad.\(name)") }

            let scores = try tensor("masked.scores", requiresGrad: true)
            let attention = softmax(maskedFill(scores, mask: .upperTriangular(size: 4), value: -.infinity))
            try close(attention, "masked.output")
            (attention * (try tensor("masked.loss_weight"))).sum().backward()
            try close(scores.grad, "masked.grad.scores")
        }
        try check(Double.self, tolerance: 1e-12)
        try check(Float.self, tolerance: 1e-5)
    }
}
