import FuzzSupport
import Synapse

/// safetensors bytes: the container (header, offsets, checksum), then the model built from its
/// metadata and weights, then a prediction on zeros when the network is small. Every failure must be
/// a `DataError`; a model that loads must predict with the shape its architecture promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard (try? SafeTensors.decode(bytes, path: "fuzz.safetensors")) != nil else { return 0 }
    guard let model = try? Model<Float>.decode(bytes, path: "fuzz.safetensors"),
          let spec = try? LayerSpec(describing: model.network), model.network.parameterCount < 1_000_000 else { return 0 }
    let input = (model.featureNames?.count ?? model.scaling?.shift.count).map { [$0] }
    if let input, let output = try? spec.outputShape(for: input), spec.largestActivation(for: input) < 1_000_000 {
        let prediction = model.predict(Tensor<Float>(zeros: [2] + input))
        precondition(prediction.shape == [2] + output, "predicted \(prediction.shape), the architecture promises \([2] + output)")
    }
    return 0
}

/// The entry point: libFuzzer's driver on ``fuzzSafeTensors(_:_:)``.
@_cdecl("FuzzSafeTensors_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv, fuzzSafeTensors) }
