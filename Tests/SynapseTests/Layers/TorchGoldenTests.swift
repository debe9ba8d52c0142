import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Residual and graph networks against PyTorch, without PyTorch: `Tests/Golden/make_graph_golden.py`
/// built each network with torch (Float64) from the architecture JSON stored in the file, and
/// recorded its state_dict, an input, the outputs in evaluation and training mode, the gradients of
/// `sum(output · R)` for the input and every parameter, and the running statistics after the
/// training-mode pass. Synapse builds the same JSON, loads the state dict strictly, and must agree —
/// in Float64 to 1e-10, and in Float32 (the production kernels) to 1e-4, relative to the largest value.
@Suite("Residual and graph networks match PyTorch (golden files)")
struct TorchGoldenTests {
    static let files = ["residual-torch.safetensors", "graph-torch.safetensors"]

    /// The largest |a − b| over the largest |b| (or 1, when smaller).
    static func difference<Scalar: TensorScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Double {
        let x = a.converted(to: Double.self).scalars, y = b.converted(to: Double.self).scalars
        let scale = max(1, y.map(abs).max() ?? 0)
        return zip(x, y).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    static func check<Scalar: TensorScalar>(_ file: String, as _: Scalar.Type, tolerance: Double) throws {
        let path = "\(GoldenModelTests.golden)/\(file)"
        let golden = try SafeTensors.read(path)
        func tensor(_ name: String) throws -> Tensor<Scalar> {
            try #require(golden.entries[name], "\(file) has no tensor \(name)").tensor(as: Scalar.self, name: name, path: path)
        }
        let architecture = try #require(golden.metadata["architecture"])
        let inputShape = try JSONDecoder().decode([Int].self, from: Data(try #require(golden.metadata["input_shape"]).utf8))
        let (spec, outputShape) = try LayerSpec.decode(Data(architecture.utf8), path: path).resolved(for: inputShape)
        let network: any Layer<Scalar> = try spec.makeLayer(as: Scalar.self)

        var state: [String: Tensor<Scalar>] = [:]
        for name in golden.entries.keys where name.hasPrefix("state.") { state[String(name.dropFirst("state.".count))] = try tensor(name) }
        try network.loadStateDict(state)   // strict: the names are torch's state_dict names
        let x = try tensor("input"), weight = try tensor("loss_weight")
        #expect(weight.shape == [x.shape[0]] + outputShape, "\(file): Synapse infers output \(outputShape)")

        network.eval()
        let evaluation = withoutGradients { network(x) }
        let evalError = difference(evaluation, try tensor("eval.output"))
        #expect(evalError < tolerance, "\(file) \(Scalar.self): evaluation-mode output differs from torch's by \(evalError)")

        network.train()
        let input = x.copy()
        input.requiresGrad = true
        let output = network(input)
        let outputError = difference(output, try tensor("train.output"))
        #expect(outputError < tolerance, "\(file) \(Scalar.self): training-mode output differs from torch's by \(outputError)")
        (output * weight).sum().backward()
        let inputGradient = try #require(input.grad, "\(file): no gradient for the input")
        let inputError = difference(inputGradient, try tensor("train.grad.input"))
        #expect(inputError < tolerance, "\(file) \(Scalar.self): the input's gradient differs from torch's by \(inputError)")

        let gradients = Set(golden.entries.keys.filter { $0.hasPrefix("train.grad.") && $0 != "train.grad.input" })
        #expect(Set(network.namedParameters.map { "train.grad.\($0.name)" }) == gradients, "\(file): parameters differ from torch's")
        for (name, parameter) in network.namedParameters {
            let gradient = try #require(parameter.grad, "\(file): no gradient for \(name)")
            let error = difference(gradient, try tensor("train.grad.\(name)"))
            #expect(error < tolerance, "\(file) \(Scalar.self): the gradient of \(name) differs from torch's by \(error)")
        }
        let worstGradient = try network.namedParameters.map { difference($0.tensor.grad!, try tensor("train.grad.\($0.name)")) }.max() ?? 0
        print(String(format: "%@ %@: relative differences from torch: eval output %.1e, train output %.1e, input gradient %.1e, worst parameter gradient %.1e",
                     file, "\(Scalar.self)", evalError, outputError, inputError, worstGradient))
        let parameterNames = Set(network.namedParameters.map(\.name))
        let buffers = network.namedState.filter { !parameterNames.contains($0.name) }
        #expect(!buffers.isEmpty)
        for (name, buffer) in buffers {
            let error = difference(buffer, try tensor("train.state.\(name)"))
            #expect(error < tolerance, "\(file) \(Scalar.self): \(name) after one training-mode pass differs from torch's by \(error)")
        }
    }

    @Test("Float64: outputs, gradients and running statistics match PyTorch's to 1e-10", arguments: files)
    func double(file: String) throws {
        try Self.check(file, as: Double.self, tolerance: 1e-10)
    }

    @Test("Float32: outputs, gradients and running statistics match PyTorch's to 1e-4", arguments: files)
    func float(file: String) throws {
        try Self.check(file, as: Float.self, tolerance: 1e-4)
    }
}
