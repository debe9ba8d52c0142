import FuzzSupport
import Synapse

/// `.npy` bytes: a validated array or a `DataError`; a decoded array converts to a tensor and
/// writes back to the same array.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? NumPyArray.decode(bytes, path: "fuzz.npy") {
        let tensor: Tensor<Double> = array.tensor()
        precondition(tensor.count == array.shape.reduce(1, *), "tensor of \(tensor.count) values for shape \(array.shape)")
        let again = try? NumPyArray.decode(array.encoded(), path: "again.npy")
        precondition(again?.shape == array.shape && again?.dtype == array.dtype, "a decoded array does not round-trip")
    }
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzNPY(_:_:)``.
@_cdecl("FuzzNPY_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzNPY) }
