import SynapseCore
import SynapseNN
/// Features and targets with one row per example: what `fit` trains on.
///
/// `features` is `[N, …]`; `targets` is `[N]` of class indices (stored as floating-point values)
/// for classification, or `[N, outputs]` for regression. Both share the first dimension.
public struct Dataset<Scalar: TensorScalar> {
    /// The inputs, one example per row.
    public var features: Tensor<Scalar>
    /// The targets, one per row.
    public var targets: Tensor<Scalar>

    /// A dataset from matching features and targets.
    ///
    /// - Precondition: both have the same number of rows.
    public init(features: Tensor<Scalar>, targets: Tensor<Scalar>) {
        precondition(features.rank >= 1 && targets.rank >= 1 && features.shape[0] == targets.shape[0],
                     "features \(features.shape) and targets \(targets.shape) must have the same number of rows")
        self.features = features
        self.targets = targets
    }

    /// A dataset from a reader's features and targets, checked as data from a file must be: at
    /// least one row, at least one feature value per row (a `[20, 0]` array would reach the first
    /// layer as a zero-sized input), and as many targets as rows.
    ///
    /// - Throws: ``DataError`` naming `path` when a check fails.
    public init(checkedFeatures features: Tensor<Scalar>, targets: Tensor<Scalar>, path: String) throws {
        guard features.rank >= 1, features.shape[0] > 0 else {
            throw DataError(path: path, "no rows to learn from: features of shape \(features.shape)")
        }
        guard features.rank >= 2, features.shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw DataError(path: path, "no feature values: features of shape \(features.shape)")
        }
        guard targets.rank >= 1, targets.shape[0] == features.shape[0] else {
            throw DataError(path: path, "\(features.shape[0]) rows of features but targets of shape \(targets.shape)")
        }
        self.init(features: features, targets: targets)
    }

    /// The number of examples.
    public var count: Int { features.shape[0] }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        withoutGradients { Dataset(features: features.gatheringRows(indices), targets: targets.gatheringRows(indices)) }
    }

    /// Splits off a fraction of the examples, shuffled with `seed` (NumPy's `permutation`):
    /// `(train, held out)`, with `heldOutFraction` of the rows (rounded) in the second part.
    public func split(heldOutFraction: Double, seed: UInt32) -> (train: Dataset, heldOut: Dataset) {
        let (train, heldOut) = Self.splitIndices(count: count, heldOutFraction: heldOutFraction, seed: seed)
        return (subset(train), subset(heldOut))
    }

    /// The rows ``split(heldOutFraction:seed:)`` puts in each part, for `count` rows: the held-out
    /// rows are the first `heldOutFraction · count` (rounded, at least 1 and at most `count − 1`)
    /// of a permutation drawn with `seed`. A CSV loader uses it to fit a ``FeatureEncoding`` on
    /// the training rows only (``HeldOutRows``).
    public static func splitIndices(count: Int, heldOutFraction: Double, seed: UInt32) -> (train: [Int], heldOut: [Int]) {
        precondition(heldOutFraction > 0 && heldOutFraction < 1, "the held-out fraction must be in (0, 1), got \(heldOutFraction)")
        precondition(count >= 2, "a split needs at least 2 rows, got \(count)")
        var generator = RandomGenerator(seed: seed)
        let order = generator.permutation(count)
        let heldOutCount = Swift.max(1, Swift.min(count - 1, Int((Double(count) * heldOutFraction).rounded())))
        return (Array(order[heldOutCount...]), Array(order[..<heldOutCount]))
    }

    /// Mini-batches of `batchSize` rows in order (first-axis views: no copies); `dropLast`
    /// omits a final incomplete batch.
    public func batches(size batchSize: Int, dropLast: Bool = false) -> Batches<Scalar> {
        Batches(dataset: self, size: batchSize, order: nil, dropLast: dropLast)
    }

    /// Mini-batches of `batchSize` rows in a shuffled order: one permutation per call drawn from
    /// `generator` (NumPy's `permutation`), so epochs differ but a seed reproduces them all.
    /// Each batch's rows are gathered when the batch is accessed, so only one batch is in memory
    /// at a time.
    public func batches(size batchSize: Int, shuffledBy generator: inout RandomGenerator, dropLast: Bool = false) -> Batches<Scalar> {
        Batches(dataset: self, size: batchSize, order: generator.permutation(count), dropLast: dropLast)
    }

    /// The targets as class indices (for classification).
    public var labels: [Int] { targets.integerScalars }
}

/// The mini-batches of a ``Dataset``, made on access: views of consecutive rows, or rows gathered
/// in a shuffled order.
public struct Batches<Scalar: TensorScalar>: RandomAccessCollection {
    let dataset: Dataset<Scalar>
    let size: Int
    let order: [Int]?
    /// The number of batches.
    public let endIndex: Int

    init(dataset: Dataset<Scalar>, size: Int, order: [Int]?, dropLast: Bool) {
        precondition(size > 0, "batch size must be positive, got \(size)")
        self.dataset = dataset
        self.size = size
        self.order = order
        endIndex = dropLast ? dataset.count / size : (dataset.count + size - 1) / size
    }

    /// The first batch's index, 0.
    public var startIndex: Int { 0 }

    /// Batch `index`: rows `index·size ..< (index + 1)·size` of the (shuffled) order.
    public subscript(index: Int) -> Dataset<Scalar> {
        precondition(index >= 0 && index < endIndex, "batch \(index) out of range 0..<\(endIndex)")
        let start = index * size, end = Swift.min(start + size, dataset.count)
        if let order { return dataset.subset(Array(order[start..<end])) }
        return Dataset(features: dataset.features.rows(start..<end), targets: dataset.targets.rows(start..<end))
    }
}
