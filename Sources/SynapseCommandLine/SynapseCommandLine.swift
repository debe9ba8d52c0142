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
      generate  text from a language model (train one with 'train --task language-model')
      inspect   what a model file holds: architecture, parameters, metadata
      plot      SVG pictures: the network, a decision boundary, a confusion matrix
      demo      built-in demonstrations: seed, xor, digits, mnist, text (no name: the README's main job)
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

    /// Runs the command `arguments` names (`["train", "--data", …]`, the program name left out) in
    /// the process's working directory, with its standard streams: data on standard output, errors
    /// and progress on standard error. Returns the exit status: 0 on success, 1 when the work
    /// failed, 2 for invalid flags or arguments.
    public static func run(_ arguments: [String]) -> Int32 {
        run(arguments, context: .process)
    }

    /// Runs the command `arguments` names in `context`: relative paths resolve against its working
    /// directory, `--data -` reads its standard input, and output, errors and progress go to its
    /// streams. Commands in contexts of their own may run at the same time. Returns the exit status
    /// as ``run(_:)`` does.
    public static func run(_ arguments: [String], context: CommandContext) -> Int32 {
        let invocation = Invocation(context: context)
        var arguments = arguments
        guard let command = arguments.first else {
            invocation.writeError(help + "\n")
            return 2
        }
        arguments.removeFirst()
        do {
            switch command {
            case "train": try TrainCommand.run(arguments, in: invocation)
            case "evaluate": try EvaluateCommand.run(arguments, in: invocation)
            case "predict": try PredictCommand.run(arguments, in: invocation)
            case "generate": try GenerateCommand.run(arguments, in: invocation)
            case "inspect": try InspectCommand.run(arguments, in: invocation)
            case "plot": try PlotCommand.run(arguments, in: invocation)
            case "demo": try DemoCommand.run(arguments, in: invocation)
            case "bench": try BenchCommand.run(arguments, in: invocation)
            case "-h", "--help", "help": invocation.print(help)
            case "--version": invocation.print("synapse \(Synapse.version)")
            default: throw CommandLineError.usage("unknown command '\(command)'", command: "")
            }
            return 0
        } catch let error as CommandLineError {
            invocation.writeError("synapse: \(bounded(invocation.showingPathsAsGiven(error.description)))\n")
            return error.exitCode
        } catch {
            invocation.writeError("synapse: \(bounded(invocation.showingPathsAsGiven(String(describing: error))))\n")
            return 1
        }
    }
}
