import Foundation
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

/// The README's `fit` example, verbatim between the markers.
@Test("the README's training example reaches ≥ 96 % on the digits")
func readmeTrainingExample() throws {
    let digitsPath = Shared.directory.appendingPathComponent("data/digits/digits.csv.gz").path
    // README training example begins
    let table = try CSVTable.read(digitsPath)                  // 1 797 rows: 64 pixels, then the label
    let (train, test) = try table.numericDataset(targetColumn: 64, as: Float.self).split(heldOutFraction: 0.2, seed: 42)
    var rng = RandomGenerator(seed: 42)
    let network = Sequential<Float>([Dense(inputSize: 64, outputSize: 64, generator: &rng), Activation(.relu),
                                     Dense(inputSize: 64, outputSize: 10, generator: &rng)])
    let model = Model(network, task: .classification(classes: 10), scaling: .standard)
    let history = try model.fit(train, optimizer: Adam(parameters: model.parameters, learningRate: 1e-3),
                                epochs: 40, batchSize: 32, validation: .split(0.1),
                                callbacks: [EarlyStopping(monitor: "val_loss", patience: 5)], seed: 42)
    print(history.epochs.count, model.evaluate(test).accuracy!)  // 40 0.977…
    // README training example ends
    #expect(model.evaluate(test).accuracy! >= 0.96)
}

/// The README's two examples are the code the tests above run: each README block, line by line
/// (indentation aside), is the code between a test's markers (the training example's first
/// README line, which sets the path relative to the repository, aside).
@Test("README.md shows the examples these tests run, verbatim")
func readmeExamplesAreVerbatim() throws {
    let here = URL(fileURLWithPath: #filePath)
    let repository = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
    let tests = try String(contentsOf: here, encoding: .utf8)
    func lines(_ text: some StringProtocol) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    /// The lines between `// NAME begins` and `// NAME ends` in this file.
    func marked(_ name: String) throws -> [String] {
        let all = lines(tests)
        let start = try #require(all.firstIndex(of: "// \(name) begins")), end = try #require(all.firstIndex(of: "// \(name) ends"))
        return Array(all[(start + 1)..<end])
    }
    /// README's ```swift blocks.
    let blocks = readme.components(separatedBy: "```swift").dropFirst().map { lines($0.components(separatedBy: "```")[0]) }
    let xor = try #require(blocks.first { $0.contains("loss.backward()                                      // gradients by reverse-mode autodiff") })
    #expect(Array(xor.drop { $0 == "import Synapse" }) == (try marked("README example")))
    let digits = try #require(blocks.first { $0.contains { $0.hasPrefix("let table = try CSVTable.read(digitsPath)") } })
    #expect(digits.first?.hasPrefix("let digitsPath = \"../shared/data/digits/digits.csv.gz\"") == true)
    #expect(Array(digits.dropFirst()) == (try marked("README training example")))
}
