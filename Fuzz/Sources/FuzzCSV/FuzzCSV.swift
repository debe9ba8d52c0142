import FuzzSupport
import Synapse

/// CSV bytes (plain or gzip) with the header detected, the last column as the target, string labels
/// allowed and missing values dropped: every outcome must be a dataset or a `DataError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for policy in [MissingValuePolicy.error, .dropRows] {
        if let loaded = try? CSVDataset<Float>.decode(bytes, path: "fuzz.csv", target: .index(-1), missingValues: policy) {
            precondition(loaded.dataset.features.shape[0] == loaded.dataset.targets.shape[0], "rows of features and targets differ")
        }
    }
    _ = try? CSVDataset<Double>.decode(bytes, path: "fuzz.csv", target: nil, delimiter: ";", hasHeader: false)
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzCSV(_:_:)``.
@_cdecl("FuzzCSV_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzCSV) }
