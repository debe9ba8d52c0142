import SynapseCore
import Foundation

/// A custom layer that model files can store: it has a registered name and a `Codable`
/// configuration from which it is rebuilt on load (Keras's `register_keras_serializable` with
/// `get_config`/`from_config`). Register the type once, before saving or loading, with
/// ``LayerRegistry/register(_:)``:
///
/// ```swift
/// final class Scale<Scalar: TensorScalar>: SerializableLayer {
///     struct Configuration: Codable { var features: Int }
///     static var typeName: String { "scale" }
///     let weight: Tensor<Scalar>                  // saved as "weight", like any parameter
///     var isTraining = true
///     var configuration: Configuration { .init(features: weight.shape[0]) }
///     init(configuration: Configuration, generator: inout RandomGenerator) throws {
///         guard (1...1_000_000).contains(configuration.features) else { throw ScaleError.size }
///         weight = Tensor(ones: [configuration.features], requiresGrad: true)
///     }
///     func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * weight }
/// }
/// LayerRegistry.register(Scale<Float>.self)
/// ```
///
/// In an architecture it is `{"type": "scale", "config": {"features": 8}}`. The configuration comes
/// from files, so `init(configuration:generator:)` must refuse sizes it cannot honour (throw) — it
/// is what bounds the memory a crafted file can make the layer allocate.
public protocol SerializableLayer<Scalar>: Layer {
    /// What the layer is rebuilt from: its sizes and settings, not its weights.
    associatedtype Configuration: Codable
    /// The layer's `"type"` in architecture JSON: a name no built-in layer has, the same for every
    /// scalar type.
    static var typeName: String { get }
    /// The configuration that rebuilds this layer.
    var configuration: Configuration { get }
    /// A layer with `configuration` and fresh parameters (loading a model then replaces them).
    /// - Throws: any error, for a configuration the layer cannot take.
    init(configuration: Configuration, generator: inout RandomGenerator) throws
    /// The shape of one example after the layer, for one example of shape `input` (batch axis left
    /// out); the default keeps the shape.
    /// - Throws: ``ShapeError`` when the layer cannot take `input`.
    static func outputShape(for input: [Int], configuration: Configuration) throws(ShapeError) -> [Int]
}

extension SerializableLayer {
    /// Keeps the shape.
    public static func outputShape(for input: [Int], configuration: Configuration) throws(ShapeError) -> [Int] { input }
}

/// A registered layer type missing, or a registered configuration that does not decode.
public struct LayerRegistryError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming the layer type.
    public let description: String
}

/// The custom layer types model files may hold (see ``SerializableLayer``). Thread-safe.
public enum LayerRegistry {
    /// One registered type for one scalar type, with its operations erased to JSON configurations.
    private struct Entry {
        let scalar: ObjectIdentifier
        let make: (JSONValue, inout RandomGenerator) throws -> AnyObject
        let outputShape: (JSONValue, [Int]) throws -> [Int]
        let check: (JSONValue) throws -> Void
    }

    private final class Table: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String: [Entry]] = [:]
    }

    private static let table = Table()

    /// Registers `type` under its ``SerializableLayer/typeName``, for its scalar type (register
    /// `MyLayer<Float>.self` and `MyLayer<Double>.self` to load it in both). Registering again replaces.
    /// - Precondition: the name is not a built-in layer type's.
    public static func register<L: SerializableLayer>(_ type: L.Type) {
        precondition(!LayerSpec.builtInTypeNames.contains(L.typeName), "'\(L.typeName)' is a built-in layer type")
        let entry = Entry(
            scalar: ObjectIdentifier(L.Scalar.self),
            make: { json, generator in try L(configuration: try json.decode(as: L.Configuration.self), generator: &generator) },
            outputShape: { json, input in try L.outputShape(for: input, configuration: try json.decode(as: L.Configuration.self)) },
            check: { json in _ = try json.decode(as: L.Configuration.self) })
        table.lock.withLock {
            table.entries[L.typeName, default: []].removeAll { $0.scalar == entry.scalar }
            table.entries[L.typeName, default: []].append(entry)
        }
    }

    /// The registered type names, sorted.
    public static var names: [String] { table.lock.withLock { table.entries.keys.sorted() } }

    /// Whether a layer type is registered under `name`.
    public static func contains(_ name: String) -> Bool { table.lock.withLock { table.entries[name] != nil } }

    private static func entries(_ name: String) throws(LayerRegistryError) -> [Entry] {
        guard let entries = table.lock.withLock({ table.entries[name] }), !entries.isEmpty else {
            throw LayerRegistryError(description: "the layer type '\(Excerpt.of(name))' is not registered in this program (LayerRegistry.register)")
        }
        return entries
    }

    /// Checks that `configuration` decodes as the configuration of the type registered under `name`.
    static func check(_ name: String, configuration: JSONValue) throws {
        try entries(name)[0].check(configuration)
    }

    /// The output shape of the registered layer `name` with `configuration` for an example of shape `input`.
    static func outputShape(_ name: String, configuration: JSONValue, input: [Int]) throws -> [Int] {
        try entries(name)[0].outputShape(configuration, input)
    }

    /// A new layer of the type registered under `name` for `Scalar`, built from `configuration`.
    static func makeLayer<Scalar: TensorScalar>(_ name: String, configuration: JSONValue, as: Scalar.Type,
                                                generator: inout RandomGenerator) throws -> any Layer<Scalar> {
        guard let entry = try entries(name).first(where: { $0.scalar == ObjectIdentifier(Scalar.self) }) else {
            throw LayerRegistryError(description: "the layer type '\(Excerpt.of(name))' is not registered for \(Scalar.self) (LayerRegistry.register)")
        }
        guard let layer = try entry.make(configuration, &generator) as? any Layer<Scalar> else {
            throw LayerRegistryError(description: "the layer type '\(Excerpt.of(name))' did not make a layer of \(Scalar.self)")
        }
        return layer
    }
}
