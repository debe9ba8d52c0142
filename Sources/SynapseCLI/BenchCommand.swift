import Foundation
import Synapse

/// `synapse bench`: throughput figures that later work can track. Always build in release mode
/// (`swift run -c release synapse bench`); debug builds are 10–100× slower.
enum BenchCommand {
    static let help = """
    Usage: synapse bench [--repeats N] [--compare]

    Prints the time of the tutorial's 10 000 epochs and GEMM throughput (GFLOP/s) for
    256³, 1024³ and the MNIST MLP's shapes, each as a fraction of the machine's FLOP limit.

    Options:
          --repeats N  timed repetitions per figure; the median is reported (default 7)
          --compare    also time the tutorial's NumPy program in this run (needs python3 with numpy)
      -h, --help       show this help
    """

    /// fp32 FLOP limit of the reference machine (2 Zen 4 cores, AVX-512 FMA at ≈3.6 GHz), from
    /// shared/notes/engineering-facts.md; used only to express figures as a fraction.
    static let machinePeakGFLOPS = 228.0

    static func run(_ arguments: [String]) throws {
        let parsed = try Arguments(arguments, command: "bench", valued: ["repeats"], flags: ["compare"])
        if parsed.flag("help") { print(help); return }
        let repeats = try parsed.integer("repeats", default: 7, in: 1...1000, command: "bench")

        print("Synapse benchmark (median of \(repeats); \(ProcessInfo.processInfo.activeProcessorCount) cores)")
        #if DEBUG
        print("warning: this is a debug build; measure with 'swift run -c release synapse bench'")
        #endif

        // The tutorial: 10 000 epochs of the 2-2-1 XOR network, no printing.
        let X = Tensor<Double>(Tutorial.xorInputs), y = Tensor<Double>(Tutorial.xorTargets)
        let tutorial = median(repeats) {
            _ = Tutorial.trainNetwork(X, y, inputSize: 2, hiddenSize: 2, outputSize: 1, epochs: 10_000, learningRate: 0.1, log: nil)
        }
        print(String(format: "\ntutorial XOR, 10 000 epochs (Seed port):   %8.2f ms   (%.2f µs/epoch)", tutorial * 1e3, tutorial * 1e2))
        let autodiffNetwork = AutodiffNetwork(inputSize: 2, hiddenSize: 2, outputSize: 1)
        let autodiff = median(max(1, repeats / 2)) {
            autodiffNetwork.train(X, y, epochs: 10_000, learningRate: 0.1)
        }
        print(String(format: "tutorial XOR, 10 000 epochs (autodiff):    %8.2f ms", autodiff * 1e3))
        if parsed.flag("compare") {
            if let numpy = numpyTutorialSeconds(repeats: repeats) {
                print(String(format: "NumPy, same program, this run:             %8.2f ms   → Synapse is %.1f× faster", numpy * 1e3, numpy / tutorial))
            } else {
                print("NumPy, same program: not measured (python3 with numpy not found)")
            }
        } else {
            print(String(format: "NumPy reference (0.285 s, engineering notes): Synapse is %.1f× faster (use --compare to measure here)", 0.285 / tutorial))
        }

        print("\nGEMM (Float, C = op(A)·op(B)):")
        print("  shape                               GFLOP/s   of peak")
        let shapes: [(String, Bool, Bool, Int, Int, Int)] = [
            ("256×256·256×256", false, false, 256, 256, 256),
            ("1024×1024·1024×1024", false, false, 1024, 1024, 1024),
            ("MLP fwd 128×784·784×128", false, false, 128, 128, 784),
            ("MLP dW  (128×784)ᵀ·128×128", true, false, 784, 128, 128),
            ("MLP dX  128×128·(784×128)ᵀ", false, true, 128, 784, 128),
        ]
        for (name, ta, tb, m, n, k) in shapes {
            let gflops = gemmGFLOPS(Float.self, transposeA: ta, transposeB: tb, m: m, n: n, k: k, repeats: repeats)
            print(String(format: "  %@ %9.1f   %5.1f %%", name.padding(toLength: 34, withPad: " ", startingAt: 0), gflops, 100 * gflops / machinePeakGFLOPS))
        }
        let double = gemmGFLOPS(Double.self, transposeA: false, transposeB: false, m: 1024, n: 1024, k: 1024, repeats: repeats)
        print(String(format: "  %@ %9.1f   %5.1f %% (of the fp64 limit, half the fp32 one)",
                     "1024³ in Double".padding(toLength: 34, withPad: " ", startingAt: 0), double, 200 * double / machinePeakGFLOPS))

        print(String(format: "\npeak memory (max RSS): %.1f MB", peakMemoryMegabytes()))
    }

    /// The process's peak resident set size.
    static func peakMemoryMegabytes() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024          // kilobytes on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1024 / 1024   // bytes on macOS
        #endif
    }

    /// The median wall time of `repeats` runs of `body`, after one warm-up run.
    static func median(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
    }

    /// GFLOP/s of `C = op(A)·op(B)` with random operands, repeated to at least ~50 ms per sample.
    static func gemmGFLOPS<Scalar: TensorScalar>(_ type: Scalar.Type, transposeA: Bool, transposeB: Bool,
                                                 m: Int, n: Int, k: Int, repeats: Int) -> Double {
        var generator = RandomGenerator(seed: 7)
        let a = Tensor<Scalar>(randomNormal: transposeA ? [k, m] : [m, k], generator: &generator)
        let b = Tensor<Scalar>(randomNormal: transposeB ? [n, k] : [k, n], generator: &generator)
        let c = Tensor<Scalar>(zeros: [m, n])
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let inner = max(1, Int(5e8 / flops))   // ≈ 50 ms per sample at 10 GFLOP/s
        let seconds = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    median(repeats) {
                        for _ in 0..<inner {
                            Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                        alpha: 1, a: pa.baseAddress!, lda: transposeA ? m : k,
                                        b: pb.baseAddress!, ldb: transposeB ? k : n,
                                        beta: 0, c: pc.baseAddress!, ldc: n)
                        }
                    }
                }
            }
        }
        return flops * Double(inner) / seconds / 1e9
    }

    /// The tutorial's NumPy program (without printing), timed in-process by Python; nil if unavailable.
    static func numpyTutorialSeconds(repeats: Int) -> Double? {
        let program = """
        import time, numpy as np
        def run():
            np.random.seed(42)
            W1 = np.random.randn(2, 2); b1 = np.zeros((1, 2)); W2 = np.random.randn(2, 1); b2 = np.zeros((1, 1))
            X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([[0], [1], [1], [0]])
            sig = lambda x: 1 / (1 + np.exp(-x))
            for epoch in range(10000):
                a1 = sig(np.dot(X, W1) + b1); a2 = sig(np.dot(a1, W2) + b2)
                loss = np.mean((y - a2) ** 2)
                od = (y - a2) * (a2 * (1 - a2)); hd = np.dot(od, W2.T) * (a1 * (1 - a1))
                W2 += 0.1 * np.dot(a1.T, od); b2 += 0.1 * np.sum(od, axis=0, keepdims=True)
                W1 += 0.1 * np.dot(X.T, hd); b1 += 0.1 * np.sum(hd, axis=0, keepdims=True)
        run()
        times = []
        for _ in range(\(repeats)):
            t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
        print(sorted(times)[len(times) // 2])
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", program]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
