import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Layers")
struct LayerTests {
    @Test("Dense computes x·Wᵀ + b with PyTorch's [out, in] layout; its gradients check")
    func dense() {
        let layer = Dense<Double>(weight: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), bias: Tensor([0.5, -1]))
        let y = layer(Tensor(shape: [1, 3], scalars: [1, 0, -1]))
        let expected: [Double] = [-1.5, -3]   // [1·1 + 2·0 + 3·(−1) + 0.5, 4 − 6 − 1]
        #expect(y.scalars == expected)
        #expect(layer.parameterCount == 8)
        #expect(layer.namedParameters.map(\.name) == ["weight", "bias"])
        var g = RandomGenerator(seed: 1)
        let x = Tensor<Double>(randomNormal: [4, 3], generator: &g)
        // Small random weights keep tanh out of saturation, where gradients vanish below round-off.
        let w = Tensor<Double>(randomNormal: [2, 3], generator: &g) * 0.5
        let b = Tensor<Double>(randomNormal: [2], generator: &g) * 0.5
        let result = checkGradients(at: [x, w, b]) { inputs in
            Dense(weight: inputs[1], bias: inputs[2], activation: .tanh)(inputs[0])
        }
        #expect(result.maxRelativeError < 1e-6, "\(result)")
    }

    @Test("linear (x·Wᵀ + b fused): values and Float64 gradients, with and without bias")
    func linearOp() {
        var g = RandomGenerator(seed: 4)
        let x = Tensor<Double>(randomNormal: [5, 3], generator: &g), w = Tensor<Double>(randomNormal: [4, 3], generator: &g)
        let b = Tensor<Double>(randomNormal: [4], generator: &g)
        let fused = linear(x, weight: w, bias: b).scalars
        let composed = (matmul(x, w, transposeB: true) + b).scalars
        #expect(zip(fused, composed).allSatisfy { abs($0 - $1) < 1e-14 })
        #expect(checkGradients(at: [x, w, b]) { linear($0[0], weight: $0[1], bias: $0[2]) }.maxRelativeError < 1e-6)
        #expect(checkGradients(at: [x, w]) { linear($0[0], weight: $0[1], bias: nil) }.maxRelativeError < 1e-6)
    }

    @Test("Sequential names parameters like torch.nn.Sequential and counts them")
    func sequential() {
        var g = RandomGenerator(seed: 2)
        let model = Sequential<Float>([
            Dense(inputSize: 4, outputSize: 8, generator: &g), Activation(.relu),
            Dropout(rate: 0.5), Dense(inputSize: 8, outputSize: 3, useBias: false, generator: &g),
        ])
        #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "3.weight"])
        #expect(model.parameterCount == 4 * 8 + 8 + 8 * 3)
        #expect(model(Tensor(zeros: [5, 4])).shape == [5, 3])
        model.eval()
        #expect(model.layers.allSatisfy { !$0.isTraining } && !model.isTraining)
        model.train()
        #expect(model.layers.allSatisfy { $0.isTraining })
        let y = model(Tensor(ones: [2, 4])).sum()
        y.backward()
        #expect(model.parameters.allSatisfy { $0.grad != nil })
        model.zeroGrad()
        #expect(model.parameters.allSatisfy { $0.grad == nil })
    }

    @Test("parameters of custom layers are discovered by reflection, nested layers included")
    func reflection() {
        final class Block: Layer {
            let first: Dense<Double>, second: Dense<Double>
            let scale = Tensor<Double>(2, requiresGrad: true)
            let constant = Tensor<Double>(3)   // no gradient: not a parameter
            var isTraining = true
            init(generator: inout RandomGenerator) {
                first = Dense(inputSize: 2, outputSize: 2, generator: &generator)
                second = Dense(inputSize: 2, outputSize: 1, generator: &generator)
            }
            func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { second(first(x)) * scale }
        }
        var g = RandomGenerator(seed: 3)
        let block = Block(generator: &g)
        #expect(block.namedParameters.map(\.name) == ["scale", "first.weight", "first.bias", "second.weight", "second.bias"])
        let outer = Sequential<Double>([block, Activation(.sigmoid)])
        #expect(outer.namedParameters.first?.name == "0.scale")
    }

    @Test("Dropout: identity in evaluation, inverted scaling in training, reproducible from its seed")
    func dropout() {
        let x = Tensor<Double>(ones: [200, 50])
        let a = Dropout<Double>(rate: 0.3, seed: 9), b = Dropout<Double>(rate: 0.3, seed: 9)
        let ya = a(x), yb = b(x)
        #expect(ya.scalars == yb.scalars)
        let kept = ya.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-12 })
        #expect(abs(Double(kept.count) / Double(x.count) - 0.7) < 0.02)
        a.eval()
        #expect(a(x) === x)
    }

    @Test("Flatten keeps the batch dimension; activation layers apply their function")
    func flattenAndActivation() {
        let x = Tensor<Float>(zeros: [2, 3, 4])
        #expect(Flatten<Float>()(x).shape == [2, 12])
        #expect(Activation<Float>(.relu)(Tensor([-1, 2])).scalars == [0, 2])
        #expect(ActivationFunction(name: "leaky_relu(0.2)") == .leakyReLU(slope: 0.2))
        #expect(ActivationFunction(name: "swish") == .silu)
        #expect(ActivationFunction(name: "nope") == nil)
        for name in ActivationFunction.names { #expect(ActivationFunction(name: name)?.description == name) }
    }
}
