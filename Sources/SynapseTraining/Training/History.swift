import SynapseCore
import SynapseNN
/// What happened in one epoch of `fit`.
public struct EpochLog: Sendable, Equatable, Codable {
    /// 0-based epoch index.
    public var epoch: Int
    /// Mean training loss over the epoch's batches.
    public var loss: Double
    /// Loss on the validation data, when there is any.
    public var validationLoss: Double?
    /// Metrics by name (`accuracy`, `f1`, `r2`, …): on the validation data when there is any,
    /// otherwise running metrics over the epoch's training batches as they were trained (Keras's way).
    public var metrics: [String: Double]
    /// The learning rate used during the epoch.
    public var learningRate: Double
    /// Wall-clock seconds the epoch took.
    public var seconds: Double

    /// The value a callback monitors by name: `loss`, `val_loss`, a metric name, or a metric name
    /// with the `val_` prefix (`val_accuracy`: the metric, when it was measured on validation data).
    public func value(of name: String) -> Double? {
        switch name {
        case "loss": return loss
        case "val_loss": return validationLoss
        default:
            if let metric = metrics[name] { return metric }
            return name.hasPrefix("val_") && validationLoss != nil ? metrics[String(name.dropFirst(4))] : nil
        }
    }
}

/// The per-epoch record of a `fit` call (Keras's `History`).
public struct History: Sendable, Equatable, Codable {
    /// One entry per completed epoch.
    public var epochs: [EpochLog] = []
    /// Why training ended early (early stopping, a callback), if it did.
    public var stopReason: String?
    /// The 0-based epoch early stopping judged best (whose weights the model keeps when it restores
    /// the best weights); nil when no early stopping watched the run.
    public var bestEpoch: Int?

    /// The training loss of every epoch.
    public var losses: [Double] { epochs.map(\.loss) }
    /// The validation loss of every epoch (where there was validation data).
    public var validationLosses: [Double] { epochs.compactMap(\.validationLoss) }
}

/// A report `fit` sends to its progress hook after each batch and at the end of each epoch;
/// the command line turns these into a progress bar.
public struct TrainingProgress: Sendable {
    /// 0-based epoch, and how many epochs were asked for.
    public var epoch: Int, epochs: Int
    /// Batches done in this epoch, and how many there are.
    public var batch: Int, batches: Int
    /// Examples processed in this epoch.
    public var samples: Int
    /// The mean loss of this epoch's batches so far.
    public var loss: Double
    /// Seconds since the epoch started.
    public var elapsed: Double
    /// The finished epoch's log (only in the report sent at the end of an epoch).
    public var epochLog: EpochLog?
    /// The accuracy of this epoch's batches so far, as they were trained (a classifier's or a
    /// language model's, whose tokens count one by one); nil for a regression.
    public var accuracy: Double? = nil

    /// Examples per second in this epoch so far.
    public var samplesPerSecond: Double { elapsed > 0 ? Double(samples) / elapsed : 0 }
    /// Estimated seconds left in this epoch.
    public var secondsRemaining: Double { batch > 0 ? elapsed / Double(batch) * Double(batches - batch) : 0 }
}
