import Foundation
import Synapse

/// `synapse bench`: throughput figures that later work can track. Always build in release mode
/// (`swift run -c release synapse bench`); debug builds are 10–100× slower.
enum BenchCommand {
    static let help = """
    Usage: synapse bench [--repeats N] [--data DIR] [--compare] [--sequence-only | --gemm-only] [--json]

    Prints, for this machine: its measured fp32 FLOP limit; the tutorial's 10 000 epochs; GEMM
    GFLOP/s per backend (swift, native) for 256³, 1024³, the MNIST MLP's and the GPT's shapes; seconds per
    MNIST epoch and samples/s for the MLPs 784-128-10 and 784-256-256-10 (ReLU, softmax
    cross-entropy, Adam, batch 128) and for LeNet-5 (SGD momentum, batch 64; with a per-layer
    forward/backward table); inference latency at batch 1 and throughput at batch 1000; training
    tokens/s of the text demo's GPT and of a 2-layer 256-unit LSTM language model, and GPT
    generation tokens/s with the KV cache against recomputing the window; peak memory. Every
    throughput is also given as a fraction of the FLOP limit.

    Options:
          --repeats N  timed repetitions per figure; the median is reported (default 5)
          --data DIR   the MNIST directory (default: ../shared/data/mnist; synthetic data of
                       the same shape, labelled as such, when it is absent)
          --compare    also time the tutorial's NumPy program in this run (needs python3 with numpy)
          --sequence-only
                       only the FLOP limit and the sequence-model figures
          --gemm-only  only the FLOP limit and the GEMM table
          --json       print the figures as one JSON object on stdout (the report goes to stderr)
      -h, --help       show this help

    Benchmarks/compare runs the same workloads in NumPy and PyTorch and prints the ratios.
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let parsed = try Arguments(arguments, command: "bench", valued: ["repeats", "data"], flags: ["compare", "json", "sequence-only", "gemm-only"], in: invocation)
        if parsed.flag("help") { invocation.print(help); return }
        let json = parsed.flag("json")
        var results: [String: Any] = [:]
        // With --json the readable report goes to stderr and one JSON object to stdout.
        func say(_ text: String) {
            if json { invocation.writeError(text + "\n") } else { invocation.print(text) }
        }
        let repeats = try parsed.integer("repeats", default: 5, in: 1...1000, command: "bench")

        say("Synapse benchmark (median of \(repeats); \(ProcessInfo.processInfo.activeProcessorCount) cores; native GEMM kernel: \(GEMM.nativeKernel))")
        #if DEBUG
        say("warning: this is a debug build; measure with 'swift run -c release synapse bench'")
        #endif
        let peak = GEMM.measuredPeakGFLOPS()
        let limit = peak > 0 ? peak : 228
        results["limit_gflops"] = limit
        results["native_kernel"] = GEMM.nativeKernel.rawValue
        say(String(format: "machine fp32 FLOP limit (FMA loop on %d threads): %.0f GFLOP/s", Parallel.threadCount, peak)
              + (peak > 0 ? "" : " (no FMA: using the notes' 228 GFLOP/s)"))
        if parsed.flag("sequence-only") && parsed.flag("gemm-only") {
            throw CommandLineError.usage("'--sequence-only' and '--gemm-only' exclude each other", command: "bench")
        }
        if parsed.flag("gemm-only") {
            results.merge(gemmTable(repeats: repeats, limit: limit, say: say)) { $1 }
            if json { invocation.print(String(decoding: try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys]), as: UTF8.self)) }
            return
        }
        if parsed.flag("sequence-only") {
            results.merge(try SequenceBench.run(repeats: repeats, limit: limit, say: say)) { $1 }
            results["peak_rss_mb"] = peakMemoryMegabytes()
            if json { invocation.print(String(decoding: try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys]), as: UTF8.self)) }
            return
        }

        // The tutorial: 10 000 epochs of the 2-2-1 XOR network, no printing.
        let X = Tensor<Double>(Tutorial.xorInputs), y = Tensor<Double>(Tutorial.xorTargets)
        let tutorial = median(repeats) {
            _ = Tutorial.trainNetwork(X, y, inputSize: 2, hiddenSize: 2, outputSize: 1, epochs: 10_000, learningRate: 0.1, log: nil)
        }
        results["tutorial_seconds"] = tutorial
        say(String(format: "\ntutorial XOR, 10 000 epochs (Seed port):   %8.2f ms   (%.2f µs/epoch)", tutorial * 1e3, tutorial * 1e2))
        let autodiffNetwork = AutodiffNetwork(inputSize: 2, hiddenSize: 2, outputSize: 1)
        let autodiff = median(max(1, repeats / 2)) {
            autodiffNetwork.train(X, y, epochs: 10_000, learningRate: 0.1)
        }
        say(String(format: "tutorial XOR, 10 000 epochs (autodiff):    %8.2f ms", autodiff * 1e3))
        if parsed.flag("compare") {
            if let numpy = numpyTutorialSeconds(repeats: repeats) {
                say(String(format: "NumPy, same program, this run:             %8.2f ms   → Synapse is %.1f× faster", numpy * 1e3, numpy / tutorial))
            } else {
                say("NumPy, same program: not measured (python3 with numpy not found)")
            }
        }

        results.merge(gemmTable(repeats: repeats, limit: limit, say: say)) { $1 }
        let double = gemmGFLOPS(Double.self, transposeA: false, transposeB: false, m: 1024, n: 1024, k: 1024, repeats: repeats)
        say(String(format: "  %@ %9.1f (%@; fp64 limit is half the fp32 one)",
                     "1024³ in Double".padding(toLength: 33, withPad: " ", startingAt: 0), double,
                     GEMM.backend.rawValue == "blas" ? "OpenBLAS" : "Swift kernel"))

        // MNIST MLPs.
        let directory = parsed.path("data") ?? parsed.resolve(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path)
        let train: Dataset<Float>
        var source = "MNIST"
        if parsed.path("data") != nil {
            // Data the user named must load, with enough rows for every workload (inference takes 1 000).
            do { train = try MNIST.load(.train, from: directory.location) } catch { throw CommandLineError.failure("\(error)") }
            guard train.count >= 1_000 else {
                throw CommandLineError.failure("\(directory): \(train.count) training images; the benchmark needs at least 1000")
            }
        } else if let loaded: Dataset<Float> = try? MNIST.load(.train, from: directory.location) {
            train = loaded
        } else {
            var g = RandomGenerator(seed: 1)
            train = Dataset(features: Tensor(randomUniform: [60_000, 784], low: 0, high: 1, generator: &g),
                            targets: Tensor((0..<60_000).map { Float($0 % 10) }))
            source = "SYNTHETIC data of MNIST's shape (\(directory) not found)"
        }
        say("\ntraining one epoch on \(source), \(train.count) samples, Adam 1e-3, batch 128, ReLU, softmax cross-entropy:")
        for hidden in [[128], [256, 256]] {
            let (model, flopsPerSample) = mlp(hidden: hidden)
            let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
            var seed: UInt32 = 0
            let seconds = median(max(1, min(repeats, 5))) {
                seed += 1
                _ = try? model.fit(train, optimizer: optimizer, epochs: 1, batchSize: 128, seed: seed)
            }
            let name = "784-" + hidden.map(String.init).joined(separator: "-") + "-10"
            results["epoch_\(name)_seconds"] = seconds
            let gflops = flopsPerSample * 60_000 / seconds / 1e9
            say(String(format: "  %@  %.3f s/epoch  %8.0f samples/s  %6.1f GFLOP/s (%2.0f%% of the limit; limit-bound epoch %.3f s)",
                         name.padding(toLength: 16, withPad: " ", startingAt: 0), seconds, 60_000 / seconds, gflops, 100 * gflops / limit,
                         flopsPerSample * 60_000 / (limit * 1e9)))
        }

        // LeNet-5 (the CNN issue's recipe).
        say("\ntraining one epoch of LeNet-5 on \(source), SGD momentum 0.9, lr 0.01, batch 64:")
        var lenetGenerator = RandomGenerator(seed: 42)
        let lenet = Model(TrainingDemos.lenet(generator: &lenetGenerator), task: .classification(classes: 10))
        let sgd = SGD(parameters: lenet.parameters, learningRate: 0.01, momentum: 0.9)
        var lenetSeed: UInt32 = 0
        let lenetSeconds = median(max(1, min(repeats, 3))) {
            lenetSeed += 1
            _ = try? lenet.fit(train, optimizer: sgd, epochs: 1, batchSize: 64, seed: lenetSeed)
        }
        let lenetFLOP = TrainingDemos.lenetTrainingFLOPPerSample
        results["epoch_lenet5_seconds"] = lenetSeconds
        say(String(format: "  LeNet-5           %.3f s/epoch  %8.0f samples/s  %6.1f GFLOP/s (%2.0f%% of the limit; limit-bound epoch %.3f s)",
                     lenetSeconds, 60_000 / lenetSeconds, lenetFLOP * 60_000 / lenetSeconds / 1e9,
                     100 * lenetFLOP * 60_000 / lenetSeconds / 1e9 / limit, lenetFLOP * 60_000 / (limit * 1e9)))
        say("  per layer, batch 64 (forward / backward, ms):")
        var input = train.features.rows(0..<64).copy()
        let layers = (lenet.network as! Sequential<Float>).layers
        for (index, layer) in layers.enumerated() {
            let x = input.detached()
            // As in training: a layer's input needs a gradient only when a layer before it has parameters
            // (conv1, after the parameterless Reshape of the data, computes no input gradient).
            x.requiresGrad = layers[..<index].contains { !$0.parameters.isEmpty }
            let forward = median(max(3, repeats)) { _ = layer(x) }
            let output = layer(x)
            let upstream = Tensor<Float>(repeating: 1, shape: output.shape)
            let both = output.requiresGrad ? median(max(3, repeats)) { layer(x).backward(gradient: upstream) } : forward
            say(String(format: "    %-28@ %7.3f / %7.3f", layer.summary as NSString, forward * 1e3, max(0, both - forward) * 1e3))
            input = withoutGradients { layer(input) }
        }

        // Inference.
        let (model, _) = mlp(hidden: [128])
        model.network.eval()
        let one = train.features.rows(0..<1).copy(), thousand = train.features.rows(0..<1000).copy()
        let single = median(repeats) { for _ in 0..<1000 { _ = withoutGradients { model.network(one) } } } / 1000
        let batch = median(repeats) { _ = withoutGradients { model.network(thousand) } }
        results["inference_batch1_seconds"] = single
        results["inference_batch1000_samples_per_second"] = 1000 / batch
        results["data"] = source
        say(String(format: "\ninference 784-128-10: batch 1 %.2f µs;  batch 1000 %.0f samples/s (%.1f GFLOP/s, %.0f%% of the limit)",
                     single * 1e6, 1000 / batch, 1000 * 203_264 / batch / 1e9, 100 * 1000 * 203_264 / batch / 1e9 / limit))

        results.merge(try SequenceBench.run(repeats: repeats, limit: limit, say: say)) { $1 }
        say(String(format: "\npeak memory (max RSS): %.1f MB", peakMemoryMegabytes()))
        results["peak_rss_mb"] = peakMemoryMegabytes()
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
            invocation.print(String(decoding: data, as: UTF8.self))
        }
    }

    /// An MNIST MLP classifier (784 → hidden… → 10, ReLU) and its training FLOP per sample
    /// (forward and weight gradients for every layer, input gradients for all but the first).
    static func mlp(hidden: [Int]) -> (Model<Float>, Double) {
        var g = RandomGenerator(seed: 42)
        let sizes = [784] + hidden + [10]
        var multiplyAdds = 0, inputGradients = 0
        for (i, (inputs, outputs)) in zip(sizes, sizes.dropFirst()).enumerated() {
            multiplyAdds += inputs * outputs
            if i > 0 { inputGradients += inputs * outputs }
        }
        let model = Model(Sequential<Float>.mlp(sizes: sizes, activation: .relu, generator: &g), task: .classification(classes: 10))
        return (model, 2 * Double(2 * multiplyAdds + inputGradients))
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

    /// The products timed by the GEMM table: name, transposeA, transposeB, m, n, k.
    static let gemmShapes: [(String, Bool, Bool, Int, Int, Int)] = [
        ("256×256·256×256", false, false, 256, 256, 256),
        ("1024×1024·1024×1024", false, false, 1024, 1024, 1024),
        ("MLP fwd 128×784·784×128", false, true, 128, 128, 784),
        ("MLP dW  (128×128)ᵀ·128×784", true, false, 128, 784, 128),
        ("MLP dX  128×128·128×784", false, false, 128, 784, 128),
        // The GPT of the text demo (32 × 128 tokens, width 128): qkv, MLP up and down, and their gradients.
        ("GPT qkv 4096×128·(384×128)ᵀ", false, true, 4096, 384, 128),
        ("GPT up  4096×128·(512×128)ᵀ", false, true, 4096, 512, 128),
        ("GPT down 4096×512·(128×512)ᵀ", false, true, 4096, 128, 512),
        ("GPT dW  (4096×384)ᵀ·4096×128", true, false, 384, 128, 4096),
        ("GPT dX  4096×384·384×128", false, false, 4096, 128, 384),
    ]

    /// GFLOP/s of every shape of ``gemmShapes`` under every backend, printed as a table.
    static func gemmTable(repeats: Int, limit: Double, say: (String) -> Void) -> [String: Any] {
        var results: [String: Any] = [:]
        say("\nGEMM (Float, C = op(A)·op(B)), GFLOP/s and fraction of the limit:")
        say("  shape                              " + GEMM.Backend.allCases.map { $0.rawValue.leftPadded(16) }.joined())
        let chosen = GEMM.backend
        defer { GEMM.backend = chosen }
        for (name, ta, tb, m, n, k) in gemmShapes {
            var line = "  " + name.padding(toLength: 33, withPad: " ", startingAt: 0)
            for backend in GEMM.Backend.allCases {
                GEMM.backend = backend
                let gflops = gemmGFLOPS(Float.self, transposeA: ta, transposeB: tb, m: m, n: n, k: k, repeats: repeats)
                line += String(format: "%9.1f (%3.0f%%)", gflops, 100 * gflops / limit)
                results["gemm_\(backend.rawValue)_\(m)x\(n)x\(k)\(ta ? "_ta" : "")\(tb ? "_tb" : "")_gflops"] = gflops
            }
            say(line)
        }
        return results
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
