import SynapseCore
import SynapseNN
/// The tutorial "Implementing a Neural Network from Scratch in Python", ported step by step.
///
/// Each function here is one of the tutorial's nine steps, with the same algorithm, in `Double`
/// (NumPy's float64), on ``Tensor`` — deliberately plain, so it reads beside the Python. The
/// network keeps the tutorial's layout (`W1` is `[input, hidden]`, used as `X · W1`); the library's
/// layers use PyTorch's `[out, in]` instead.
///
/// With the tutorial's settings (seed 42, 2-2-1, 10 000 epochs, learning rate 0.1) the XOR network
/// does **not** solve XOR: it stalls near loss 0.128 with predictions ≈ 0.05, 0.50, 0.95, 0.50, exactly
/// as NumPy does (`synapse demo seed` prints the same numbers as the Python program).
public enum Tutorial {
    /// Step 2's network: two weight matrices and two bias rows (the tutorial's dictionary).
    public struct Network {
        /// Input → hidden weights, `[inputSize, hiddenSize]`.
        public var W1: Tensor<Double>
        /// Hidden biases, `[1, hiddenSize]`.
        public var b1: Tensor<Double>
        /// Hidden → output weights, `[hiddenSize, outputSize]`.
        public var W2: Tensor<Double>
        /// Output biases, `[1, outputSize]`.
        public var b2: Tensor<Double>

        /// A network from explicit parameters.
        public init(W1: Tensor<Double>, b1: Tensor<Double>, W2: Tensor<Double>, b2: Tensor<Double>) {
            self.W1 = W1; self.b1 = b1; self.W2 = W2; self.b2 = b2
        }
    }

    /// Step 4's cache: the intermediate values of a forward pass, `(z1, a1, z2, a2)`.
    public typealias Cache = (z1: Tensor<Double>, a1: Tensor<Double>, z2: Tensor<Double>, a2: Tensor<Double>)

    /// Step 6's gradients `(dW1, db1, dW2, db2)`.
    public struct Gradients {
        /// Gradient step for `W1`.
        public var dW1: Tensor<Double>
        /// Gradient step for `b1`.
        public var db1: Tensor<Double>
        /// Gradient step for `W2`.
        public var dW2: Tensor<Double>
        /// Gradient step for `b2`.
        public var db2: Tensor<Double>
    }

    /// Step 2, `initialize_network`: reseeds the NumPy-compatible generator with 42 (as the tutorial's
    /// `np.random.seed(42)` does on every call), then draws `W1 = randn(input, hidden)` and
    /// `W2 = randn(hidden, output)` in that order; biases start at zero.
    public static func initializeNetwork(inputSize: Int, hiddenSize: Int, outputSize: Int) -> Network {
        var generator = RandomGenerator(seed: 42)
        let W1 = Tensor<Double>(randomNormal: [inputSize, hiddenSize], generator: &generator)
        let b1 = Tensor<Double>(zeros: [1, hiddenSize])
        let W2 = Tensor<Double>(randomNormal: [hiddenSize, outputSize], generator: &generator)
        let b2 = Tensor<Double>(zeros: [1, outputSize])
        return Network(W1: W1, b1: b1, W2: W2, b2: b2)
    }

    /// Step 3, `sigmoid`: σ(x) = 1 / (1 + e^{−x}), written as the tutorial writes it (the library's
    /// ``sigmoid(_:)`` is the overflow-free version).
    public static func sigmoid(_ x: Tensor<Double>) -> Tensor<Double> {
        1 / (1 + exp(-x))
    }

    /// Step 3, `sigmoid_derivative`. Quirk: it expects **σ(x), not x** — it returns `s · (1 − s)`,
    /// which is σ'(x) only when called with `s = σ(x)`, as step 6 does with `a1` and `a2`.
    public static func sigmoidDerivative(_ s: Tensor<Double>) -> Tensor<Double> {
        s * (1 - s)
    }

    /// Step 4, `forward_propagation`: `z1 = X·W1 + b1`, `a1 = σ(z1)`, `z2 = a1·W2 + b2`, `a2 = σ(z2)`.
    public static func forwardPropagation(_ network: Network, _ X: Tensor<Double>) -> (Tensor<Double>, Cache) {
        let z1 = matmul(X, network.W1) + network.b1
        let a1 = sigmoid(z1)
        let z2 = matmul(a1, network.W2) + network.b2
        let a2 = sigmoid(z2)
        return (a2, (z1, a1, z2, a2))
    }

