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

/// The first layers of the sequence-model issue: `Embedding` and `LayerNorm`, by finite differences
/// and against PyTorch (`Tests/Interop/make_sequence_golden.py` wrote the golden file with torch).
@Suite("Embedding and LayerNorm")
struct SequenceLayerTests {
    @Test("gradient checks (Float64): layerNorm over the last axis of rank 1 to 3, with and without γ, β; embedding with repeated ids; linear on any rank; batched matmul")
    func gradients() {
        for shape in [[6], [4, 5], [2, 3, 4]] {
            let c = shape.last!
            let result = checkGradients(at: [random(shape, seed: 1, scale: 2, offset: 0.5), random([c], seed: 2, offset: 1), random([c], seed: 3)]) { v in
                layerNorm(v[0], weight: v[1], bias: v[2]) * v[0]      // a non-trivial ∂L/∂y
            }
            #expect(result.maxRelativeError < 1e-6, "\(shape): \(result)")
        }
        // linear on the last axis of a rank-3 (and rank-1) input, with and without a bias.
        let sequence = checkGradients(at: [random([2, 3, 4], seed: 6), random([5, 4], seed: 7), random([5], seed: 8)]) { v in
            tanh(linear(v[0], weight: v[1], bias: v[2]))
        }
        #expect(sequence.maxRelativeError < 1e-6, "\(sequence)")
        let vector = checkGradients(at: [random([4], seed: 9), random([3, 4], seed: 10)]) { v in linear(v[0], weight: v[1], bias: nil) * linear(v[0], weight: v[1], bias: nil) }
        #expect(vector.maxRelativeError < 1e-6, "\(vector)")
        var rng = RandomGenerator(seed: 3)
        let dense = Dense<Double>(inputSize: 4, outputSize: 2, generator: &rng)
        let x = random([2, 3, 4], seed: 11)
        let perRow = (0..<6).flatMap { r in dense(Tensor(shape: [1, 4], scalars: Array(x.scalars[(r * 4)..<(r * 4 + 4)]))).scalars }
        #expect(dense(x).shape == [2, 3, 2] && zip(dense(x).scalars, perRow).allSatisfy { abs($0 - $1) < 1e-12 })
        // Batched matmul: every transpose, broadcasting of leading axes (a shared slice sums its gradients).
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = random(ta ? [2, 1, 4, 3] : [2, 1, 3, 4], seed: 12), b = random(tb ? [3, 5, 4] : [3, 4, 5], seed: 13)
            let batched = checkGradients(at: [a, b]) { v in let c = matmul(v[0], v[1], transposeA: ta, transposeB: tb); return c * c }
            #expect(batched.maxRelativeError < 1e-6, "\(ta) \(tb): \(batched)")
            // Each element is the rank-2 product of its slices.
            let c = matmul(a, b, transposeA: ta, transposeB: tb)
            #expect(c.shape == [2, 3, 3, 5])
            let (sliceA, sliceB) = (Tensor(shape: Array(a.shape.suffix(2)), scalars: Array(a.scalars[12..<24])),
                                    Tensor(shape: Array(b.shape.suffix(2)), scalars: Array(b.scalars[40..<60])))
            let expected = matmul(sliceA, sliceB, transposeA: ta, transposeB: tb).scalars     // c[1, 2]
            #expect(zip(Array(c.scalars[(5 * 15)..<(6 * 15)]), expected).allSatisfy { abs($0 - $1) < 1e-12 })
        }
        let withMatrix = checkGradients(at: [random([2, 3, 4], seed: 14), random([4, 2], seed: 15)]) { v in matmul(v[0], v[1]) }
        #expect(withMatrix.maxRelativeError < 1e-6, "\(withMatrix)")
        let plain = checkGradients(at: [random([3, 7], seed: 4, scale: 3)]) { v in layerNorm(v[0], weight: nil, bias: nil) * v[0] }
        #expect(plain.maxRelativeError < 1e-6, "\(plain)")
        let lookup = checkGradients(at: [random([5, 3], seed: 5)]) { v in
            embedding(v[0], indices: [4, 0, 4, 2, 4, 1], shape: [2, 3]) * embedding(v[0], indices: [1, 1, 0, 3, 2, 4], shape: [2, 3])
        }
        #expect(lookup.maxRelativeError < 1e-6, "\(lookup)")
    }

    @Test("nn.Embedding and nn.LayerNorm: outputs and gradients equal PyTorch's to 1e-12 (Float64) and 1e-5 (Float32)")
    func againstPyTorch() throws {
        let path = "\(GoldenModelTests.golden)/sequence-layers-torch.safetensors"
        let golden = try SafeTensors.read(path)
        func check<Scalar: TensorScalar>(_: Scalar.Type, tolerance: Double) throws {
            func tensor(_ name: String) throws -> Tensor<Scalar> {
                try #require(golden.entries[name], "no \(name)").tensor(as: Scalar.self, name: name, path: path)
            }
            func close(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, _ what: String) {
                let (x, y) = (a.doubleScalars, b.doubleScalars)
                #expect(a.shape == b.shape && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }, "\(Scalar.self) \(what): \(x.prefix(8)) vs \(y.prefix(8))")
            }
            let table = Embedding(weight: try tensor("embedding.weight"))
            let out = table(try tensor("embedding.indices"))
            close(out, try tensor("embedding.output"), "embedding output")
            (out * (try tensor("embedding.loss_weight"))).sum().backward()
            close(try #require(table.weight.grad), try tensor("embedding.grad.weight"), "embedding ∂weight")
            #expect(table.namedParameters.map(\.name) == ["weight"])

            let norm = LayerNorm<Scalar>(features: 6)
            let (gamma, beta) = (try tensor("layernorm.weight"), try tensor("layernorm.bias"))   // kept alive while copied
            withExtendedLifetime((gamma, beta)) {
                norm.weight!.data.update(from: gamma.data, count: 6)
                norm.bias!.data.update(from: beta.data, count: 6)
            }
            let x = try tensor("layernorm.input")
            x.requiresGrad = true
            let y = norm(x)
            close(y, try tensor("layernorm.output"), "layernorm output")
            (y * (try tensor("layernorm.loss_weight"))).sum().backward()
            close(try #require(x.grad), try tensor("layernorm.grad.input"), "layernorm ∂input")
            close(try #require(norm.weight!.grad), try tensor("layernorm.grad.weight"), "layernorm ∂weight")
            close(try #require(norm.bias!.grad), try tensor("layernorm.grad.bias"), "layernorm ∂bias")
            #expect(norm.namedParameters.map(\.name) == ["weight", "bias"])
        }
        try check(Double.self, tolerance: 1e-12)
        try check(Float.self, tolerance: 1e-5)
    }
}
