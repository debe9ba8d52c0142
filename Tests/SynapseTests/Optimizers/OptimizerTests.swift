import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// An optimizer built over one parameter, with its first three iterates computed in closed form
/// (PyTorch's update rules, evaluated in Python floats) for the loss L(θ) = Σ (θ − [1, −2])²
/// starting at θ₀ = [0.5, 0.25].
struct OptimizerCase: CustomStringConvertible, Sendable {
    let description: String
    let expected: [[Double]]
    let make: @Sendable (Tensor<Double>) -> any Optimizer<Double>

    init(_ description: String, expected: [[Double]], make: @escaping @Sendable (Tensor<Double>) -> any Optimizer<Double>) {
        self.description = description
        self.expected = expected
        self.make = make
    }
}

@Suite("Optimizers")
struct OptimizerTests {
    static let cases: [OptimizerCase] = [
        OptimizerCase("SGD plain", expected: [[0.6, -0.2], [0.6799999999999999, -0.56], [0.744, -0.8480000000000001]]) { p in SGD(parameters: [p], learningRate: 0.1) },
        OptimizerCase("SGD momentum", expected: [[0.6, -0.2], [0.77, -0.9650000000000001], [0.9690000000000001, -1.8605]]) { p in SGD(parameters: [p], learningRate: 0.1, momentum: 0.9) },
        OptimizerCase("SGD Nesterov", expected: [[0.69, -0.6050000000000001], [0.8888, -1.4996], [1.054176, -2.243792]]) { p in SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, nesterov: true) },
        OptimizerCase("SGD dampening and weight decay", expected: [[0.5995, -0.20025000000000004], [0.7606004500000001, -0.9292497750000002], [0.9479982335950001, -1.7772482882025002]]) { p in SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01) },
        OptimizerCase("RMSProp", expected: [[0.5999999900000009, 0.1500000022222222], [0.6626608220425075, 0.08073295413666876], [0.7095667736789566, 0.024857952138492963]]) { p in RMSProp(parameters: [p], learningRate: 0.01) },
        OptimizerCase("RMSProp centered, momentum, weight decay", expected: [[0.6005037708932801, 0.14949622070634622], [0.7531585276249493, -0.010839623290329503], [0.9240779572414629, -0.20992767638097165]]) { p in RMSProp(parameters: [p], learningRate: 0.01, weightDecay: 0.1, momentum: 0.9, centered: true) },
        OptimizerCase("Adagrad", expected: [[0.59999999999, 0.15000000000222222], [0.6624695047415167, 0.08091422284866359], [0.70910082320375, 0.025329625150376768]]) { p in Adagrad(parameters: [p], learningRate: 0.1) },
        OptimizerCase("Adagrad decay, initial accumulator, weight decay", expected: [[0.594881472183919, 0.15024330196544816], [0.6542778927567876, 0.08199813268672104], [0.6981387323256654, 0.027631621420898846]]) { p in Adagrad(parameters: [p], learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.1, initialAccumulatorValue: 0.1) },
        OptimizerCase("Adam", expected: [[0.599999999, 0.1500000002222222], [0.6988125783408332, 0.05014426852598468], [0.7951287474397004, -0.0494612732207486]]) { p in Adam(parameters: [p], learningRate: 0.1) },
        OptimizerCase("Adam AMSGrad, L2 weight decay", expected: [[0.5999999989473684, 0.15000000022099447], [0.6985938182267247, 0.050152013665796816], [0.7941484916460491, -0.04943180734786548]]) { p in Adam(parameters: [p], learningRate: 0.1, weightDecay: 0.1, amsgrad: true) },
        OptimizerCase("AdamW", expected: [[0.594999999, 0.1475000002222222], [0.6879592202507538, 0.04617363454087378], [0.7777561630547124, -0.05388391044228474]]) { p in AdamW.make(parameters: [p], learningRate: 0.1, weightDecay: 0.1) },
    ]

    /// One step of `optimizer` on L(θ) = Σ (θ − [1, −2])².
    private func step(_ optimizer: any Optimizer<Double>, _ p: Tensor<Double>) {
        optimizer.zeroGrad()
        (p - Tensor<Double>([1, -2])).squared().sum().backward()
        optimizer.step()
    }

    @Test("first three steps equal the closed-form values", arguments: cases)
    func firstSteps(_ c: OptimizerCase) {
        let p = Tensor<Double>([0.5, 0.25], requiresGrad: true)
        let optimizer = c.make(p)
        for expected in c.expected {
            step(optimizer, p)
            for (got, want) in zip(p.scalars, expected) {
                #expect(abs(got - want) <= 1e-13 * max(1, abs(want)), "\(c): \(p.scalars) vs \(expected)")
            }
        }
    }

    @Test("state survives a JSON round trip and the run continues bit for bit", arguments: cases)
    func stateRoundTrip(_ c: OptimizerCase) throws {
        let p = Tensor<Double>([0.5, 0.25], requiresGrad: true)
        let optimizer = c.make(p)
        step(optimizer, p)
        step(optimizer, p)
        let json = try JSONEncoder().encode(optimizer.state)
        let decoded = try JSONDecoder().decode(OptimizerState.self, from: json)
        #expect(decoded == optimizer.state)
        #expect(decoded.steps == [2])

        let q = Tensor<Double>(p.scalars, requiresGrad: true)
        let resumed = c.make(q)
        try resumed.load(state: decoded)
        step(optimizer, p)
        step(resumed, q)
        #expect(p.scalars == q.scalars, "\(c)")
    }

    @Test("a mismatched state is rejected with a reason")
    func mismatchedState() throws {
        let p = Tensor<Double>([0.5, 0.25], requiresGrad: true)
        let adam = Adam(parameters: [p])
        step(adam, p)
        #expect(throws: OptimizerStateError.self) { try SGD(parameters: [p]).load(state: adam.state) }
        #expect(throws: OptimizerStateError.self) { try Adam(parameters: [p, p]).load(state: adam.state) }
        let other = Tensor<Double>([1, 2, 3], requiresGrad: true)
        #expect(throws: OptimizerStateError.self) { try Adam(parameters: [other]).load(state: adam.state) }
    }

    @Test("parameters without gradients are left alone and do not count a step")
    func skipsMissingGradients() {
        let a = Tensor<Double>([1, 2], requiresGrad: true), b = Tensor<Double>([3], requiresGrad: true)
        let adam = Adam(parameters: [a, b], learningRate: 0.1)
        (a * a).sum().backward()
        adam.step()
        #expect(b.scalars == [3] && a.scalars != [1, 2])
        #expect(adam.state.steps == [1, 0])
        #expect(adam.state.buffers["exp_avg"]?[1] == nil)
    }

    @Test("gradient clipping by global norm and by value")
    func clipping() {
        let a = Tensor<Double>([0, 0], requiresGrad: true), b = Tensor<Double>([0], requiresGrad: true)
        a.grad = Tensor([3, 0])
        b.grad = Tensor([4])
        let norm = clipGradients([a, b], maxNorm: 1)
        #expect(norm == 5)
        let factor = 1 / (5 + 1e-6)
        #expect(abs(a.grad!.scalars[0] - 3 * factor) < 1e-15 && abs(b.grad!.scalars[0] - 4 * factor) < 1e-15)
        // A norm already below the bound is left alone.
        a.grad = Tensor([0.3, 0])
        b.grad = Tensor([0.4])
        #expect(clipGradients([a, b], maxNorm: 1) == 0.5 && a.grad!.scalars == [0.3, 0])
        // The infinity norm is the largest magnitude.
        #expect(clipGradients([a, b], maxNorm: 10, normType: .infinity) == 0.4)
        a.grad = Tensor([-7, 0.5])
        clipGradients([a, b], maxValue: 1)
        #expect(a.grad!.scalars == [-1, 0.5] && b.grad!.scalars == [0.4])
    }
}

