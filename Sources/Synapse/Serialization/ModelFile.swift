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
        do { architecture = try LayerSpec(describing: network) } catch let error as DataError {
            throw DataError(path: path, error.message)
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
        if let scaling { metadata["scaling"] = try json(scaling) }
        else if let scalingMethod { metadata["scaling_method"] = scalingMethod.rawValue }
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

    /// The model in a decoded file with Synapse metadata.
    static func load(_ file: SafeTensors, path: String) throws -> Model<Scalar> {
        guard let architectureJSON = file.metadata["architecture"] else {
            throw DataError(path: path, "no Synapse architecture in the metadata (a file from PyTorch? load it with load(from:network:task:) and the matching layers)")
        }
        if let version = file.metadata["format_version"], Int(version) ?? Int.max > fileFormatVersion {
            throw DataError(path: path, "format version \(version) is newer than this Synapse reads (\(fileFormatVersion))")
        }
        let stored = file.entries.values.reduce(0) { $0 + $1.bytes.count }
        let architecture: LayerSpec = try decode(architectureJSON, key: "architecture", path: path)
        do { try architecture.validate(maximumParameters: stored) } catch {
            throw DataError(path: path, "architecture in the metadata is invalid: \(describeDecodingError(error))")
        }
        guard let taskJSON = file.metadata["task"] else { throw DataError(path: path, "no task in the metadata") }
        let task: Task = try decode(taskJSON, key: "task", path: path)
        let model = try load(file, path: path, network: architecture.makeLayer(as: Scalar.self), task: task)
        // The features the file describes (scaled or named) must be what the network takes in.
        if let width = model.scaling?.shift.count ?? model.featureNames?.count {
            do { _ = try architecture.outputShape(for: [width]) } catch {
                throw DataError(path: path, "the architecture does not take the \(width) features the file describes: \(error.description)")
            }
        }
        return model
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
        if let names = file.metadata["class_names"] { model.classNames = try decode(names, key: "class_names", path: path) }
        if let names = file.metadata["feature_names"] { model.featureNames = try decode(names, key: "feature_names", path: path) }
        model.targetName = file.metadata["target_name"]
        if let name = file.metadata["loss"] {
            guard let loss = Loss(rawValue: name) else { throw DataError(path: path, "unknown loss '\(name)' in the metadata") }
            model.loss = loss
        }
        if let scalingJSON = file.metadata["scaling"] {
            let scaling: FeatureScaling = try decode(scalingJSON, key: "scaling", path: path)
            guard scaling.shift.count == scaling.scale.count else { throw DataError(path: path, "scaling has \(scaling.shift.count) shifts but \(scaling.scale.count) scales") }
            if let names = model.featureNames, names.count != scaling.shift.count {
                throw DataError(path: path, "scaling is fitted on \(scaling.shift.count) features but the file names \(names.count) features")
            }
            if let bad = scaling.shift.indices.first(where: { !scaling.shift[$0].isFinite || !scaling.scale[$0].isFinite || scaling.scale[$0] == 0 }) {
                throw DataError(path: path, "scaling of feature \(bad + 1) is not usable (shift \(scaling.shift[bad]), scale \(scaling.scale[bad]))")
            }
            model.scaling = scaling
            model.scalingMethod = scaling.method
        } else if let method = file.metadata["scaling_method"] {
            guard let parsed = FeatureScaling.Method(rawValue: method) else { throw DataError(path: path, "unknown scaling method '\(method)'") }
            model.scalingMethod = parsed
        }
        if case .classification(let classes) = task, let names = model.classNames, names.count != classes {
            throw DataError(path: path, "\(names.count) class names for \(classes) classes")
        }
        return model
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
