import SynapseCore
import SynapseNN
/// The tutorial's two-layer network written once — as a forward pass — with its gradients
/// computed by ``Tensor/backward(gradient:)`` instead of by hand.
///
/// With the tutorial's settings (2-2-1, sigmoid, seed 42, learning rate 0.1) it follows the same
/// loss curve as ``Tutorial`` to about 1e-15: the test that hand-written backpropagation and
/// automatic differentiation agree. Other hidden sizes, activations and steps show what it takes
/// to actually solve XOR (`synapse demo`).
public struct AutodiffNetwork {
    /// The hidden layer's activation.
    public enum Activation: String, Sendable, CaseIterable {
        /// σ(x) = 1 / (1 + e^{−x}), as in the tutorial.
        case sigmoid
        /// tanh x: zero-centred, steeper — usually trains faster.
        case tanh
    }

    /// Input → hidden weights `[input, hidden]` (the tutorial's layout), requiring gradients.
    public let W1: Tensor<Double>
    /// Hidden biases `[1, hidden]`.
    public let b1: Tensor<Double>
    /// Hidden → output weights `[hidden, output]`.
    public let W2: Tensor<Double>
    /// Output biases `[1, output]`.
    public let b2: Tensor<Double>
    /// The hidden activation (the output is always a sigmoid).
    public let activation: Activation

    /// The parameters, in the tutorial's order.
    public var parameters: [Tensor<Double>] { [W1, b1, W2, b2] }

    /// Initialises exactly as the tutorial's `initialize_network`: `seed(seed)`, `W1 = randn(in, hidden)`,
    /// `W2 = randn(hidden, out)`, zero biases.
    public init(inputSize: Int, hiddenSize: Int, outputSize: Int, activation: Activation = .sigmoid, seed: UInt32 = 42) {
        var generator = RandomGenerator(seed: seed)
        W1 = Tensor(randomNormal: [inputSize, hiddenSize], generator: &generator, requiresGrad: true)
        b1 = Tensor(zeros: [1, hiddenSize], requiresGrad: true)
        W2 = Tensor(randomNormal: [hiddenSize, outputSize], generator: &generator, requiresGrad: true)
        b2 = Tensor(zeros: [1, outputSize], requiresGrad: true)
        self.activation = activation
    }

    /// The forward pass: `σ(act(X·W1 + b1)·W2 + b2)`.
    public func callAsFunction(_ X: Tensor<Double>) -> Tensor<Double> {
        let z1 = matmul(X, W1) + b1
        let a1 = activation == .sigmoid ? sigmoid(z1) : tanh(z1)
        return sigmoid(matmul(a1, W2) + b2)
    }

    /// One full-batch gradient-descent step on ½·Σ(y − ŷ)² (the objective the tutorial's update
    /// descends); returns the mean squared error before the step (the number the tutorial prints).
    @discardableResult
    public func step(_ X: Tensor<Double>, _ y: Tensor<Double>, learningRate: Double) -> Double {
        let error = y - self(X)
        let objective = 0.5 * error.squared().sum()
        for p in parameters { p.zeroGrad() }
        objective.backward()
        withoutGradients {
            for p in parameters { if let g = p.grad { p -= learningRate * g } }
        }
        return withoutGradients { error.squared().mean().scalar }
    }

    /// Trains for `epochs` full-batch steps, calling `log(epoch, loss)` every `logEvery` epochs.
    /// Returns the mean squared error of every epoch.
    @discardableResult
    public func train(_ X: Tensor<Double>, _ y: Tensor<Double>, epochs: Int, learningRate: Double,
                      logEvery: Int = 100, log: ((Int, Double) -> Void)? = nil) -> [Double] {
        var losses: [Double] = []
        losses.reserveCapacity(epochs)
        for epoch in 0..<epochs {
            let loss = step(X, y, learningRate: learningRate)
            losses.append(loss)
            if let log, epoch % logEvery == 0 { log(epoch, loss) }
        }
        return losses
    }
}
