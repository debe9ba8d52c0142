import SynapseCore
import SynapseNN
/// Settings that train well without tuning, as `synapse train` applies them when not told otherwise.
public enum TrainingDefaults {
    /// The "auto" number of epochs: about 2 000 updates — ⌈2000 / batches per epoch⌉ — kept within
    /// 20…500 (a 150-row data set trains 400 epochs of 5 batches; MNIST at batch 32, 20 epochs).
    public static func epochs(trainingRows: Int, batchSize: Int) -> Int {
        let batchesPerEpoch = Swift.max(1, (trainingRows + batchSize - 1) / Swift.max(batchSize, 1))
        return Swift.min(500, Swift.max(20, (2000 + batchesPerEpoch - 1) / batchesPerEpoch))
    }
}
