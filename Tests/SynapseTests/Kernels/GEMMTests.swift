import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// op(A)·op(B) computed naively in Double, as the reference.
private func reference(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, a: [Double], lda: Int, b: [Double], ldb: Int) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k {
        c[i * n + j] += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j])
    } } }
    return c
}

/// Runs GEMM for one configuration and returns the max absolute error against the reference.
private func gemmError<T: TensorScalar>(_ type: T.Type, ta: Bool, tb: Bool, m: Int, n: Int, k: Int,
                                        alpha: Double = 1, beta: Double = 0, padding: Int = 0, seed: UInt32 = 1) -> Double {
    var g = RandomGenerator(seed: seed)
    let lda = (ta ? m : k) + padding, ldb = (tb ? k : n) + padding, ldc = n + padding
    let a = (0..<((ta ? k : m) * lda)).map { _ in g.uniform(low: -1, high: 1) }
    let b = (0..<((tb ? n : k) * ldb)).map { _ in g.uniform(low: -1, high: 1) }
    let c0 = (0..<(m * ldc)).map { _ in g.uniform(low: -1, high: 1) }
    var c = c0.map { beta == 0 ? T.nan : T($0) }
    let ta32 = a.map { T($0) }, tb32 = b.map { T($0) }
    c.withUnsafeMutableBufferPointer { pc in
        T.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: T(alpha), a: ta32, lda: lda, b: tb32, ldb: ldb,
               beta: T(beta), c: pc.baseAddress!, ldc: ldc)
    }
    let expected = reference(ta, tb, m: m, n: n, k: k, a: ta32.map(Double.init), lda: lda, b: tb32.map(Double.init), ldb: ldb)
    var worst = 0.0
    for i in 0..<m { for j in 0..<n {
        let want = alpha * expected[i * n + j] + (beta == 0 ? 0 : beta * Double(T(c0[i * ldc + j])))
        worst = max(worst, abs(Double(c[i * ldc + j]) - want))
    } }
    return worst
}

@Suite("GEMM")
struct GEMMTests {
    static let transposes = [(false, false), (true, false), (false, true), (true, true)]

    @Test("all transposes, edge sizes, both scalar types", arguments: transposes)
    func shapes(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        for (m, n, k) in [(1, 1, 1), (4, 2, 2), (3, 7, 5), (7, 17, 33), (13, 9, 300), (65, 33, 17), (129, 31, 257), (6, 8, 1), (100, 1, 40)] {
            let tolerance = Double(k) * 2e-6
            #expect(gemmError(Float.self, ta: ta, tb: tb, m: m, n: n, k: k) < tolerance, "Float \(m)×\(n)×\(k)")
            #expect(gemmError(Double.self, ta: ta, tb: tb, m: m, n: n, k: k) < 1e-12, "Double \(m)×\(n)×\(k)")
        }
    }

    @Test("alpha, beta and leading dimensions larger than the matrices", arguments: transposes)
    func scaling(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        #expect(gemmError(Double.self, ta: ta, tb: tb, m: 70, n: 45, k: 260, alpha: 0.5, beta: 1, padding: 3) < 1e-12)
        #expect(gemmError(Double.self, ta: ta, tb: tb, m: 5, n: 3, k: 4, alpha: -2, beta: 0.25, padding: 2) < 1e-12)
        #expect(gemmError(Float.self, ta: ta, tb: tb, m: 80, n: 70, k: 90, alpha: 1, beta: 0, padding: 5) < 1e-3)
    }

    @Test("beta = 0 ignores NaN in C; k = 0 scales C")
    func specialCases() {
        var c: [Float] = [.nan, .nan, 1, 2]
        let a: [Float] = [1, 2], b: [Float] = [3, 4]
        c.withUnsafeMutableBufferPointer { pc in
            Float.gemm(transposeA: false, transposeB: false, m: 2, n: 1, k: 1, alpha: 1, a: a, lda: 1, b: b, ldb: 1,
                       beta: 0, c: pc.baseAddress!, ldc: 1)
        }
        #expect(c[0] == 3 && c[1] == 6)
        var d: [Double] = [1, 2]
        d.withUnsafeMutableBufferPointer { pd in
            Double.gemm(transposeA: false, transposeB: false, m: 1, n: 2, k: 0, alpha: 1, a: [], lda: 1, b: [], ldb: 2,
                        beta: 3, c: pd.baseAddress!, ldc: 2)
        }
        #expect(d == [3, 6])
    }

