import Foundation
import FuzzSupport
import Synapse

/// Architecture JSON (`synapse train --arch`, a model file's `architecture`): decoded, sizes inferred
/// for a 64-feature, a 1-feature and a 1×8×8-image input, and, when small, built and run: the layers
/// must produce exactly the shape inference predicted (an architecture that passes inference but
/// traps in a layer would be a crash on a user's file). Graphs (`graph`, `residual`, `add`,
/// `concat`, `identity`) must also agree with themselves: a graph that shape inference and
/// validation accept must build (``Graph``'s structural checks are the ``GraphSpec``'s), and the
/// resolved architecture must survive a JSON round trip and describing the built network.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchitecture(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let spec: LayerSpec
    do { spec = try LayerSpec.decode(Data(bytes), path: "fuzz.json") } catch {
        precondition(error is DataError, "decode threw \(type(of: error)), not a DataError: \(error)")
        return 0
    }
    _ = spec.summary
    for input in [[64], [1], [1, 8, 8]] {
        guard let (resolved, output) = try? spec.resolved(for: input),
              (try? resolved.validate(maximumParameters: 200_000)) != nil,
              output.reduce(1, *) < 100_000, resolved.largestActivation(for: input) < 1_000_000 else { continue }
        // What the model file would store reads back as the same architecture.
        let json = try! JSONEncoder().encode(resolved)
        let reread = try? LayerSpec.decode(json, path: "fuzz-reencoded.json")
        precondition(reread == resolved, "the resolved architecture does not survive its JSON: \(String(decoding: json, as: UTF8.self))")
        var generator = RandomGenerator(seed: 1)
        let network: any Layer<Float>
        do { network = try resolved.makeLayer(generator: &generator) } catch {
            preconditionFailure("an architecture that resolved and validated does not build: \(error)")
        }
        // Describing the network and building that again is stable (graph nodes come back in topological order).
        let described = try! LayerSpec(describing: network)
        precondition((try? described.makeLayer(as: Float.self)).flatMap({ try? LayerSpec(describing: $0) }) == described,
                     "describing the built network is not stable")
        precondition((try? described.outputShape(for: input)) == output, "the described network infers another output shape")
        let result = network(Tensor<Float>(zeros: [2] + input))
        precondition(result.shape == [2] + output, "the network produced \(result.shape), shape inference said \([2] + output)")
    }
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzArchitecture(_:_:)``.
@_cdecl("FuzzArchitecture_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzArchitecture) }
