import SynapseCore
import SynapseNN
/// Why `fit` stopped with an error.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, batch: Int, value: Double, learningRate: Double)
    /// The data cannot be used as asked (empty, wrong shapes for the network, labels out of range…).
    case invalidData(String)

    /// A message naming where it happened and what to try.
    public var description: String {
        switch self {
        case .nonFiniteLoss(let epoch, let batch, let value, let learningRate):
            return "training diverged: the loss became \(value) at epoch \(epoch + 1), batch \(batch + 1); "
                + "try a lower learning rate (it was \(learningRate)), gradient clipping, or scaled features"
        case .invalidData(let message):
            return message
        }
    }
}
