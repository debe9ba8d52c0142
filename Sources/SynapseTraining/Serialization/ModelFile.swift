import SynapseCore
import SynapseNN
import Foundation

/// Model files: safetensors with the weights under PyTorch `state_dict` names and, in
/// `__metadata__`, everything needed to rebuild the model (each value a JSON string):
///
/// | key | value |
/// |---|---|
/// | `format` | `synapse` |
/// | `format_version` | `1` |
/// | `dtype` | `float32` or `float64` |
/// | `architecture` | the ``LayerSpec`` JSON |
/// | `task` | `{"classification":{"classes":10}}` or `{"regression":{"outputs":1}}` |
/// | `class_names` | `["cat","dog"]` (when known) |
/// | `scaling` | `{"method":"standard","shift":[…],"scale":[…]}` (when fitted) |
/// | `feature_names`, `target_name`, `loss` | the data's column names and the training loss (when known) |
/// | `feature_encoding` | ``FeatureEncoding``: `{"columns":[{"name":"color","categories":["blue","red"],"fillCategory":"red"},{"name":"size","fill":2.5}],"imputation":"mean"}` (when text columns were one-hot encoded or missing values imputed) |
/// | `history` | the ``History`` of the last `fit`: per-epoch losses, metrics, best epoch; epoch times 0 (when trained; not in checkpoints) |
extension Model {
    /// The metadata value of `format`.
    public static var fileFormat: String { "synapse" }
    /// The metadata value of `format_version` this version writes and reads.
    public static var fileFormatVersion: Int { 1 }

    /// Saves weights, architecture, task, class names and scaling to a safetensors file,
    /// atomically (a crash mid-save leaves the previous file intact).
    /// - Throws: ``DataError`` if the network has a layer the format cannot describe or the file cannot be written.
    public func save(to path: String) throws {
        try save(to: path, extraMetadata: [:])
    }

    /// ``save(to:)`` with more metadata entries and tensors (a checkpoint's training state).
    func save(to path: String, extraMetadata: [String: String], extraTensors: [String: Tensor<Double>] = [:]) throws {
        let architecture: LayerSpec
        do { architecture = try LayerSpec(describing: network) } catch {
            throw DataError(path: path, String(describing: error))
        }
        // A model whose weights are NaN or ∞ predicts NaN for everything: never write one.
        for (name, tensor) in network.namedState where tensor.firstNonFiniteIndex() != nil {
            throw DataError(path: path, "the weights are not finite ('\(name)' holds NaN or ∞: training diverged — try a lower learning rate or scaled features); nothing was saved")
        }
        var metadata = [
            "format": Self.fileFormat,
            "format_version": String(Self.fileFormatVersion),
            "dtype": Scalar.dtypeName,
            "architecture": try json(architecture),
            "task": try json(task),
        ]
        if let classNames { metadata["class_names"] = try json(classNames) }
        if let featureNames { metadata["feature_names"] = try json(featureNames) }
        if let targetName { metadata["target_name"] = targetName }
        if let loss { metadata["loss"] = loss.rawValue }
        if let tokenizer { metadata["vocabulary"] = try json(tokenizer.bytes) }
        if let blockSize { metadata["block_size"] = String(blockSize) }
        if let featureEncoding { metadata["feature_encoding"] = try json(featureEncoding) }
        if let scaling { metadata["scaling"] = try json(scaling) }
        else if let scalingMethod { metadata["scaling_method"] = scalingMethod.rawValue }
        // A checkpoint's history is in its training state (this one would be an earlier fit's).
        // Epoch times are left out (0), so the same run always writes the same bytes; a history
        // holding NaN cannot be written as JSON: it is left out rather than failing the save.
        if var stored = history, extraMetadata[Self.trainingStateKey] == nil {
            for index in stored.epochs.indices { stored.epochs[index].seconds = 0 }
            if let text = try? json(stored) { metadata["history"] = text }
        }
        metadata.merge(extraMetadata) { _, extra in extra }
        var entries = Dictionary(network.namedState.map { ($0.name, SafeTensors.Entry($0.tensor)) }, uniquingKeysWith: { a, _ in a })
        for (name, tensor) in extraTensors { entries[name] = SafeTensors.Entry(tensor) }
        try SafeTensors(entries: entries, metadata: metadata).write(to: path)
    }

