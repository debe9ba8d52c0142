import Foundation
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

/// libFuzzer's driver, called from this executable's entry point (SwiftPM names it `<module>_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("FuzzOptions_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var (count, arguments) = (argc, argv)
    return runFuzzerDriver(&count, &arguments, fuzzOptions)
}
