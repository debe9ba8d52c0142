import SynapseCore
import SynapseNN

extension Model {
    /// A language model around `network` (token ids `[N, T]` in, logits `[N, T, V]` out) for the
    /// text of `corpus`: its task, tokenizer, context length and loss (softmax cross-entropy over
    /// every position).
    public static func languageModel(_ network: any Layer<Scalar>, tokenizer: ByteTokenizer, blockSize: Int) -> Model<Scalar> {
        precondition(blockSize > 0, "a language model needs a positive block size")
        let model = Model(network, task: .languageModel(vocabulary: tokenizer.vocabularySize))
        model.tokenizer = tokenizer
        model.blockSize = blockSize
        model.loss = .softmaxCrossEntropy
        return model
    }

    /// Trains a language model on `corpus` (nanoGPT's training loop as `fit` epochs): every epoch
    /// draws `windowsPerEpoch` random windows of ``blockSize`` + 1 tokens from the training part
    /// (seeded by `options.seed` and the epoch, so a resumed run draws the same ones; by default as
    /// many windows as the training text has blocks, about one pass over it), and the validation
    /// loss is measured on consecutive windows of the held-out part. `options.validation` and
    /// `options.epochData` are set here.
    ///
    /// Resuming (`resumingFrom`: the state of a checkpoint written with `options.checkpointing`,
    /// whose model this is, ``Model/loadCheckpoint(from:)``): the windows of epoch `e` depend only
    /// on the seed and `e`, and the checkpoint restores the optimizer (moments, step counts), the
    /// generators and the history, so a run interrupted after epoch k and resumed ends with weights
    /// bit-identical to the run that was never interrupted — given the same text, tokenized with
    /// the model's tokenizer (`TextCorpus(text:tokenizer: model.tokenizer, …)`), and the same
    /// held-out fraction, windows per epoch, kind of optimizer, batch size, seed, schedule and clipping.
    /// - Throws: ``TrainingError`` as `fit` does, when the text is shorter than a window, or when
    ///   the corpus was tokenized with another vocabulary than the model's ``tokenizer``.
    @discardableResult
    public func fitLanguageModel(_ corpus: TextCorpus, optimizer: any Optimizer<Scalar>, epochs: Int, windowsPerEpoch: Int? = nil,
                                 options: FitOptions<Scalar>, resumingFrom resumed: TrainingState? = nil) throws -> History {
        guard case .languageModel = task, let blockSize else { preconditionFailure("fitLanguageModel needs a language model (Model.languageModel)") }
        if let tokenizer, tokenizer != corpus.tokenizer {
            throw TrainingError.invalidData("the text's vocabulary (\(corpus.tokenizer.vocabularySize) bytes) is not the model's (\(tokenizer.vocabularySize) bytes): tokenize it with the model's, TextCorpus(text:tokenizer:)")
        }
        guard corpus.training.count > blockSize else {
            throw TrainingError.invalidData("the training text has \(corpus.training.count) tokens: fewer than one window of \(blockSize) + 1")
        }
        let count = Swift.max(1, windowsPerEpoch ?? corpus.training.count / blockSize)
        var options = options
        let seed = options.seed
        options.epochData = { epoch in
            var generator = RandomGenerator(seed: seed &+ 7919 &* UInt32(truncatingIfNeeded: epoch + 1))
            return TextCorpus.randomWindows(of: corpus.training, count: count, blockSize: blockSize, generator: &generator)
        }
        options.validation = corpus.validation.count >= 2 ? .data(TextCorpus.consecutiveWindows(of: corpus.validation, blockSize: blockSize)) : .none
        // `fit` checks the ids of one epoch's windows; the others come from the same text.
        let first = options.epochData?(0) ?? TextCorpus.consecutiveWindows(of: corpus.training, blockSize: blockSize)
        return try fit(first, optimizer: optimizer, epochs: epochs, options: options, resumingFrom: resumed)
    }
}

extension AdamW {
    /// AdamW as GPT-2/nanoGPT train it: weight decay on matrices (embeddings and weights, rank ≥ 2)
    /// only, none on biases and norms (PyTorch's two parameter groups).
    public static func decayingMatrices<Scalar: TensorScalar>(parameters: [Tensor<Scalar>], learningRate: Double, beta1: Double = 0.9,
                                                              beta2: Double = 0.99, weightDecay: Double = 0.1) -> Adam<Scalar> {
        let optimizer = AdamW.make(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, weightDecay: weightDecay)
        optimizer.decays = parameters.map { $0.rank >= 2 }
        return optimizer
    }
}
