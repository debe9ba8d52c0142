import SynapseCore
import SynapseNN
import Foundation

// What a language model does beyond a classifier: read text through its tokenizer, report its
// loss in nats and bits per character, and write text one token at a time.

extension Model {
    /// The language model's loss on `text` (nats per token, with bits per character and next-token
    /// accuracy), every token after the first predicted once from the up to ``blockSize`` tokens
    /// before it in consecutive windows (as nanoGPT's validation loss, without the random windows).
    /// - Throws: ``TokenizerError`` for a byte outside the vocabulary or a text under 2 bytes.
    public func evaluate(text: [UInt8]) throws(TokenizerError) -> Evaluation {
        guard case .languageModel = task, let tokenizer, let blockSize else {
            preconditionFailure("evaluate(text:) needs a language model with a tokenizer and block size")
        }
        let tokens = try tokenizer.encode(text)
        guard tokens.count >= 2 else { throw TokenizerError("a text of \(tokens.count) byte\(tokens.count == 1 ? "" : "s") has nothing to predict") }
        // Consecutive windows, a group at a time (a long text's windows are never all in memory).
        let block = Swift.min(blockSize, tokens.count - 1)
        let starts = Array(stride(from: 0, to: tokens.count - block, by: block))
        let group = Swift.max(1, (1 << 20) / block)
        var lossSum = 0.0, correct = 0.0, positions = 0
        for first in stride(from: 0, to: starts.count, by: group) {
            let windows: Dataset<Scalar> = TextCorpus.windows(of: tokens, starting: Array(starts[first..<Swift.min(first + group, starts.count)]), blockSize: block)
            let part = evaluate(windows)
            lossSum += part.loss * Double(windows.targets.count)
            correct += (part.accuracy ?? 0) * Double(windows.targets.count)
            positions += windows.targets.count
        }
        var evaluation = Evaluation(loss: lossSum / Double(positions))
        evaluation.bitsPerCharacter = evaluation.loss / log(2.0)
        evaluation.accuracy = correct / Double(positions)
        return evaluation
    }

    /// Continues `prompt` by `length` tokens, sampled one at a time from the model's next-token
    /// distribution: logits divided by `temperature` (0: always the most likely token), kept to the
    /// `topK` most likely (nil: all), softmax, then a draw from `generator` — so a seed reproduces
    /// the text. Each new token is handed to `emit` as soon as it is drawn (for streaming).
    ///
    /// Layers that depend on earlier positions keep their state in a ``DecodingCache`` (attention's
    /// keys and values, recurrent state), so each token costs one position's forward pass. A model
    /// with a bounded context (attention, learned positions) that reaches ``blockSize`` tokens is
    /// re-primed with the last half block and continues from there.
    /// - Throws: ``TokenizerError`` for a prompt byte outside the vocabulary or an empty prompt;
    ///   ``GenerationError`` when the model's logits are not finite (corrupt weights).
    @discardableResult
    public func generate(prompt: [UInt8], length: Int, temperature: Double = 1, topK: Int? = nil,
                         generator: inout RandomGenerator, emit: (UInt8) -> Void = { _ in }) throws -> [UInt8] {
        guard case .languageModel(let vocabulary) = task, let tokenizer, let blockSize else {
            preconditionFailure("generate needs a language model with a tokenizer and block size")
        }
        precondition(length >= 0 && temperature >= 0 && temperature.isFinite && (topK ?? 1) >= 1, "generate: invalid length, temperature or top-k")
        guard !prompt.isEmpty else { throw TokenizerError("the prompt is empty: give at least one byte") }
        var tokens = try tokenizer.encode(prompt)
        let wasTraining = network.isTraining
        network.eval()
        defer { network.train(wasTraining) }
        let bounded = network.hasBoundedContext
        let cache = DecodingCache<Scalar>()
        var output: [UInt8] = []
        output.reserveCapacity(length)
        try withoutGradients {
            // The prompt (its last block when bounded) in one pass, then one token per step.
            var pending = bounded ? Array(tokens.suffix(blockSize)) : tokens
            for _ in 0..<length {
                if bounded, cache.position + pending.count > blockSize {
                    cache.reset()
                    pending = Array(tokens.suffix(Swift.max(1, blockSize / 2)))
                }
                let input = Tensor<Scalar>(shape: [1, pending.count], scalars: pending.map { Scalar(Double($0)) })
                let logits = network.incrementalForward(input, cache: cache)
                cache.advance(by: pending.count)
                let last = logits.doubleScalars.suffix(vocabulary)
                guard last.allSatisfy(\.isFinite) else {
                    throw GenerationError(description: "the model's next-token scores are not finite numbers (NaN or ∞) after \(output.count) generated bytes: its weights are corrupt or diverged")
                }
                let next = Self.sample(Array(last), temperature: temperature, topK: topK, generator: &generator)
                tokens.append(next)
                output.append(tokenizer.bytes[next])
                emit(tokenizer.bytes[next])
                pending = [next]
            }
        }
        return output
    }

    /// A token drawn from `logits`: the arg-max at temperature 0, else softmax(logits / T) over the
    /// `topK` largest (ties kept in index order).
    public static func sample(_ logits: [Double], temperature: Double, topK: Int?, generator: inout RandomGenerator) -> Int {
        let best = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) } ?? 0
        if temperature == 0 { return best }
        var order = Array(logits.indices)
        if let topK, topK < logits.count {
            order.sort { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            order = Array(order.prefix(topK)).sorted()
        }
        let top = logits[best]
        let weights = order.map { Foundation.exp((logits[$0] - top) / temperature) }
        let total = weights.reduce(0, +)
        var draw = generator.nextDouble() * total
        for (i, weight) in weights.enumerated() {
            draw -= weight
            if draw < 0 { return order[i] }
        }
        return order.last ?? best
    }
}

/// Generation that cannot go on: the model's scores for the next token are not numbers.
public struct GenerationError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, in words.
    public let description: String
}
