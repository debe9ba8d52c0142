import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// The reference printout of the tutorial's NumPy program, split into losses and predictions.
private func referenceOutput() throws -> (lines: [String], losses: [Double]) {
    let text = try Shared.text("reference/seed_xor.out")
    // The last line names the NumPy/Python versions that produced the file; it is not program output.
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        .filter { !$0.hasPrefix("numpy ") && !$0.isEmpty }
    let losses = lines.compactMap { line -> Double? in
        guard line.hasPrefix("Epoch "), let colon = line.range(of: "Loss: ") else { return nil }
        return Double(line[colon.upperBound...])
    }
    return (lines, losses)
}

/// The numbers in a line (`Epoch 300, Loss: 0.2499…` → [300, 0.2499…]; `[[0.053]` → [0.053]).
private func numbers(in line: String) -> [Double] {
    line.split(whereSeparator: { !"0123456789.-e".contains($0) }).compactMap { Double($0) }
}

@Suite("The tutorial, ported")
struct TutorialTests {
    @Test("initializeNetwork draws NumPy's W1 and W2 after seed(42), bit for bit")
    func initialization() {
        let network = Tutorial.initializeNetwork(inputSize: 2, hiddenSize: 2, outputSize: 1)
        // From shared/reference/seed_xor_init.out (float.hex of NumPy's values).
        #expect(network.W1.scalars == [0x1.fca2a28a9307cp-2, -0x1.1b2a505de052ap-3, 0x1.4b9dd50245e68p-1, 0x1.85e548e01aa2bp+0])
        #expect(network.W2.scalars == [-0x1.df8bcdf57a640p-3, -0x1.df8332670db3bp-3])
        #expect(network.b1.shape == [1, 2] && network.b1.scalars == [0, 0])
        #expect(network.b2.shape == [1, 1] && network.b2.scalars == [0])
    }

    @Test("the port prints what the Python program prints (every number within 1e-9 relative)")
    func printedOutputMatchesNumPy() throws {
        let reference = try referenceOutput().lines
        var printed: [String] = []
        Tutorial.runExample { printed.append(contentsOf: $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)) }
        try #require(printed.count == reference.count, "printed \(printed.count) lines, reference has \(reference.count)")
        var identical = 0
        for (ours, theirs) in zip(printed, reference) {
            if ours == theirs { identical += 1; continue }
            let a = numbers(in: ours), b = numbers(in: theirs)
            // Same text apart from the digits: the words, punctuation and layout must agree exactly.
            #expect(ours.filter { !"0123456789.-e".contains($0) } == theirs.filter { !"0123456789.-e".contains($0) },
                    "layout differs: \(ours) vs \(theirs)")
            #expect(a.count == b.count, "\(ours) vs \(theirs)")
            for (x, y) in zip(a, b) { #expect(relativeError(x, y) < 1e-9, "\(ours) vs \(theirs)") }
        }
        // The prediction block is NumPy's array format, character for character.
        #expect(Array(printed.suffix(5)) == Array(reference.suffix(5)))
        // Lines that differ do so in the last one or two digits: NumPy's AVX-512 exp and BLAS dot differ from
        // libm's exp and a sequential sum by an ulp (NumPy 2.4.6 on this machine also differs from the file).
        print("seed output: \(identical) of \(reference.count) lines digit-identical to NumPy's")
    }

    @Test("with seed 42 the 2-2-1 network stalls near loss 0.128, predictions ≈ 0.05, 0.50, 0.95, 0.50")
    func stalls() {
        let X = Tensor<Double>(Tutorial.xorInputs), y = Tensor<Double>(Tutorial.xorTargets)
        let network = Tutorial.trainNetwork(X, y, inputSize: 2, hiddenSize: 2, outputSize: 1, epochs: 10_000,
                                            learningRate: 0.1, log: nil)
        let predictions = Tutorial.predict(network, X).scalars
        for (p, expected) in zip(predictions, [0.05300376, 0.49554286, 0.95091752, 0.50319846]) {
            #expect(abs(p - expected) < 1e-8)
        }
        // Trained parameters from shared/reference/seed_xor_init.out.
        for (ours, numpy) in zip(network.W1.scalars, [3.317678511826146, -3.425626989393368, 6.3492341937893695, 6.538269249408454]) {
            #expect(relativeError(ours, numpy) < 1e-9)
        }
        #expect(relativeError(network.b2.scalar, -0.06895853045376481) < 1e-9)
    }

    @Test("sigmoidDerivative expects σ(x), not x")
    func sigmoidDerivativeQuirk() {
        let x = Tensor<Double>([-2, 0, 3])
        let s = Tutorial.sigmoid(x)
        let viaOutput = Tutorial.sigmoidDerivative(s).scalars
        for (d, v) in zip(viaOutput, x.scalars) {
            let sv = 1 / (1 + Foundation.exp(-v))
            #expect(abs(d - sv * (1 - sv)) < 1e-15)
        }
        #expect(Tutorial.sigmoidDerivative(x).scalars == [-6, 0, -6])  // x·(1−x), not σ'(x)
    }

    @Test("automatic differentiation reproduces the hand-written backpropagation's loss curve to 1e-9")
    func autodiffEqualsTutorial() throws {
        let reference = try referenceOutput().losses
        let X = Tensor<Double>(Tutorial.xorInputs), y = Tensor<Double>(Tutorial.xorTargets)
        let network = AutodiffNetwork(inputSize: 2, hiddenSize: 2, outputSize: 1)
        let tutorial = Tutorial.initializeNetwork(inputSize: 2, hiddenSize: 2, outputSize: 1)
        #expect(network.W1.scalars == tutorial.W1.scalars && network.W2.scalars == tutorial.W2.scalars)
        let all = network.train(X, y, epochs: 10_000, learningRate: 0.1)
        let losses = stride(from: 0, to: all.count, by: 100).map { all[$0] }
        try #require(losses.count == reference.count)
        for (epoch, (ours, numpy)) in zip(losses, reference).enumerated() {
            #expect(relativeError(ours, numpy) < 1e-9, "epoch \(epoch * 100): \(ours) vs \(numpy)")
        }
    }
}
