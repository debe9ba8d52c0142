import Foundation
import Synapse

/// The `synapse` command line as a library: every command's parsing, checks and output, so the
/// executable is a few lines of `main` and programs (and tests) can run a command in-process.
public enum SynapseCommandLine {
    /// The top-level help: the commands, exit statuses and limits.
    public static let help = """
    Usage: synapse COMMAND [OPTIONS]

    Synapse: a neural-network library and tool in Swift, grown from the tutorial
    "Implementing a Neural Network from Scratch in Python".

    Commands:
      train     train a network on a CSV, .npy or MNIST data set and save the model
      evaluate  loss and metrics of a saved model on labelled data
      predict   predictions of a saved model, as CSV
      inspect   what a model file holds: architecture, parameters, metadata
      plot      SVG pictures: the network, a decision boundary, a confusion matrix
      demo      built-in demonstrations: seed, xor, digits, mnist (no name: the README's main job)
      bench     throughput figures (tutorial epochs, GEMM GFLOP/s)

    Options:
      -h, --help     show this help ('synapse COMMAND --help' for a command's options)
          --version  print the version

    Exit status: 0 on success, 1 when the work failed, 2 for invalid flags or arguments.

    Limits (inputs past them are refused with exit 1, or 2 when a flag asks for it; see the README):
      SYNAPSE_MAX_PARAMETERS          parameters of a network, and activation values of one layer
                                      for one batch (default: 268435456)
      SYNAPSE_MAX_CLASSES             classes of a classifier (default: 1000)
      SYNAPSE_MAX_DECOMPRESSED_BYTES  bytes inflated from one gzip file (default: 1 GiB)
      SYNAPSE_MAX_TENSORS             tensors in a safetensors header (default: 100000)
      fixed: a 100 MB safetensors header, 100 000 layers, names of 1 024 bytes
    """

    /// An error message of at most 2 000 characters (the middle cut out): a last guard against a message
    /// that quotes a huge field from an input.
    static func bounded(_ message: String) -> String {
        guard message.count > 2000 else { return message }
        return String(message.prefix(1000)) + " … " + String(message.suffix(1000))
    }

    /// Runs the command `arguments` names (`["train", "--data", …]`, the program name left out):
    /// data on standard output, errors and progress on standard error. Returns the exit status: 0 on
    /// success, 1 when the work failed, 2 for invalid flags or arguments.
    public static func run(_ arguments: [String]) -> Int32 {
        var arguments = arguments
        guard let command = arguments.first else {
            FileHandle.standardError.write(Data((help + "\n").utf8))
            return 2
        }
        arguments.removeFirst()
        do {
            switch command {
            case "train": try TrainCommand.run(arguments)
            case "evaluate": try EvaluateCommand.run(arguments)
            case "predict": try PredictCommand.run(arguments)
            case "inspect": try InspectCommand.run(arguments)
            case "plot": try PlotCommand.run(arguments)
            case "demo": try DemoCommand.run(arguments)
            case "bench": try BenchCommand.run(arguments)
            case "-h", "--help", "help": print(help)
            case "--version": print("synapse \(Synapse.version)")
            default: throw CommandLineError.usage("unknown command '\(command)'", command: "")
            }
            return 0
        } catch let error as CommandLineError {
            FileHandle.standardError.write(Data("synapse: \(bounded(error.description))\n".utf8))
            return error.exitCode
        } catch {
            FileHandle.standardError.write(Data("synapse: \(bounded(String(describing: error)))\n".utf8))
            return 1
        }
    }
}
