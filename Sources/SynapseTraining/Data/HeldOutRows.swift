import SynapseCore
import SynapseNN

/// The rows of a table a training run holds out for validation (``Dataset/splitIndices(count:heldOutFraction:seed:)``
/// on the rows loaded), described before the table is read: the fraction is decided by the number
/// of rows (``TrainingDefaults/heldOutFraction(rows:given:)``).
public struct HeldOutRows: Sendable, Equatable {
    /// The validation split asked for; nil: the default for the number of rows.
    public var fraction: Double?
    /// The seed of the split's permutation (the run's seed).
    public var seed: UInt32

    /// Rows held out with `fraction` (nil: the default) and the permutation of `seed`.
    public init(fraction: Double?, seed: UInt32) {
        self.fraction = fraction
        self.seed = seed
    }

    /// For each of `rows` rows, whether it is held out; nil when none is.
    public func mask(rows: Int) -> [Bool]? {
        let fraction = TrainingDefaults.heldOutFraction(rows: rows, given: self.fraction)
        guard fraction > 0 && fraction < 1 && rows >= 2 else { return nil }
        var mask = [Bool](repeating: false, count: rows)
        for row in Dataset<Float>.splitIndices(count: rows, heldOutFraction: fraction, seed: seed).heldOut { mask[row] = true }
        return mask
    }
}
