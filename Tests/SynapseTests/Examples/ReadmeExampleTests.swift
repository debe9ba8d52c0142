import Testing
import Synapse

/// The library example of README.md, verbatim between the markers: if it stops compiling or
/// stops solving XOR, the README is wrong.
@Test("the README's library example solves XOR")
func readmeExample() {
    // README example begins
    let x = Tensor<Double>([[0, 0], [0, 1], [1, 0], [1, 1]])
    let y = Tensor<Double>([[0], [1], [1], [0]])
    var rng = RandomGenerator(seed: 42)                     // np.random.seed(42)
    let w1 = Tensor<Double>(randomNormal: [2, 4], generator: &rng, requiresGrad: true)
    let b1 = Tensor<Double>(zeros: [1, 4], requiresGrad: true)
    let w2 = Tensor<Double>(randomNormal: [4, 1], generator: &rng, requiresGrad: true)
    let b2 = Tensor<Double>(zeros: [1, 1], requiresGrad: true)
    let parameters = [w1, b1, w2, b2]
    for _ in 0..<3000 {
        let prediction = sigmoid(matmul(tanh(matmul(x, w1) + b1), w2) + b2)
        let loss = (prediction - y).squared().mean()        // forward, written once
        parameters.forEach { $0.zeroGrad() }
        loss.backward()                                      // gradients by reverse-mode autodiff
        withoutGradients { parameters.forEach { $0 -= 2.0 * $0.grad! } }
    }
    print(sigmoid(matmul(tanh(matmul(x, w1) + b1), w2) + b2))  // ≈ [[0.0], [1.0], [1.0], [0.0]]
    // README example ends
    let final = withoutGradients { sigmoid(matmul(tanh(matmul(x, w1) + b1), w2) + b2) }.scalars
    #expect(final[0] < 0.1 && final[1] > 0.9 && final[2] > 0.9 && final[3] < 0.1, "\(final)")
}
