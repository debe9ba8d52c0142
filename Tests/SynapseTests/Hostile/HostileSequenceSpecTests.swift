import Foundation
import Testing
import Synapse
@testable import SynapseNN

/// Architecture entries of the sequence layers with sizes a hostile or careless file could hold:
/// each is refused with the problem named, before anything is allocated or built.
@Suite("Hostile sequence-layer architectures")
struct HostileSequenceSpecTests {
    /// The message `json` is refused with (decoding, then the checks a model file gets), or nil when accepted.
    private func refusal(_ json: String, inferred: Bool = false) -> String? {
        do {
            let spec = try JSONDecoder().decode(LayerSpec.self, from: Data(json.utf8))
            try spec.validate(maximumParameters: 1 << 28, allowingInferredSizes: inferred)
            return nil
        } catch let DecodingError.dataCorrupted(context) {
            return context.debugDescription
        } catch {
            return "\(error)"
        }
    }

    @Test("sizes out of range, heads that do not divide the width, too many layers, bad rates")
    func refused() {
        let cases: [(String, String)] = [
            (#"{"type": "embedding", "vocabulary": 0, "width": 8}"#, "embedding"),
            (#"{"type": "embedding", "vocabulary": 100000000000, "width": 100000}"#, "embedding"),
            (#"{"type": "embedding", "vocabulary": 10, "width": -3}"#, "embedding"),
            (#"{"type": "positional_embedding", "max_length": 99999999, "width": 8}"#, "positional_embedding"),
            (#"{"type": "sinusoidal_positions", "width": 0}"#, "sinusoidal_positions"),
            (#"{"type": "layernorm", "features": 8, "eps": -1}"#, "layernorm"),
            (#"{"type": "rmsnorm", "features": 8, "eps": -1}"#, "rmsnorm"),
            (#"{"type": "attention", "width": 128, "heads": 3}"#, "attention"),
            (#"{"type": "attention", "width": 128, "heads": 0}"#, "attention"),
            (#"{"type": "attention", "width": 4194304, "heads": 4}"#, "attention"),
            (#"{"type": "transformer_block", "width": 128, "heads": 4, "dropout": 1.5}"#, "transformer_block"),
            (#"{"type": "transformer_block", "width": 128, "heads": 4, "feed_forward": -1}"#, "transformer_block"),
            (#"{"type": "transformer_block", "width": 16384, "heads": 4, "feed_forward": 16384}"#, "transformer_block"),
            (#"{"type": "lstm", "in": 8, "hidden": 16, "num_layers": 0}"#, "lstm"),
            (#"{"type": "gru", "in": 8, "hidden": 16, "num_layers": 1000000}"#, "gru"),
            (#"{"type": "lstm", "in": 8, "hidden": 0}"#, "lstm"),
            (#"{"type": "lstm", "in": 9000000000000000000, "hidden": 16}"#, "lstm"),
        ]
        for (json, name) in cases {
            let message = refusal(json)
            #expect(message?.contains(name) == true, "\(json): \(message ?? "accepted")")
        }
        // Missing required fields and a dense "out" that is neither a number nor "vocabulary".
        #expect(refusal(#"{"type": "lstm", "in": 8}"#) != nil)
        #expect(refusal(#"{"type": "attention", "width": 8}"#) != nil)
        #expect(refusal(#"{"type": "dense", "in": 8, "out": "banana"}"#) != nil)
        // A model file may not leave sizes to be inferred; a hand-written architecture may.
        #expect(refusal(#"{"type": "dense", "in": 8, "out": "vocabulary"}"#) != nil)
        #expect(refusal(#"{"type": "dense", "in": 8, "out": "vocabulary"}"#, inferred: true) == nil)
        #expect(refusal(#"{"type": "transformer_block", "heads": 4}"#, inferred: true) == nil)
    }

    @Test("shape rules name the layer and the shapes")
    func shapes() throws {
        let attention = LayerSpec.multiheadAttention(width: 0, heads: 3, causal: true, bias: true)
        #expect(throws: ShapeError.self) { try attention.resolved(for: [16, 128]) }
        #expect(throws: ShapeError.self) { try LayerSpec.positionalEmbedding(maxLength: 8, width: 0).resolved(for: [9, 4]) }
        #expect(throws: ShapeError.self) { try LayerSpec.embedding(vocabulary: 0, width: 4).resolved(for: [9]) }
        #expect(throws: ShapeError.self) { try LayerSpec.recurrent(.lstm, inputs: 5, hidden: 4, layers: 1, bias: true).resolved(for: [9, 4]) }
        #expect(throws: ShapeError.self) { try LayerSpec.dense(inputs: 4, outputs: 0, bias: true, activation: .identity).resolved(for: [4]) }
        let gpt = try LayerSpec.gpt(blockSize: 16, width: 8, layers: 1, heads: 2).fillingVocabulary(5).resolved(for: [16])
        #expect(gpt.output == [16, 5])
        #expect(gpt.spec.parameterCount == (try gpt.spec.makeLayer(as: Float.self)).parameterCount)
        let lstm = try LayerSpec.recurrentLanguageModel(.gru, width: 6, hidden: 7, layers: 3).fillingVocabulary(5).resolved(for: [4])
        #expect(lstm.spec.parameterCount == (try lstm.spec.makeLayer(as: Double.self)).parameterCount)
    }
}
