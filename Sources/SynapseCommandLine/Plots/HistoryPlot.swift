import Foundation
import Synapse

extension PlotCommand {
    /// `plot --kind history`: the training curves of the run that made the model at `path`, from the
    /// history stored in the file (a checkpoint's from its training state: the run so far).
    static func history(of model: Model<Float>, path: CommandPath, name: String) throws -> String {
        var history = model.history
        if history == nil, let checkpoint = try? Model<Float>.loadCheckpoint(from: path.location) { history = checkpoint.state.history }
        guard let history, !history.epochs.isEmpty else {
            throw CommandLineError.failure("\(path): the file holds no training history (a model saved before Synapse stored histories, or built without fit); 'synapse train --plot FILE.svg' draws the curves while training")
        }
        return Charts.trainingCurves(history, title: "Training \(name)")
    }
}
