import Foundation
import Synapse

/// `synapse`: train, evaluate and explore neural networks from the shell.
let help = """
Usage: synapse COMMAND [OPTIONS]

Synapse: a neural-network library and tool in Swift, grown from the tutorial
"Implementing a Neural Network from Scratch in Python".

Commands:
  demo [seed|xor|digits|mnist]  run a built-in demonstration (no name: the README's main job)
  bench                         print throughput figures (tutorial epochs, GEMM GFLOP/s)

Options:
  -h, --help     show this help ('synapse COMMAND --help' for a command's options)
      --version  print the version

Exit status: 0 on success, 1 when the work failed, 2 for invalid flags or arguments.
"""

func main() -> Int32 {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let command = arguments.first else {
        FileHandle.standardError.write(Data((help + "\n").utf8))
        return 2
    }
    arguments.removeFirst()
    do {
        switch command {
        case "demo": try DemoCommand.run(arguments)
        case "bench": try BenchCommand.run(arguments)
        case "-h", "--help", "help": print(help)
        case "--version": print("synapse \(Synapse.version)")
        default: throw CommandLineError.usage("unknown command '\(command)'", command: "")
        }
        return 0
    } catch let error as CommandLineError {
        FileHandle.standardError.write(Data("synapse: \(error)\n".utf8))
        return error.exitCode
    } catch {
        FileHandle.standardError.write(Data("synapse: \(error)\n".utf8))
        return 1
    }
}

exit(main())