    /// Loads a model saved by ``save(to:)``, rebuilding its architecture from the metadata.
    /// Weights stored as the other floating-point type are converted (exact from F32 to F64).
    /// - Throws: ``DataError`` naming the file and what is wrong with it.
    public static func load(from path: String) throws -> Model<Scalar> {
        try load(SafeTensors.read(path), path: path)
    }

    /// Decodes a model file's bytes (received over a network, say) as ``load(from:)`` reads a file.
    /// - Throws: ``DataError`` naming `path` and what is wrong.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Model<Scalar> {
        try load(SafeTensors.decode(bytes, path: path), path: path)
    }

    /// The model in a decoded file with Synapse metadata (a checkpoint's training state is left
    /// aside). Every metadata field is checked — with checked arithmetic, against the limits of
    /// ``ResourceLimits`` and against the stored tensors — before anything is built from it.
    static func load(_ file: SafeTensors, path: String) throws -> Model<Scalar> {
        var file = file
        if file.metadata.removeValue(forKey: trainingStateKey) != nil {
            file.entries = file.entries.filter { !$0.key.hasPrefix("state.") }
        }
        func invalid(_ key: String, _ problem: String) -> DataError { DataError(path: path, "metadata '\(key)' is not valid: \(problem)") }
        guard let architectureJSON = file.metadata["architecture"] else {
            throw DataError(path: path, "no Synapse architecture in the metadata (a file from PyTorch? load it with load(from:network:task:) and the matching layers)")
        }
        if let version = file.metadata["format_version"], Int(version) ?? Int.max > fileFormatVersion {
            throw DataError(path: path, "format version \(Excerpt.of(version)) is newer than this Synapse reads (\(fileFormatVersion))")
        }
        let limits = ResourceLimits.current
        let stored = file.entries.values.reduce(0) { $0 + $1.bytes.count }
        try LayerSpec.checkLayerCount(architectureJSON.utf8, path: path)
        let architecture: LayerSpec = try decode(architectureJSON, key: "architecture", path: path)
        do { try architecture.validate(maximumParameters: stored) } catch {
            throw DataError(path: path, "architecture in the metadata is invalid: \(describeDecodingError(error))")
        }
        // Every parameter is a stored F32 or F64 value: more than the file holds is a lie, and
        // building the network would allocate what the file does not contain.
        guard let parameters = architecture.parameterCount, parameters <= stored / 4 else {
            throw invalid("architecture", "it declares more parameters than the file's \(stored) bytes of tensors hold")
        }
        guard parameters <= limits.parameters else {
            throw invalid("architecture", "\(parameters) parameters are more than the limit of \(limits.parameters) (SYNAPSE_MAX_PARAMETERS raises it)")
        }
        guard let taskJSON = file.metadata["task"] else { throw DataError(path: path, "no task in the metadata") }
        let task: Task = try decode(taskJSON, key: "task", path: path)
        var loss: Loss? = nil
        if let name = file.metadata["loss"] {
            guard let known = Loss(rawValue: name) else { throw invalid("loss", "unknown loss '\(Excerpt.of(name))'") }
            loss = known
        }
        let outputs: Int
        do { outputs = try outputSize(for: task, loss: loss ?? defaultLoss(for: task)) } catch {
            throw invalid(loss == nil ? "task" : "task' or 'loss", error.description)
        }
        if let width = architecture.outputWidth, width != outputs {
            throw invalid("task", "the network ends with \(width) outputs but the task needs \(outputs)")
        }
        var classNames: [String]? = nil
        if let names = file.metadata["class_names"] {
            let decoded = try decodeNames(names, key: "class_names", path: path)
            guard case .classification(let classes) = task else { throw invalid("class_names", "class names for a regression task") }
            guard decoded.count == classes else { throw invalid("class_names", "\(decoded.count) class names for \(classes) classes") }
            classNames = decoded
        }
        var featureNames: [String]? = nil
        if let names = file.metadata["feature_names"] { featureNames = try decodeNames(names, key: "feature_names", path: path) }
        let scaling = try decodeScaling(file, featureNames: featureNames, path: path)
        let encoding = try decodeEncoding(file, featureNames: featureNames, path: path)
        if let encoding, let scaling, scaling.shift.count != encoding.width {
            throw invalid("feature_encoding", "it gives \(encoding.width) features but the scaling was fitted on \(scaling.shift.count)")
        }
        // The features the file describes (scaled, named, or fixed by the first dense layer) must be
        // what the network takes in, it must end with the task's outputs, and no activation of one
        // example may exceed the parameter limit's worth of values.
        var tokenizer: ByteTokenizer? = nil, blockSize: Int? = nil
        if case .languageModel(let vocabulary) = task {
            // A language model: its vocabulary and context length, and a network that turns a
            // sequence of token ids [N, T] into logits [N, T, vocabulary].
            guard let json = file.metadata["vocabulary"] else { throw invalid("vocabulary", "a language model needs its vocabulary") }
            let bytes: [UInt8] = try decode(json, key: "vocabulary", path: path)
            do { tokenizer = try ByteTokenizer(vocabulary: bytes) } catch { throw invalid("vocabulary", error.description) }
            guard bytes.count == vocabulary else { throw invalid("vocabulary", "\(bytes.count) bytes for a task of \(vocabulary) tokens") }
            guard let text = file.metadata["block_size"], let size = Int(text), (1...(1 << 20)).contains(size) else {
                throw invalid("block_size", "a language model needs a block size in 1...1048576")
            }
            blockSize = size
            guard architecture.embeddingVocabularies.allSatisfy({ $0 == vocabulary }) else {
                throw invalid("architecture", "its embeddings have \(architecture.embeddingVocabularies.map(String.init).joined(separator: ", ")) rows but the vocabulary has \(vocabulary) tokens")
            }
            if let problem = architecture.languageModelProblem { throw invalid("architecture", problem) }
            for key in ["scaling", "scaling_method", "feature_names", "class_names", "feature_encoding"] where file.metadata[key] != nil {
                throw invalid(key, "a language model reads token ids: it has no \(key)")
            }
            // Any length up to the block is used (generation, a short text's evaluation): the
            // shortest, 2 and the block itself must give the next-token logits at every position —
            // and longer ones too when nothing bounds the context (a recurrent model generates on).
            let lengths = architecture.boundsContext ? [1, Swift.min(2, size), size] : [1, 2, size, size + 1]
            for length in Set(lengths).sorted() {
                let produced: [Int]
                do { produced = try architecture.outputShape(for: [length]) } catch {
                    throw DataError(path: path, "the architecture does not take a sequence of \(length) token ids: \(error.description)")
                }
                guard produced == [length, vocabulary] else {
                    throw invalid("task", "the network gives \(LayerSpec.format(produced)) for \(length) token\(length == 1 ? "" : "s") but the task needs [N, \(length), \(vocabulary)]")
                }
            }
            guard architecture.largestActivation(for: [size]) <= limits.parameters else {
                throw invalid("architecture", "one sequence's activations would exceed \(limits.parameters) values")
            }
        } else if !architecture.embeddingVocabularies.isEmpty {
            // Features are real numbers; an embedding takes whole token ids below its size.
            throw invalid("architecture", "an embedding layer takes token ids; only a language model's task ('languageModel') has them")
        } else if let width = scaling?.shift.count ?? featureNames?.count ?? encoding?.width ?? architecture.inputSize {
            let produced: [Int]
            do { produced = try architecture.outputShape(for: [width]) } catch {
                throw DataError(path: path, "the architecture does not take the \(width) features the file describes: \(error.description)")
            }
            guard produced == [outputs] else {
                throw invalid("task", "the network gives \(LayerSpec.format(produced)) per batch but the task needs [N, \(outputs)]")
            }
            guard architecture.largestActivation(for: [width]) <= limits.parameters else {
                throw invalid("architecture", "one example's activations would exceed \(limits.parameters) values")
            }
        }
        let network: any Layer<Scalar>
        do { network = try architecture.makeLayer(as: Scalar.self) } catch {
            throw invalid("architecture", "\(error)")
        }
        let history = try file.metadata["history"].map { try decodeHistory($0, path: path) }
        let model = try load(file, path: path, network: network, task: task)
        model.loss = loss
        model.history = history
        model.classNames = classNames
        model.tokenizer = tokenizer
        model.blockSize = blockSize
        model.featureNames = featureNames
        if let scaling {
            model.scaling = scaling
            model.scalingMethod = scaling.method
        }
        return model
    }

    /// The `feature_encoding` metadata, checked (``FeatureEncoding/problem(maximumWidth:)``): its
    /// features must be the feature names (when stored) and no more than the parameter limit.
    private static func decodeEncoding(_ file: SafeTensors, featureNames: [String]?, path: String) throws -> FeatureEncoding? {
        guard let json = file.metadata["feature_encoding"] else { return nil }
        let encoding: FeatureEncoding = try decode(json, key: "feature_encoding", path: path)
        if let problem = encoding.problem(maximumWidth: ResourceLimits.current.parameters) {
            throw DataError(path: path, "metadata 'feature_encoding' is not valid: \(problem)")
        }
        if let featureNames, featureNames != encoding.featureNames {
            throw DataError(path: path, "metadata 'feature_encoding' is not valid: it gives \(encoding.width) features, not the \(featureNames.count) 'feature_names'")
        }
        return encoding
    }

    /// Loads weights into `network` (which fixes the architecture), for files without Synapse
    /// metadata such as `safetensors.torch.save_file(model.state_dict(), path)` from PyTorch.
    /// Class names and scaling are taken from the metadata when present.
    /// - Throws: ``DataError`` naming missing, unexpected or mis-shaped tensors.
    public static func load(from path: String, network: any Layer<Scalar>, task: Task) throws -> Model<Scalar> {
        try load(SafeTensors.read(path), path: path, network: network, task: task)
    }

    private static func load(_ file: SafeTensors, path: String, network: any Layer<Scalar>, task: Task) throws -> Model<Scalar> {
        var tensors: [String: Tensor<Scalar>] = [:]
        for (name, entry) in file.entries { tensors[name] = try entry.tensor(as: Scalar.self, name: name, path: path) }
        do { try network.loadStateDict(tensors) } catch { throw DataError(path: path, error.description) }
        network.eval()
        let model = Model(network, task: task)
        if let warning = file.integrityWarning { model.warnings.append("\(path): \(warning)") }
        if let names = file.metadata["class_names"] {
            let decoded = try decodeNames(names, key: "class_names", path: path)
            guard case .classification(let classes) = task, decoded.count == classes else {
                throw DataError(path: path, "metadata 'class_names' is not valid: \(decoded.count) class names for this model's task")
            }
            model.classNames = decoded
        }
        if let names = file.metadata["feature_names"] { model.featureNames = try decodeNames(names, key: "feature_names", path: path) }
        model.featureEncoding = try decodeEncoding(file, featureNames: model.featureNames, path: path)
        model.targetName = file.metadata["target_name"]
        if let name = file.metadata["loss"] {
            guard let loss = Loss(rawValue: name) else { throw DataError(path: path, "unknown loss '\(Excerpt.of(name))' in the metadata") }
            model.loss = loss
        }
        if let scaling = try decodeScaling(file, featureNames: model.featureNames, path: path) {
            model.scaling = scaling
            model.scalingMethod = scaling.method
        } else if let method = file.metadata["scaling_method"] {
            guard let parsed = FeatureScaling.Method(rawValue: method) else {
                throw DataError(path: path, "unknown scaling method '\(Excerpt.of(method))'")
            }
            model.scalingMethod = parsed
        }
        if case .classification(let classes) = task, let names = model.classNames, names.count != classes {
            throw DataError(path: path, "\(names.count) class names for \(classes) classes")
        }
        return model
    }

    /// The task's default loss: softmax cross-entropy for classification, MSE for regression.
    static func defaultLoss(for task: Task) -> Loss {
        if case .regression = task { return .meanSquaredError }
        return .softmaxCrossEntropy
    }

    /// The `scaling` metadata, checked: as many shifts as scales (and feature names), finite shifts,
    /// and scales that are finite, normal, non-zero numbers (a scale of 1e-320 would turn features into ∞).
    private static func decodeScaling(_ file: SafeTensors, featureNames: [String]?, path: String) throws -> FeatureScaling? {
        guard let json = file.metadata["scaling"] else { return nil }
        func invalid(_ problem: String) -> DataError { DataError(path: path, "metadata 'scaling' is not valid: \(problem)") }
        let scaling: FeatureScaling = try decode(json, key: "scaling", path: path)
        guard scaling.shift.count == scaling.scale.count else { throw invalid("\(scaling.shift.count) shifts but \(scaling.scale.count) scales") }
        if let names = featureNames, names.count != scaling.shift.count {
            throw invalid("fitted on \(scaling.shift.count) features but the file names \(names.count) features")
        }
        // Applied in float32: shifts and scales (and 1/scale) must be finite, normal float32 numbers.
        let largest = Double(Float.greatestFiniteMagnitude), smallest = Double(Float.leastNormalMagnitude)
        if let bad = scaling.shift.indices.first(where: {
            !(abs(scaling.shift[$0]) <= largest) || !(abs(scaling.scale[$0]) >= smallest && abs(scaling.scale[$0]) <= largest)
        }) {
            throw invalid("feature \(bad + 1) has shift \(scaling.shift[bad]) and scale \(scaling.scale[bad]) (both must lie within float32's range, the scale a normal non-zero number)")
        }
        return scaling
    }

    /// The `history` metadata, checked: one log per epoch numbered in order, a best epoch among
    /// them, a bounded number of metrics with names and a stop reason of bounded length.
    private static func decodeHistory(_ text: String, path: String) throws -> History {
        let history: History = try decode(text, key: "history", path: path)
        func invalid(_ problem: String) -> DataError { DataError(path: path, "metadata 'history' is not valid: \(problem)") }
        for (index, log) in history.epochs.enumerated() where log.epoch != index {
            throw invalid("epoch log \(index + 1) is numbered \(log.epoch), expected \(index)")
        }
        if let best = history.bestEpoch, !history.epochs.indices.contains(best) {
            throw invalid("best epoch \(best) is not one of its \(history.epochs.count) epochs")
        }
        if let reason = history.stopReason, reason.utf8.count > 10_000 { throw invalid("the stop reason is \(reason.utf8.count) bytes long") }
        if let log = history.epochs.first(where: { $0.metrics.count > 100 || $0.metrics.keys.contains { $0.utf8.count > ResourceLimits.nameLength } }) {
            throw invalid("epoch \(log.epoch + 1) has \(log.metrics.count) metrics, or a metric name over \(ResourceLimits.nameLength) bytes")
        }
        return history
    }

    /// A list of class or feature names, each at most ``ResourceLimits/nameLength`` bytes.
    private static func decodeNames(_ text: String, key: String, path: String) throws -> [String] {
        let names: [String] = try decode(text, key: key, path: path)
        if let long = names.firstIndex(where: { $0.utf8.count > ResourceLimits.nameLength }) {
            throw DataError(path: path, "metadata '\(key)' is not valid: name \(long + 1) ('\(Excerpt.of(names[long]))') is \(names[long].utf8.count) bytes long, over the limit of \(ResourceLimits.nameLength)")
        }
        return names
    }

    private func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ text: String, key: String, path: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw DataError(path: path, "metadata '\(key)' is not valid: \(describeDecodingError(error))")
        }
    }
}