    /// Step 5, `compute_loss`: the mean squared error `mean((y − ŷ)²)`. Quirk: this is what is
    /// printed, but the gradients of step 6 descend ½·Σ(y − ŷ)² — the same direction, a 2/n smaller step.
    public static func computeLoss(_ yTrue: Tensor<Double>, _ yPred: Tensor<Double>) -> Double {
        pow(yTrue - yPred, 2).mean().scalar
    }

    /// Step 6, `backward_propagation`. Quirk: the "gradients" point **downhill**: the output error is
    /// `y − a2` (not `a2 − y`), so they are −∂(½·Σ(y − a2)²)/∂θ and step 7 *adds* them.
    public static func backwardPropagation(_ network: Network, _ cache: Cache, _ X: Tensor<Double>, _ y: Tensor<Double>) -> Gradients {
        let (_, a1, _, a2) = cache
        // Output layer error
        let outputError = y - a2
        let outputDelta = outputError * sigmoidDerivative(a2)
        // Hidden layer error
        let hiddenError = matmul(outputDelta, network.W2, transposeB: true)   // np.dot(output_delta, W2.T)
        let hiddenDelta = hiddenError * sigmoidDerivative(a1)
        // Gradient for W2 and b2
        let dW2 = matmul(a1, outputDelta, transposeA: true)                   // np.dot(a1.T, output_delta)
        let db2 = outputDelta.sum(axis: 0, keepDims: true)
        // Gradient for W1 and b1
        let dW1 = matmul(X, hiddenDelta, transposeA: true)                    // np.dot(X.T, hidden_delta)
        let db1 = hiddenDelta.sum(axis: 0, keepDims: true)
        return Gradients(dW1: dW1, db1: db1, dW2: dW2, db2: db2)
    }

    /// Step 7, `update_parameters`: `θ += learningRate · dθ` in place (the tutorial's `+=`; see the
    /// sign quirk in ``backwardPropagation(_:_:_:_:)``).
    public static func updateParameters(_ network: Network, _ gradients: Gradients, learningRate: Double) -> Network {
        network.W1 += learningRate * gradients.dW1
        network.b1 += learningRate * gradients.db1
        network.W2 += learningRate * gradients.dW2
        network.b2 += learningRate * gradients.db2
        return network
    }

    /// Step 8, `train_network`: initialise, then for each epoch forward, loss, backward, update.
    /// Every 100 epochs it reports `Epoch N, Loss: L` through `log` (the tutorial's `print`;
    /// pass `nil` to train silently, as the benchmark does).
    public static func trainNetwork(_ X: Tensor<Double>, _ y: Tensor<Double>, inputSize: Int, hiddenSize: Int,
                                    outputSize: Int, epochs: Int, learningRate: Double,
                                    log: ((String) -> Void)? = { print($0) }) -> Network {
        var network = initializeNetwork(inputSize: inputSize, hiddenSize: hiddenSize, outputSize: outputSize)
        for epoch in 0..<epochs {
            // Forward propagation
            let (yPred, cache) = forwardPropagation(network, X)
            // Compute loss
            if let log, epoch % 100 == 0 {
                log("Epoch \(epoch), Loss: \(computeLoss(y, yPred))")
            }
            // Backward propagation
            let gradients = backwardPropagation(network, cache, X, y)
            // Update parameters
            network = updateParameters(network, gradients, learningRate: learningRate)
        }
        return network
    }

    /// Step 9, `predict`: a forward pass, keeping only the output.
    public static func predict(_ network: Network, _ X: Tensor<Double>) -> Tensor<Double> {
        forwardPropagation(network, X).0
    }

    /// The tutorial's example data: the four XOR inputs `[[0,0],[0,1],[1,0],[1,1]]`.
    public static let xorInputs: [[Double]] = [[0, 0], [0, 1], [1, 0], [1, 1]]
    /// The XOR targets `[[0],[1],[1],[0]]`.
    public static let xorTargets: [[Double]] = [[0], [1], [1], [0]]

    /// Runs the tutorial's main program — XOR, 2-2-1, 10 000 epochs, learning rate 0.1 — writing
    /// exactly what the Python program prints (`Epoch …` lines, then `Predictions:` and the array
    /// in NumPy's format), and returns the trained network.
    @discardableResult
    public static func runExample(print write: @escaping (String) -> Void = { print($0) }) -> Network {
        let X = Tensor<Double>(xorInputs)
        let y = Tensor<Double>(xorTargets)
        let trained = trainNetwork(X, y, inputSize: 2, hiddenSize: 2, outputSize: 1, epochs: 10_000,
                                   learningRate: 0.1, log: write)
        let predictions = predict(trained, X)
        write("Predictions: \n\(NumPyFormat.array(predictions))")
        return trained
    }
}