    @Test("the MNIST MLP shapes, and identical bits on 1 and 2 threads")
    func determinism() {
        var g = RandomGenerator(seed: 9)
        let a = Tensor<Float>(randomNormal: [128, 784], generator: &g), w = Tensor<Float>(randomNormal: [128, 784], generator: &g)
        // And a weight gradient over a long batch (the depth split into slices summed in parallel row blocks).
        let g1 = Tensor<Float>(randomNormal: [2100, 200], generator: &g), x1 = Tensor<Float>(randomNormal: [2100, 128], generator: &g)
        func products() -> [[Float]] {
            [matmul(a, w, transposeB: true).scalars, matmul(a, a, transposeA: true).scalars, matmul(matmul(a, w, transposeB: true), w).scalars,
             matmul(g1, x1, transposeA: true).scalars]
        }
        Parallel.threadCountOverride = 1
        let one = products()
        Parallel.threadCountOverride = 2
        let two = products()
        Parallel.threadCountOverride = nil
        #expect(one == two)
        #expect(gemmError(Float.self, ta: false, tb: true, m: 128, n: 128, k: 784) < 784 * 2e-6)
        #expect(gemmError(Float.self, ta: true, tb: false, m: 784, n: 128, k: 128) < 128 * 2e-6)
    }

    @Test("the swift and native backends agree on every shape and transpose; elementwise kernels bit for bit")
    func backendsAgree() {
        // Calls each backend's code directly (no global switch, so concurrent tests are unaffected).
        var g = RandomGenerator(seed: 17)
        for (ta, tb) in Self.transposes {
            for (m, n, k) in [(1, 130, 784), (3, 10, 128), (7, 33, 65), (128, 128, 784), (37, 100, 1100), (6, 32, 16)] {
                let a = Tensor<Float>(randomNormal: ta ? [k, m] : [m, k], generator: &g)
                let b = Tensor<Float>(randomNormal: tb ? [n, k] : [k, n], generator: &g)
                let native = matmul(a, b, transposeA: ta, transposeB: tb).scalars
                let swift = Tensor<Float>(zeros: [m, n])
                GEMM.run(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.data, lda: ta ? m : k,
                         b: b.data, ldb: tb ? k : n, beta: 0, c: swift.data, ldc: n, kernel: .swift)
                let worst = zip(native, swift.scalars).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
                #expect(worst < 1e-4 * Float(k).squareRoot(), "\(m)×\(n)×\(k) ta \(ta) tb \(tb): \(worst)")
            }
        }
        let x = Tensor<Float>(randomNormal: [1000], generator: &g), y = Tensor<Float>(randomNormal: [1000], generator: &g)
        let unary: [UnaryOperation<Float>] = [.relu, .leakyReLU(0.1), .greaterThan(0.5), .times(3), .plus(-2), .negate, .square, .subtractedFrom(1)]
        for op in unary {
            let native = Tensor<Float>(zeros: [1000]), swift = Tensor<Float>(zeros: [1000])
            Float.map(op, x.data, native.data, count: 1000)
            Elementwise.map(op, x.data, swift.data, count: 1000)
            #expect(native.scalars == swift.scalars, "\(op)")
        }
        for op in [BinaryOperation.add, .subtract, .multiply, .divide] {
            let native = Tensor<Float>(zeros: [1000]), swift = Tensor<Float>(zeros: [1000])
            Float.combine(op, x.data, y.data, native.data, layout: BroadcastLayout(elementwise: 1000))
            Elementwise.combine(op, x.data, y.data, swift.data, layout: BroadcastLayout(elementwise: 1000))
            #expect(native.scalars == swift.scalars, "\(op)")
        }
        // The Adam update: the native C loop against the Swift lanes, three steps with decay.
        var states: [[Float]] = []
        for useNative in [true, false] {
            let p = x.copy(), m = Tensor<Float>(zeros: [1000]), v = Tensor<Float>(zeros: [1000])
            for t in 1...3 {
                let constants = AdamConstants<Float>(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1,
                                                     decoupledWeightDecay: 0, biasCorrection1: Float(1 - Foundation.pow(0.9, Double(t))),
                                                     biasCorrection2Root: Float((1 - Foundation.pow(0.999, Double(t))).squareRoot()))
                if useNative {
                    adamNative(p.data, gradient: y.data, m: m.data, v: v.data, count: 1000, constants)
                } else {
                    adamUpdate(p.data, gradient: y.data, m: m.data, v: v.data, vMax: nil, count: 1000, constants)
                }
            }
            states.append(p.scalars + m.scalars + v.scalars)
        }
        #expect(states[0] == states[1])
    }

