import Foundation
import FuzzSupport
import Synapse

/// Architecture JSON (`synapse train --arch`): decoded, sizes inferred for a 64-feature input, and,
/// when small, built and run: the layers must produce exactly the shape inference predicted (an
/// architecture that passes inference but traps in a layer would be a crash on a user's file).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchitecture(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let spec = try? LayerSpec.decode(Data(bytes), path: "fuzz.json") else { return 0 }
    for features in [64, 1] {
        guard let (resolved, output) = try? spec.resolved(for: [features]),
              (try? resolved.validate(maximumParameters: 200_000)) != nil,
              output.reduce(1, *) < 100_000, resolved.largestActivation(for: [2, features]) < 1_000_000 else { continue }
        var generator = RandomGenerator(seed: 1)
        let network: any Layer<Float> = resolved.makeLayer(generator: &generator)
        let result = network(Tensor<Float>(zeros: [2, features]))
        precondition(result.shape == [2] + output, "the network produced \(result.shape), shape inference said \([2] + output)")
    }
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzArchitecture(_:_:)``.
@_cdecl("FuzzArchitecture_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzArchitecture) }