@Suite("Learning-rate schedules")
struct ScheduleTests {
    @Test("step decay: base · γ^⌊t / stepSize⌋")
    func stepDecay() {
        let s = StepDecay(base: 0.1, stepSize: 3, gamma: 0.5)
        #expect((0..<7).map { s.learningRate(at: $0) } == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025])
    }

    @Test("exponential decay: base · γ^t")
    func exponential() {
        let s = ExponentialDecay(base: 2, gamma: 0.9)
        for t in 0..<5 { #expect(abs(s.learningRate(at: t) - 2 * pow(0.9, Double(t))) < 1e-15) }
    }

    @Test("cosine with linear warm-up")
    func cosine() {
        let s = CosineWithWarmup(base: 1, warmupSteps: 4, totalSteps: 14, minimum: 0.1)
        #expect((0..<4).map { s.learningRate(at: $0) } == [0, 0.25, 0.5, 0.75])   // linear from 0
        #expect(s.learningRate(at: 4) == 1)                                         // the peak
        for t in 4...14 {
            let expected = 0.1 + 0.45 * (1 + cos(Double.pi * Double(t - 4) / 10))
            #expect(abs(s.learningRate(at: t) - expected) < 1e-15)
        }
        #expect(abs(s.learningRate(at: 9) - 0.55) < 1e-15)                         // half-way
        #expect(s.learningRate(at: 20) == 0.1)                                      // after the end
    }

    @Test("reduce on plateau: patience, factor, cooldown, minimum")
    func plateau() {
        var s = ReduceOnPlateau(mode: .min, factor: 0.5, patience: 2, cooldown: 1, minimumLearningRate: 0.2)
        var lr = 1.0
        var rates: [Double] = []
        for value in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95] {
            lr = s.update(value: value, learningRate: lr)
            rates.append(lr)
        }
        // Improvements at epochs 0 and 1; three bad epochs (2, 3, 4) exceed patience 2 → 0.5 at epoch 4;
        // epoch 5 is cooldown; bad epochs 6, 7, 8 → 0.25 at 8; cooldown 9; 10, 11 bad, not yet > 2.
        #expect(rates == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25])
        #expect(s.best == 0.9)
        var m = ReduceOnPlateau(mode: .max, factor: 0.1, patience: 0)
        #expect(m.update(value: 0.5, learningRate: 1) == 1)
        #expect(abs(m.update(value: 0.4, learningRate: 1) - 0.1) < 1e-15)
    }
}
