import SynapseCore
import SynapseNN
/// A per-feature affine rescaling fitted on training data and kept with the model, so that
/// prediction applies exactly the transformation training saw: `x' = (x − shift) / scale`.
public struct FeatureScaling: Sendable, Equatable, Codable {
    /// How the statistics are chosen.
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Zero mean, unit variance per feature (scikit-learn's StandardScaler).
        case standard
        /// Each feature mapped to [0, 1] by its training minimum and maximum.
        case minMax = "minmax"
        /// One mean and one standard deviation over all features together, so every feature gets
        /// the same affine map (for images: torchvision's `Normalize(mean, std)` with the data set's statistics).
        case global
    }

    /// The method that produced these statistics.
    public let method: Method
    /// Subtracted from each feature (mean or minimum).
    public let shift: [Double]
    /// Each feature is divided by this (standard deviation or range; 1 for constant features).
    public let scale: [Double]

    /// Statistics with explicit values (e.g. loaded from a model file).
    public init(method: Method, shift: [Double], scale: [Double]) {
        precondition(shift.count == scale.count, "shift and scale must have one value per feature")
        self.method = method
        self.shift = shift
        self.scale = scale
    }

    /// Fits the statistics on the columns of `features` (`[N, F]`) — training data only.
    public init<Scalar: TensorScalar>(fitting features: Tensor<Scalar>, method: Method) {
        precondition(features.rank == 2 && features.shape[0] > 0, "scaling needs [N, F] features with N > 0, got \(features.shape)")
        let rows = features.shape[0], columns = features.shape[1]
        var sum = [Double](repeating: 0, count: columns), squares = sum
        var low = [Double](repeating: .infinity, count: columns), high = [Double](repeating: -.infinity, count: columns)
        features.withUnsafeBufferPointer { x in
            Scalar.columnStatistics(x.baseAddress!, rows: rows, columns: columns, mean: nil, sums: &sum, low: &low, high: &high)
            guard method != .minMax else { return }
            // A second pass for the variance around the mean (stable, unlike E[x²] − E[x]²).
            sum = method == .global ? [Double](repeating: sum.reduce(0, +) / Double(rows * columns), count: columns)
                                    : sum.map { $0 / Double(rows) }
            Scalar.columnStatistics(x.baseAddress!, rows: rows, columns: columns, mean: sum, sums: &squares, low: &low, high: &high)
        }
        func safe(_ value: Double) -> Double { value > 1e-12 && value.isFinite ? value : 1 }
        switch method {
        case .standard:
            self.init(method: method, shift: sum, scale: squares.map { safe(($0 / Double(rows)).squareRoot()) })
        case .global:
            let sd = safe((squares.reduce(0, +) / Double(rows * columns)).squareRoot())
            self.init(method: method, shift: sum, scale: [Double](repeating: sd, count: columns))
        case .minMax:
            self.init(method: method, shift: low, scale: zip(low, high).map { safe($1 - $0) })
        }
    }

    /// `(x − shift) / scale` column by column, as a new tensor (not recorded).
    public func apply<Scalar: TensorScalar>(_ features: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(features.rank == 2 && features.shape[1] == shift.count,
                     "scaling fitted on \(shift.count) features cannot apply to \(features.shape)")
        let rows = features.shape[0], columns = features.shape[1]
        let s = shift.map { Scalar($0) }, inverse = scale.map { Scalar(1 / $0) }
        let result = Tensor<Scalar>(uninitializedShape: features.shape)
        features.withUnsafeBufferPointer { x in
            Scalar.affineColumns(x.baseAddress!, result.data, rows: rows, columns: columns, shift: s, factor: inverse)
        }
        return result
    }
}