    @Test("every native micro-kernel this CPU can run (AVX2 on an AVX-512 CPU too) on every path: bit-identical to each other, close to Double",
          arguments: transposes)
    func everyMicroKernel(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        // The kernels this CPU can execute: an AVX-512 machine also runs the AVX2 tiles (a Zen 4 or an older
        // Intel part would choose those), so both paths stay tested whatever the CI machine is.
        let kernels: [GEMM.MicroKernel] = GEMM.nativeKernel == .avx512 ? [.avx2, .avx512] : (GEMM.nativeKernel == .avx2 ? [.avx2] : [])
        guard !kernels.isEmpty else { return }
        var g = RandomGenerator(seed: 29)
        // In-place B strips (m ≤ 18), a row-major A read in place / a transposed one packed, the depth split
        // into slices (k > 1024) and into parallel partial sums (small C, long k), edge rows and columns;
        // operands small enough for the L1 cache read in place whatever their layout (attention's tiles);
        // a large C over a long k (both operands of each slice packed).
        for (m, n, k) in [(7, 64, 40), (17, 96, 300), (6, 32, 16), (37, 100, 1100), (50, 70, 2500), (130, 33, 520), (4096 / 16, 128, 384),
                          (64, 64, 32), (70, 96, 80), (400, 330, 1030)] {
            let a = Tensor<Float>(randomNormal: ta ? [k, m] : [m, k], generator: &g)
            let b = Tensor<Float>(randomNormal: tb ? [n, k] : [k, n], generator: &g)
            let exact = matmul(a.converted(to: Double.self), b.converted(to: Double.self), transposeA: ta, transposeB: tb).scalars
            var results: [[Float]] = []
            for kernel in kernels {
                let c = Tensor<Float>(zeros: [m, n])
                GEMM.run(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.data, lda: ta ? m : k,
                         b: b.data, ldb: tb ? k : n, beta: 0, c: c.data, ldc: n, kernel: kernel)
                let worst = zip(c.scalars, exact).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? 0
                #expect(worst < 1e-5 * Double(k).squareRoot(), "\(kernel) \(m)×\(n)×\(k) ta \(ta) tb \(tb): \(worst)")
                results.append(c.scalars)
            }
            // Each element is the same chain of fused multiply-adds over p whatever the vector width.
            #expect(Set(results.map { $0.map(\.bitPattern) }).count == 1, "\(m)×\(n)×\(k) ta \(ta) tb \(tb): the kernels differ")
        }
    }

    #if OpenBLAS
    @Test("the OpenBLAS backend agrees with the reference and the native kernel", arguments: transposes)
    func blasBackend(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        var g = RandomGenerator(seed: 23)
        for (m, n, k) in [(1, 1, 1), (3, 7, 5), (128, 128, 784), (37, 100, 1100)] {
            let a = Tensor<Float>(randomNormal: ta ? [k, m] : [m, k], generator: &g)
            let b = Tensor<Float>(randomNormal: tb ? [n, k] : [k, n], generator: &g)
            let blas = Tensor<Float>(zeros: [m, n])
            GEMM.blas(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.data, lda: ta ? m : k,
                      b: b.data, ldb: tb ? k : n, beta: 0, c: blas.data, ldc: n)
            let reference = Tensor<Float>(zeros: [m, n])
            GEMM.run(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: a.data, lda: ta ? m : k,
                     b: b.data, ldb: tb ? k : n, beta: 0, c: reference.data, ldc: n, kernel: .swift)
            let worst = zip(blas.scalars, reference.scalars).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
            #expect(worst < 1e-4 * Float(k).squareRoot(), "\(m)×\(n)×\(k): \(worst)")
            let ad = a.converted(to: Double.self), bd = b.converted(to: Double.self)
            let blasDouble = Tensor<Double>(zeros: [m, n]), referenceDouble = Tensor<Double>(zeros: [m, n])
            GEMM.blas(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: ad.data, lda: ta ? m : k,
                      b: bd.data, ldb: tb ? k : n, beta: 0, c: blasDouble.data, ldc: n)
            GEMM.run(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1, a: ad.data, lda: ta ? m : k,
                     b: bd.data, ldb: tb ? k : n, beta: 0, c: referenceDouble.data, ldc: n, kernel: .swift)
            #expect(zip(blasDouble.scalars, referenceDouble.scalars).allSatisfy { abs($0 - $1) < 1e-10 * max(1, abs($1)) })
        }
    }
    #endif
}
