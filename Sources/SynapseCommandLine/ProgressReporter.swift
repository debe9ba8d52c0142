import Foundation
import Synapse

/// Turns `fit`'s progress reports into a bar on stderr when it is a terminal (batches, loss,
/// samples/s, ETA, redrawn in place), or one plain line per epoch otherwise. Quiet prints nothing.
final class ProgressReporter {
    private let quiet: Bool
    private let interactive: Bool
    private var lastDraw = 0.0
    private let invocation: Invocation

    /// A reporter on `invocation`'s standard error.
    init(quiet: Bool, in invocation: Invocation) {
        self.quiet = quiet
        self.invocation = invocation
        interactive = invocation.isInteractive
    }

    /// Reports one `fit` progress event.
    func report(_ progress: TrainingProgress) {
        guard !quiet else { return }
        if let log = progress.epochLog {
            if interactive { write("\r\u{1B}[2K") }
            write(Self.epochLine(log, epochs: progress.epochs) + "\n")
            return
        }
        guard interactive else { return }
        // Redraw at most 20 times a second.
        let now = Date().timeIntervalSinceReferenceDate
        guard now - lastDraw > 0.05 || progress.batch == progress.batches else { return }
        lastDraw = now
        let width = 24
        let filled = progress.batches > 0 ? width * progress.batch / progress.batches : width
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : "")
        let line = String(format: "\r\u{1B}[2Kepoch %d/%d [%@] %d/%d  loss %.4f  %.0f samples/s  ETA %.0fs",
                          progress.epoch + 1, progress.epochs, bar, progress.batch, progress.batches, progress.loss,
                          progress.samplesPerSecond, progress.secondsRemaining)
        write(line)
    }

    /// `epoch 3/20  loss 0.1234  val_loss 0.2345  val_accuracy 0.9500  (0.12 s)`.
    static func epochLine(_ log: EpochLog, epochs: Int) -> String {
        let prefix = log.validationLoss == nil ? "" : "val_"
        let shown = ["accuracy", "f1", "r2", "mae", "bpc"].compactMap { name in log.metrics[name].map { String(format: "  %@%@ %.4f", prefix, name, $0) } }
        let validation = log.validationLoss.map { String(format: "  val_loss %.4f", $0) } ?? ""
        return String(format: "epoch %d/%d  loss %.4f", log.epoch + 1, epochs, log.loss) + validation + shown.joined()
            + String(format: "  (%.2f s)", log.seconds)
    }

    private func write(_ text: String) { invocation.writeError(text) }
}
