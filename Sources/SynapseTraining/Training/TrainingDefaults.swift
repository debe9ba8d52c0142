import SynapseCore
import SynapseNN
/// Settings that train well without tuning, as `synapse train` applies them when not told otherwise.
///
/// A run with `--epochs auto` (the default) trains until the monitored value
/// (``monitor(classification:validates:)``) has not improved by more than ``tolerance`` for
/// ``patience`` epochs — scikit-learn's `tol` and `n_iter_no_change` — keeping the best epoch's
/// weights, and stops at ``maximumAutoEpochs`` at the latest (the command line then warns that the
/// run did not converge). Small data sets (fewer than ``smallDataRows`` rows) hold nothing out:
/// the run watches the training loss, so that every row trains the model (``validationSplit(rows:)``).
public enum TrainingDefaults {
    /// The most epochs `--epochs auto` trains: 1 000.
    public static let maximumAutoEpochs = 1000
    /// The smallest change of the monitored value that counts as an improvement: 1e-4 (scikit-learn's `tol`).
    public static let tolerance = 1e-4
    /// Epochs without an improvement before stopping: 10 (scikit-learn's `n_iter_no_change`).
    public static let patience = 10
    /// Data sets with fewer rows than this (1 000) hold no validation rows by default.
    public static let smallDataRows = 1000

    /// The fraction of the rows held out for validation by default: 0 below ``smallDataRows`` rows
    /// (measured on scikit-learn's small data sets, holding out 10 % cost accuracy: README,
    /// "Defaults against scikit-learn"), else 0.1.
    public static func validationSplit(rows: Int) -> Double { rows < smallDataRows ? 0 : 0.1 }

    /// The fewest rows a run holds validation rows out of: 10.
    public static let minimumValidationRows = 10

    /// The fraction of `rows` a run holds out for validation: `given` (`--validation-split`) or
    /// ``validationSplit(rows:)``, and 0 (nothing held out) below ``minimumValidationRows`` rows.
    public static func heldOutFraction(rows: Int, given: Double?) -> Double {
        rows < minimumValidationRows ? 0 : given ?? validationSplit(rows: rows)
    }

    /// The values early stopping can watch, by their `EpochLog` names.
    public static let monitors = ["val_loss", "val_accuracy", "loss"]

    /// The value early stopping watches by default: `val_loss` with validation data, else the
    /// training `loss` — for classifiers too. Measured (README, "Defaults against scikit-learn"):
    /// watching `val_accuracy` stopped too early where the validation set is small, as accuracy
    /// moves in steps of one row (digits 96.5 % against 97.6 % with `val_loss`; iris and wine with
    /// 10 % held out: 84 % and 83 % against 98 % and 99 %). On large validation sets (MNIST's 6 000
    /// rows) a classifier's validation loss can rise while its accuracy still improves: choose
    /// `val_accuracy` there (`synapse train --monitor val_accuracy`). `classification` is kept for
    /// rules that depend on the task.
    public static func monitor(classification: Bool, validates: Bool) -> String {
        validates ? "val_loss" : "loss"
    }

    /// Whether larger values of `monitor` are better (`accuracy`, `f1`, `precision`, `recall`, `r2`,
    /// with or without the `val_` prefix); losses are minimised.
    public static func maximizes(_ monitor: String) -> Bool {
        let name = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
        return ["accuracy", "f1", "precision", "recall", "r2"].contains(name)
    }

    /// The default feature scaling: `global` (one mean and deviation over all pixels) for images, as
    /// per-pixel standardisation is worse there (MNIST, 100 hidden units: 97.27 % against 97.50 %),
    /// else `standard`.
    public static func scaling(images: Bool) -> FeatureScaling.Method { images ? .global : .standard }
}
