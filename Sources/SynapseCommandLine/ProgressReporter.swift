import Foundation
import Synapse

/// Turns `fit`'s progress reports into a bar on stderr when it is a terminal (epoch, batches,
/// running loss and accuracy, samples/s, the epoch's and the whole run's ETA, redrawn in place and
/// never wider than the terminal), or one plain line per epoch otherwise. Quiet prints nothing.
final class ProgressReporter {
    private let quiet: Bool
    private let interactive: Bool
    private var lastDraw = 0.0
    private let invocation: Invocation
    private let columns: () -> Int
    /// Seconds of each epoch completed in this invocation, for the whole run's ETA.
    private var epochSeconds: [Double] = []

    /// A reporter on `invocation`'s standard error; `columns` gives the terminal's width (by default
    /// ``terminalColumns(for:)``, asked at every redraw, so that a resized terminal is followed).
    init(quiet: Bool, in invocation: Invocation, columns: (() -> Int)? = nil) {
        self.quiet = quiet
        self.invocation = invocation
        interactive = invocation.isInteractive
        self.columns = columns ?? { ProgressReporter.terminalColumns(for: invocation) }
    }

    /// Reports one `fit` progress event.
    func report(_ progress: TrainingProgress) {
        guard !quiet else { return }
        if let log = progress.epochLog {
            epochSeconds.append(log.seconds)
            let line = Self.epochLine(log, epochs: progress.epochs)
            // On a terminal: clear the bar, and break the line where it would wrap (between fields).
            write(interactive ? "\r\u{1B}[K" + Self.wrapped(line, width: columns()).joined(separator: "\n") + "\n" : line + "\n")
            return
        }
        guard interactive else { return }
        // Redraw at most 20 times a second.
        let now = Date().timeIntervalSinceReferenceDate
        guard now - lastDraw > 0.05 || progress.batch == progress.batches else { return }
        lastDraw = now
        write("\r" + Self.barLine(progress, runSecondsRemaining: runSecondsRemaining(progress), width: columns()) + "\u{1B}[K")
    }

    /// Seconds left in the whole run: this epoch's rest, and the epochs after it at the mean length
    /// of those completed so far (this one's estimate before any). An upper bound when early stopping ends the run sooner.
    private func runSecondsRemaining(_ progress: TrainingProgress) -> Double {
        let later = Double(max(0, progress.epochs - progress.epoch - 1))
        let perEpoch = epochSeconds.isEmpty
            ? (progress.batch > 0 ? progress.elapsed / Double(progress.batch) * Double(progress.batches) : 0)
            : epochSeconds.reduce(0, +) / Double(epochSeconds.count)
        return progress.secondsRemaining + later * perEpoch
    }

    /// The bar for `progress` in at most `width - 1` columns (the last column is left free, so that
    /// no terminal wraps the line, which would leave a stale copy behind at every redraw):
    /// `epoch 3/20 [=====>     ] 120/469 loss 0.2345 acc 0.9120 5120/s ETA 4s, run 1m20s`.
    /// Narrower terminals get a shorter bar, then fewer fields (samples/s first, then the batch
    /// count, the bar, the accuracy, the epoch's ETA), and at worst the line cut short. ASCII only: one character, one column.
    static func barLine(_ progress: TrainingProgress, runSecondsRemaining: Double, width: Int) -> String {
        let room = max(0, width - 1)
        let epoch = "epoch \(progress.epoch + 1)/\(progress.epochs)"
        let batches = "\(progress.batch)/\(progress.batches)"
        let loss = "loss " + String(format: "%.4f", progress.loss)
        let accuracy = progress.accuracy.map { "acc " + String(format: "%.4f", $0) }
        let speed = String(format: "%.0f/s", progress.samplesPerSecond)
        let eta = "ETA " + duration(progress.secondsRemaining)
        let run = "run " + duration(runSecondsRemaining)
        // Fields in order, each with the rank at which it is dropped (lower goes first).
        var fields: [(text: String, rank: Int)] = [(epoch, 9), ("", 3), (batches, 2), (loss, 8)]
        if let accuracy { fields.append((accuracy, 4)) }
        fields += [(speed, 1), (eta, 5), (run, 7)]
        func line(barWidth: Int, keep: [(text: String, rank: Int)]) -> String {
            keep.map { $0.text.isEmpty ? bar(progress, width: barWidth) : $0.text }.joined(separator: " ")
        }
        var keep = fields
        while true {
            let others = line(barWidth: 0, keep: keep.filter { !$0.text.isEmpty }).count
            let hasBar = keep.contains { $0.text.isEmpty }
            let barWidth = min(30, room - others - 1 - 2)   // a space and the brackets
            if !hasBar, others <= room { return line(barWidth: 0, keep: keep) }
            if hasBar, barWidth >= 5 { return line(barWidth: barWidth, keep: keep) }
            guard let lowest = keep.indices.filter({ keep[$0].rank < 9 }).min(by: { keep[$0].rank < keep[$1].rank }) else { break }
            keep.remove(at: lowest)
        }
        return String(line(barWidth: 0, keep: keep).prefix(room))
    }

    /// `[=====>    ]` with `width` cells inside the brackets.
    private static func bar(_ progress: TrainingProgress, width: Int) -> String {
        let filled = progress.batches > 0 ? min(width, width * progress.batch / progress.batches) : width
        let head = filled < width ? ">" + String(repeating: " ", count: width - filled - 1) : ""
        return "[" + String(repeating: "=", count: filled) + head + "]"
    }

    /// `42s`, `3m05s`, `2h07m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(min(seconds.rounded(), 359_999_999))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, total % 3600 / 60)
    }

    /// `line` cut into lines of at most `width - 1` columns (at least 10) between its fields (which
    /// are separated by two spaces); a field longer than that on its own is cut.
    static func wrapped(_ line: String, width: Int) -> [String] {
        let room = max(10, width - 1)
        var lines: [String] = [], current = ""
        for field in line.components(separatedBy: "  ") where !field.isEmpty {
            if current.isEmpty { current = field } else if current.count + 2 + field.count <= room { current += "  " + field } else {
                lines.append(current)
                current = field.count + 2 <= room ? "  " + field : field   // continued lines indented when they fit
            }
        }
        lines.append(current)
        return lines.map { $0.count > room ? String($0.prefix(room)) : $0 }
    }

    /// The terminal's width in columns: standard error's (`TIOCGWINSZ`) when it is the process's
    /// and a terminal, else `$COLUMNS`, else 80.
    static func terminalColumns(for invocation: Invocation) -> Int {
        if case .process = invocation.context.standardError {
            var size = winsize()
            if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let columns = Int(text), columns > 0 { return min(columns, 10_000) }
        return 80
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
