import FuzzSupport
import Synapse

/// IDX bytes (plain or gzip): a validated array or a `DataError`; a decoded array's shape must
/// account for its bytes exactly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? IDX.decode(bytes, path: "fuzz.idx") {
        let product = array.shape.reduce(1) { $0.multipliedReportingOverflow(by: Swift.max($1, 1)).partialValue } * (array.shape.contains(0) ? 0 : 1)
        precondition(product == array.bytes.count, "shape \(array.shape) does not match \(array.bytes.count) bytes")
    }
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzIDX(_:_:)``.
@_cdecl("FuzzIDX_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzIDX) }
