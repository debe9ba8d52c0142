import Foundation
import Testing
import Synapse
@testable import SynapseTraining

/// The byte tokenizer and the text corpus of the language-model task.
@Suite("Text data")
struct TextDataTests {
    @Test("the vocabulary is the sorted set of bytes seen; encode and decode are inverse; unknown bytes are named")
    func tokenizer() throws {
        let tokenizer = ByteTokenizer(training: Array("hello, world".utf8))
        #expect(tokenizer.bytes == Array(" ,dehlorw".utf8))
        let ids = try tokenizer.encode(Array("hole".utf8))
        #expect(ids == [4, 6, 5, 3])
        #expect(tokenizer.decode(ids) == Array("hole".utf8))
        #expect(throws: TokenizerError.self) { try tokenizer.encode(Array("hex".utf8)) }
        do { _ = try tokenizer.encode(Array("ok\n".utf8)) } catch {
            #expect(error.description == "byte 'k' at offset 1 is not in the model's vocabulary of 9 bytes")
        }
        // A stored vocabulary is checked: sorted, distinct, not empty.
        #expect(throws: TokenizerError.self) { try ByteTokenizer(vocabulary: []) }
        #expect(throws: TokenizerError.self) { try ByteTokenizer(vocabulary: [3, 2]) }
        #expect(throws: TokenizerError.self) { try ByteTokenizer(vocabulary: [2, 2]) }
        let json = try JSONEncoder().encode(tokenizer)
        #expect(try JSONDecoder().decode(ByteTokenizer.self, from: json) == tokenizer)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ByteTokenizer.self, from: Data(#"{"bytes":[5,4]}"#.utf8)) }
    }

    @Test("the corpus holds out the last 10 % by position; windows are inputs and targets shifted by one")
    func corpus() throws {
        let text = (0..<100).map { UInt8(65 + $0 % 26) }
        let corpus = try TextCorpus(text: text, heldOutFraction: 0.1)
        #expect(corpus.training.count == 90 && corpus.validation.count == 10)
        #expect(corpus.tokenizer.decode(corpus.validation) == Array(text[90...]))
        var generator = RandomGenerator(seed: 3)
        let windows: Dataset<Float> = TextCorpus.randomWindows(of: corpus.training, count: 7, blockSize: 8, generator: &generator)
        #expect(windows.features.shape == [7, 8] && windows.targets.shape == [7, 8])
        let x = windows.features.integerScalars, y = windows.targets.integerScalars
        for row in 0..<7 {
            // Consecutive letters: each target is the next input, and the last continues the window.
            for t in 0..<7 { #expect(y[row * 8 + t] == x[row * 8 + t + 1]) }
            #expect(y[row * 8 + 7] == (x[row * 8 + 7] + 1) % 26)
        }
        let held: Dataset<Double> = TextCorpus.consecutiveWindows(of: corpus.validation, blockSize: 4)
        #expect(held.features.shape == [2, 4])   // starts 0 and 4 (a window needs a next token)
        #expect(held.features.integerScalars == Array(corpus.validation[0..<8]))
        #expect(held.targets.integerScalars == Array(corpus.validation[1..<9]))
        let short: Dataset<Double> = TextCorpus.consecutiveWindows(of: [1, 2, 3], blockSize: 128)
        #expect(short.features.shape == [1, 2] && short.targets.integerScalars == [2, 3])
    }

    @Test("sampling: temperature 0 takes the arg-max, top-k keeps only the k best, a seed reproduces the draws")
    func sampling() {
        let logits = [0.0, 3.0, 1.0, 2.9, -4.0]
        var generator = RandomGenerator(seed: 1)
        #expect(Model<Float>.sample(logits, temperature: 0, topK: nil, generator: &generator) == 1)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<2000 { counts[Model<Float>.sample(logits, temperature: 1, topK: 2, generator: &generator)] += 1 }
        #expect(counts[0] == 0 && counts[2] == 0 && counts[4] == 0 && counts[1] > 900 && counts[3] > 800)
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let first = (0..<50).map { _ in Model<Float>.sample(logits, temperature: 0.8, topK: nil, generator: &a) }
        let second = (0..<50).map { _ in Model<Float>.sample(logits, temperature: 0.8, topK: nil, generator: &b) }
        #expect(first == second)
    }
}
