import Foundation
import Synapse

/// A checkpoint given to `train --resume`: its model and training state, and how the settings it
/// stores become the resumed run's. The same for a table of features and a language model; the
/// training itself continues in the library (`fit` / `fitLanguageModel` with `resumingFrom:`).
struct ResumedRun {
    /// The checkpoint, as given.
    let path: CommandPath
    /// Its model: network and weights (a language model's vocabulary and block size too).
    let model: Model<Float>
    /// Everything else the run needs to continue: optimizer, generators, callbacks, history, settings.
    let state: TrainingState

    /// The checkpoint at `path`, for a run of a language model (`languageModel`) or of a table.
    /// Exit 1 naming the file when it is not a checkpoint, or when it is the other kind's.
    static func load(_ path: CommandPath, languageModel: Bool, in invocation: Invocation) throws -> ResumedRun {
        let (model, state): (Model<Float>, TrainingState)
        do { (model, state) = try Model<Float>.loadCheckpoint(from: path.location) } catch let error as DataError {
            throw CommandLineError.failure(error.description)
        }
        model.warnings.forEach(invocation.warn)
        var isLanguageModel = false
        if case .languageModel = model.task { isLanguageModel = true }
        if isLanguageModel, !languageModel {
            throw CommandLineError.failure("\(path): the checkpoint of a language model; resume it with '--task language-model' and its text as '--data'")
        }
        if !isLanguageModel, languageModel {
            throw CommandLineError.failure("\(path): not the checkpoint of a language model (its task is \(model.task)); resume it without '--task language-model'")
        }
        return ResumedRun(path: path, model: model, state: state)
    }

    /// Makes the stored settings of the run the resumed run's, as `options`: a stored key outside
    /// `storable` is exit 1, and so is a stored value that `check` (reading settings as their flags
    /// would be) refuses; a command-line value that differs from a stored one is exit 2
    /// (``Arguments/adopt(stored:compared:flags:changeable:source:command:)``), except for the `changeable` options.
    /// `implied` holds settings that the checkpoint's model fixes (a language model's block size),
    /// taken when the stored settings lack them; `compared` (with `flags`) what a setting the run did
    /// not store is checked against (see ``Arguments/adopt(stored:compared:flags:changeable:source:command:)``).
    /// `--epochs` defaults to the run's planned total and `--checkpoint` to this file.
    func adoptSettings(into options: inout Arguments, storable: Set<String>, changeable: Set<String>, implied: [String: String] = [:],
                       compared: [String: (value: String, note: String)] = [:], flags: Set<String> = [],
                       check: (Arguments) throws -> Void) throws {
        var stored = state.configuration
        stored.removeValue(forKey: "arch")   // older checkpoints stored the architecture file's path; the checkpoint holds the network
        if let unknown = stored.keys.sorted().first(where: { !storable.contains($0) }) {
            throw CommandLineError.failure("\(path): the checkpoint's settings hold '\(Excerpt.of(unknown))', which is not a setting a run stores")
        }
        stored.merge(implied) { storedValue, _ in storedValue }
        do { try check(Arguments(options: stored)) } catch let error as CommandLineError {
            if case .usage(let message, _) = error { throw CommandLineError.failure("\(path): a stored setting is not valid: \(message)") }
            throw error
        }
        try options.adopt(stored: stored, compared: compared, flags: flags.intersection(storable), changeable: changeable, source: path.given, command: "train")
        if options.string("epochs") == nil, let total = stored["planned-epochs"] { options.set("epochs", total) }
        if options.string("checkpoint") == nil { options.set("checkpoint", path.given) }   // the resumed run goes on checkpointing there
    }
}
