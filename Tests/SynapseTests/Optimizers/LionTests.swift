import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Lion against the paper's update (Chen et al. 2023, Algorithm 2), worked by hand:
/// c = β₁m + (1 − β₁)g, θ ← θ − η(sign(c) + λθ), m ← β₂m + (1 − β₂)g.
@Suite("Lion")
struct LionTests {
    @Test("two steps match the formula on hand-computed values (η 0.1, β 0.9/0.99, λ 0.01)")
    func handComputed() throws {
        let theta = Tensor<Double>([1.0, -2.0, 0.5], requiresGrad: true)
        let lion = Lion(parameters: [theta], learningRate: 0.1, beta1: 0.9, beta2: 0.99, weightDecay: 0.01)
        // Step 1, g = [0.3, −0.1, 0]: c = 0.1g = [0.03, −0.01, 0], sign [1, −1, 0];
        // θ = [1 − 0.1(1 + 0.01), −2 − 0.1(−1 − 0.02), 0.5 − 0.1(0 + 0.005)] = [0.899, −1.898, 0.4995];
        // m = 0.01g = [0.003, −0.001, 0].
        theta.grad = Tensor<Double>([0.3, -0.1, 0])
        lion.step()
        for (value, expected) in zip(theta.scalars, [0.899, -1.898, 0.4995]) { #expect(abs(value - expected) < 1e-12) }
        // Step 2, g = [−0.5, −0.1, 0.2]: c = 0.9m + 0.1g = [−0.0473, −0.0109, 0.02], sign [−1, −1, 1];
        // θ = [0.899 − 0.1(−1 + 0.00899), −1.898 − 0.1(−1 − 0.01898), 0.4995 − 0.1(1 + 0.004995)]
        //   = [0.998101, −1.796102, 0.3990005]; m = 0.99m + 0.01g = [−0.00203, −0.00199, 0.002].
        theta.grad = Tensor<Double>([-0.5, -0.1, 0.2])
        lion.step()
        for (value, expected) in zip(theta.scalars, [0.998101, -1.796102, 0.3990005]) { #expect(abs(value - expected) < 1e-12) }
        let momentum = try #require(lion.state.buffers["exp_avg"]?.first ?? nil)
        for (value, expected) in zip(momentum, [-0.00203, -0.00199, 0.002]) { #expect(abs(value - expected) < 1e-12) }
    }

    @Test("float32 follows the same rule; a saved state resumes bit for bit; bad states are refused")
    func stateAndFloat() throws {
        func run(_ steps: Int, from state: OptimizerState? = nil, start: [Float] = [0.25, -1, 3]) throws -> (Tensor<Float>, Lion<Float>) {
            let theta = Tensor<Float>(start, requiresGrad: true)
            let lion = Lion(parameters: [theta], learningRate: 0.05, weightDecay: 0.1)
            if let state { try lion.load(state: state) }
            for k in 0..<steps {
                theta.grad = Tensor<Float>([Float(k) - 1, 0.5, -0.25 * Float(k)])
                lion.step()
            }
            return (theta, lion)
        }
        let (whole, _) = try run(4)
        let (half, first) = try run(2)
        // The second half starts from the first half's weights and state, with the gradients of steps 2 and 3.
        let theta = Tensor<Float>(half.scalars, requiresGrad: true)
        let resumed = Lion(parameters: [theta], learningRate: 0.05, weightDecay: 0.1)
        try resumed.load(state: first.state)
        for k in 2..<4 {
            theta.grad = Tensor<Float>([Float(k) - 1, 0.5, -0.25 * Float(k)])
            resumed.step()
        }
        #expect(theta.scalars == whole.scalars)
        // Every weight moved by η·(±1) + decay, or stayed where the sign was 0.
        let (one, _) = try run(1)
        #expect(abs(one.scalars[1] - (-1 - 0.05 * (1 + 0.1 * -1))) < 1e-6)

        var bad = first.state
        bad.hyperparameters["beta2"] = 1
        #expect(throws: OptimizerStateError.self) { try Lion(parameters: [Tensor<Float>([0, 0, 0])], learningRate: 0.1).load(state: bad) }
        #expect(OptimizerChoice(stateKind: first.state.kind) == .lion)
    }
}
