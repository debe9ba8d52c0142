import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Model files (safetensors)")
struct ModelFileTests {
    @Test("save then load: bit-identical weights, identical predictions, metadata restored")
    func roundTrip() throws {
        let directory = try temporaryDirectory("model")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (model, inputs) = try InteropTests.trainedModel()
        let path = "\(directory)/model.safetensors"
        try model.save(to: path)
        let loaded = try Model<Float>.load(from: path)
        #expect(loaded.network.namedState.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        for ((name, a), (_, b)) in zip(model.network.namedState, loaded.network.namedState) {
            #expect(a.shape == b.shape && a.scalars == b.scalars, "\(name)")
        }
        #expect(loaded.predict(inputs).scalars == model.predict(inputs).scalars)
        #expect(loaded.classNames == ["red", "green", "blue"] && loaded.task == .classification(classes: 3))
        #expect(loaded.scaling == model.scaling && loaded.scalingMethod == .standard)
        #expect(try LayerSpec(describing: loaded.network) == LayerSpec(describing: model.network))

        // The file is plain safetensors: PyTorch names and [out, in] layouts, JSON metadata.
        let file = try SafeTensors.read(path)
        #expect(file.entries["0.weight"]?.shape == [16, 5] && file.entries["0.weight"]?.dtype == .f32)
        #expect(file.metadata["format"] == "synapse" && file.metadata["dtype"] == "float32")
        #expect(file.metadata["architecture"]?.contains("\"type\":\"dense\"") == true)
    }

    @Test("every savable layer round-trips in Double; F64 files load into Float models")
    func layersAndTypes() throws {
        let directory = try temporaryDirectory("layers")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var g = RandomGenerator(seed: 9)
        let network = Sequential<Double>([
            Flatten(), Dense(inputSize: 6, outputSize: 4, activation: .leakyReLU(slope: 0.2), generator: &g), Dropout(rate: 0.25),
            Dense(inputSize: 4, outputSize: 2, activation: .gelu(approximate: true), useBias: false, generator: &g),
            Activation(.logSoftmax),
        ])
        let model = Model(network, task: .classification(classes: 2))
        let path = "\(directory)/double.safetensors"
        try model.save(to: path)
        let loaded = try Model<Double>.load(from: path)
        let x = Tensor<Double>(randomNormal: [3, 2, 3], generator: &g)
        #expect(loaded.predict(x).scalars == model.predict(x).scalars)
        #expect(loaded.network.namedState.map(\.name) == ["1.weight", "1.bias", "3.weight"])
        let asFloat = try Model<Float>.load(from: path)
        let difference = zip(asFloat.predict(x.converted()).scalars, model.predict(x).scalars).map { abs(Double($0) - $1) }.max()!
        #expect(difference < 1e-5)
    }

    @Test("saving is atomic: a failed save leaves the previous file intact and no temporary files")
    func atomicSave() throws {
        let directory = try temporaryDirectory("atomic")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (model, _) = try InteropTests.trainedModel()
        let path = "\(directory)/model.safetensors"
        try model.save(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        final class Custom: Layer {
            var isTraining = true
            func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { x }
        }
        let unsavable = Model(Sequential<Float>([Custom()]), task: .regression(outputs: 1))
        #expect { try unsavable.save(to: path) } throws: { error in
            (error as? DataError)?.description.contains("cannot describe a layer of type Custom") == true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

        // A directory is never replaced: the error names the path, and no temporary file is left.
        let blocked = "\(directory)/occupied"
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        #expect { try model.save(to: blocked) } throws: { error in
            (error as? DataError)?.description == "\(blocked): is a directory"
        }
        #expect { try model.save(to: "\(directory)/no/such/dir/model.safetensors") } throws: { error in
            (error as? DataError)?.description.contains("cannot create a temporary file beside it") == true
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("a PyTorch-style file loads into a given architecture; mismatches name every problem")
    func stateDictErrors() throws {
        let directory = try temporaryDirectory("statedict")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (model, _) = try InteropTests.trainedModel()
        let path = "\(directory)/model.safetensors"
        try model.save(to: path)
        var g = RandomGenerator(seed: 1)
        let same = Sequential<Float>([Dense(inputSize: 5, outputSize: 16, generator: &g), Activation(.relu),
                                      Dense(inputSize: 16, outputSize: 3, generator: &g)])
        let loaded = try Model.load(from: path, network: same, task: .classification(classes: 3))
        #expect(loaded.classNames == ["red", "green", "blue"] && loaded.scaling == model.scaling)

        let other = Sequential<Float>([Dense(inputSize: 5, outputSize: 8, generator: &g), Dense(inputSize: 8, outputSize: 3, useBias: false, generator: &g)])
        #expect { try Model.load(from: path, network: other, task: .classification(classes: 3)) } throws: { error in
            let text = (error as? DataError)?.description ?? ""
            return text.contains("unexpected tensors 2.bias, 2.weight") && text.contains("missing tensors 1.weight")
                && text.contains("0.weight is [8, 5], given [16, 5]")
        }
    }
}
