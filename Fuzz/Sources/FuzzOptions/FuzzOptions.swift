import Foundation
import FuzzSupport
import Synapse

/// `synapse train --config` files: an options map or an `OptionsFile.Failure`, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOptions(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let options = try? OptionsFile.parse(bytes, path: "fuzz.json", valued: ["epochs", "layers", "lr", "loss"], flags: ["quiet"]) {
        precondition(options.keys.allSatisfy { ["epochs", "layers", "lr", "loss", "quiet"].contains($0) }, "an unknown option got through")
    }
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzOptions(_:_:)``.
@_cdecl("FuzzOptions_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzOptions) }
