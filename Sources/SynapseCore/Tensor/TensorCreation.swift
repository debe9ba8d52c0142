/// Creating tensors: from Swift arrays, constants, and NumPy-compatible random streams.
extension Tensor {
    /// A tensor of the given shape holding `scalars` in row-major order.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public convenience init(shape: [Int], scalars: [Scalar], requiresGrad: Bool = false) {
        self.init(uninitializedShape: shape)
        precondition(scalars.count == count, "shape \(shape) needs \(count) scalars, got \(scalars.count)")
        if count > 0 { scalars.withUnsafeBufferPointer { data.initialize(from: $0.baseAddress!, count: count) } }
        self.requiresGrad = requiresGrad
    }

    /// A rank-0 tensor holding one value.
    public convenience init(_ value: Scalar, requiresGrad: Bool = false) {
        self.init(uninitializedShape: [])
        data[0] = value
        self.requiresGrad = requiresGrad
    }

    /// A rank-1 tensor holding `scalars`.
    public convenience init(_ scalars: [Scalar], requiresGrad: Bool = false) {
        self.init(shape: [scalars.count], scalars: scalars, requiresGrad: requiresGrad)
    }

    /// A rank-2 tensor from rows of equal length (`Tensor([[0, 0], [0, 1]])`).
    public convenience init(_ rows: [[Scalar]], requiresGrad: Bool = false) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "all rows must have the same length")
        self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 }, requiresGrad: requiresGrad)
    }

    /// A tensor of the given shape with every element equal to `value`.
    public convenience init(repeating value: Scalar, shape: [Int], requiresGrad: Bool = false) {
        self.init(uninitializedShape: shape)
        data.initialize(repeating: value, count: count)
        self.requiresGrad = requiresGrad
    }

    /// A tensor of zeros (`np.zeros`).
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(repeating: 0, shape: shape, requiresGrad: requiresGrad)
    }

    /// A tensor of ones (`np.ones`).
    public convenience init(ones shape: [Int], requiresGrad: Bool = false) {
        self.init(repeating: 1, shape: shape, requiresGrad: requiresGrad)
    }

    /// A tensor of zeros with the shape of `other`.
    public convenience init(zerosLike other: Tensor) {
        self.init(repeating: 0, shape: other.shape)
    }

    /// Normal draws `mean + standardDeviation · randn()` from `generator`, in the order NumPy draws
    /// them: with `RandomGenerator(seed: 42)`, `Tensor<Double>(randomNormal: [2, 2], generator: &g)`
    /// equals `np.random.seed(42); np.random.randn(2, 2)` bit for bit (Float: the same values rounded).
    public convenience init(randomNormal shape: [Int], mean: Double = 0, standardDeviation: Double = 1,
                            generator: inout RandomGenerator, requiresGrad: Bool = false) {
        self.init(uninitializedShape: shape)
        Scalar.fillNormal(UnsafeMutableBufferPointer(start: data, count: count), mean: mean,
                          standardDeviation: standardDeviation, generator: &generator)
        self.requiresGrad = requiresGrad
    }

    /// Uniform draws in `[low, high)` from `generator`, as `np.random.uniform(low, high, shape)`.
    public convenience init(randomUniform shape: [Int], low: Double = 0, high: Double = 1,
                            generator: inout RandomGenerator, requiresGrad: Bool = false) {
        self.init(uninitializedShape: shape)
        Scalar.fillUniform(UnsafeMutableBufferPointer(start: data, count: count), low: low, high: high,
                           generator: &generator)
        self.requiresGrad = requiresGrad
    }

    /// `count` evenly spaced values `start, start + step, …` (`np.arange`), as a rank-1 tensor.
    public convenience init(rangeFrom start: Scalar, count: Int, step: Scalar = 1) {
        self.init(uninitializedShape: [count])
        for i in 0..<count { data[i] = start + Scalar(i) * step }
    }
}
