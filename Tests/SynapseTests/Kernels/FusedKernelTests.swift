import Foundation
import Testing
import CSynapseKernels
import Synapse
@testable import SynapseCore

/// The single-precision C kernels of `activations.c` on every instruction-set path (AVX-512,
/// AVX2 + FMA, baseline; a path the CPU lacks falls back to the best it has), against Double.
@Suite("Fused float kernels (GELU, LayerNorm) on every instruction set")
struct FusedKernelTests {
    /// Inputs covering both erf ranges, the erfc tails, zero, huge values and a non-multiple of 16.
    private static let inputs: [Float] = {
        var values: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-4, -1e-4, 1.4142, -1.4142, 1.4143, -1.4143, 2.8284, -2.8284, 2.8285, -2.8285,
                               13, -13, 14, -14, 30, -30, 1e30, -1e30]
        var g = RandomGenerator(seed: 7)
        for _ in 0..<2000 { values.append(Float(g.uniform(low: -9.0, high: 9.0))) }
        for i in 0..<301 { values.append(Float(i - 150) * 0.05) }
        return values
    }()

    /// Φ(x) in Double (libm's erfc).
    private static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    @Test("GELU forward and backward match Double within 1e-7 relative on levels 0, 1, 2", arguments: [0, 1, 2])
    func gelu(level: Int32) {
        let x = Self.inputs, n = x.count
        var y = [Float](repeating: .nan, count: n), y2 = y, derivative = y
        let g = (0..<n).map { Float(($0 % 7) - 3) * 0.37 + 0.11 }
        synapse_gelu_forward_f32(x, &y, n, level)
        synapse_gelu_forward_derivative_f32(x, &y2, &derivative, n, level)
        #expect(y == y2, "the training forward's y differs from the plain forward's (level \(level))")
        let dx = zip(g, derivative).map { $0 * $1 }
        for i in 0..<n {
            let v = Double(x[i])
            let phi = Self.cdf(v), density = exp(-v * v / 2) / (2 * Double.pi).squareRoot()
            let (expectedY, expectedDX) = (v * phi, Double(g[i]) * (phi + v * density))
            let scale = Swift.max(1, abs(v))
            #expect(abs(Double(y[i]) - expectedY) <= 2e-7 * scale, "gelu(\(x[i])) = \(y[i]), expected \(expectedY) (level \(level))")
            #expect(abs(Double(dx[i]) - expectedDX) <= 3e-7 * scale * Swift.max(1, abs(Double(g[i]))),
                    "gelu'(\(x[i])) = \(dx[i]), expected \(expectedDX) (level \(level))")
        }
        // Non-finite inputs propagate.
        var out: Float = 0
        var nan = Float.nan
        synapse_gelu_forward_f32(&nan, &out, 1, level)
        #expect(out.isNaN)
    }

    @Test("LayerNorm forward and backward match Double on levels 0, 1, 2", arguments: [0, 1, 2])
    func layerNorm(level: Int32) {
        for features in [1, 5, 16, 33, 128] {
            let rows = 7
            var gen = RandomGenerator(seed: UInt32(features))
            let x = (0..<rows * features).map { _ in Float(gen.uniform(low: -3.0, high: 3.0)) + 10 }
            let w = (0..<features).map { _ in Float(gen.uniform(low: 0.5, high: 1.5)) }, b = (0..<features).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) }
            let g = (0..<rows * features).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) }
            var y = [Float](repeating: 0, count: rows * features), mean = [Float](repeating: 0, count: rows), rstd = mean
            var dx = y, dw = [Float](repeating: 0, count: features), db = dw
            synapse_layer_norm_forward_f32(x, w, b, &y, &mean, &rstd, rows, features, 1e-5, level)
            synapse_layer_norm_backward_f32(x, w, g, mean, rstd, &dx, &dw, &db, rows, features, level)
            // Double reference through the generic autograd op.
            let xt = Tensor<Double>(shape: [rows, features], scalars: x.map(Double.init), requiresGrad: true)
            let wt = Tensor<Double>(shape: [features], scalars: w.map(Double.init), requiresGrad: true)
            let bt = Tensor<Double>(shape: [features], scalars: b.map(Double.init), requiresGrad: true)
            let out: Tensor<Double> = SynapseCore.layerNorm(xt, weight: wt, bias: bt, epsilon: 1e-5)
            (out * Tensor<Double>(shape: [rows, features], scalars: g.map(Double.init))).sum().backward()
            func close(_ a: [Float], _ e: [Double], _ what: String, _ tolerance: Double) {
                for i in 0..<a.count { #expect(abs(Double(a[i]) - e[i]) <= tolerance * Swift.max(1, abs(e[i])), "\(what)[\(i)] (C \(features), level \(level))") }
            }
            close(y, out.scalars, "y", 2e-5)
            close(dx, xt.grad!.scalars, "dx", features == 1 ? 1e-3 : 5e-4)
            close(dw, wt.grad!.scalars, "dw", 2e-5)
            close(db, bt.grad!.scalars, "db", 1e-6)
        }
    }

    @Test("GELU and LayerNorm give bit-identical results on 1 and 2 threads")
    func deterministic() {
        var gen = RandomGenerator(seed: 3)
        let x = Tensor<Float>(shape: [600, 128], scalars: (0..<600 * 128).map { _ in Float(gen.uniform(low: -4.0, high: 4.0)) })
        let w = Tensor<Float>(shape: [128], scalars: (0..<128).map { _ in Float(gen.uniform(low: 0.5, high: 1.5)) })
        let b = Tensor<Float>(shape: [128], scalars: (0..<128).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) })
        func run(threads: Int) -> [[Float]] {
            Parallel.threadCountOverride = threads
            defer { Parallel.threadCountOverride = nil }
            let (xi, wi, bi) = (x.copy(), w.copy(), b.copy())
            for t in [xi, wi, bi] { t.requiresGrad = true }
            let y = SynapseCore.gelu(SynapseCore.layerNorm(xi, weight: wi, bias: bi))
            (y * y).sum().backward()
            return [y.scalars, xi.grad!.scalars, wi.grad!.scalars, bi.grad!.scalars]
        }
        #expect(run(threads: 1) == run(threads: 2))
    }

    @Test("LSTM cell forward and backward match Double on levels 0, 1, 2", arguments: [0, 1, 2])
    func lstmCell(level: Int32) {
        let H = 37, units = 3..<37
        var gen = RandomGenerator(seed: 11)
        func draw(_ n: Int, _ spread: Double) -> [Float] { (0..<n).map { _ in Float(gen.uniform(low: -spread, high: spread)) } }
        var a = draw(4 * H, 6), c = [Float](repeating: 0, count: H), tanhC = c, h = c
        a[3] = 60; a[4] = -60; a[H + 5] = 0.1; a[2 * H + 6] = 0.3; a[2 * H + 7] = -45   // σ, tanh at extremes and below 0.625
        let pre = a, cPrev = draw(H, 2), gOut = draw(H, 1), dh = draw(H, 1)
        var dc = draw(H, 1), dA = [Float](repeating: 0, count: 4 * H), db = draw(4 * H, 1)
        let dcIn = dc, dbIn = db
        synapse_lstm_cell_forward_f32(&a, H, cPrev, &c, &tanhC, &h, units.lowerBound, units.upperBound, level)
        synapse_lstm_cell_backward_f32(a, H, cPrev, tanhC, gOut, dh, &dc, &dA, &db, units.lowerBound, units.upperBound, level)
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        func near(_ x: Float, _ e: Double, _ what: String) { #expect(abs(Double(x) - e) <= 1e-6 * Swift.max(1, abs(e)), "\(what): \(x) vs \(e) (level \(level))") }
        for u in units {
            let i = sigmoid(Double(pre[u])), f = sigmoid(Double(pre[H + u])), g = Foundation.tanh(Double(pre[2 * H + u])), o = sigmoid(Double(pre[3 * H + u]))
            let cn = f * Double(cPrev[u]) + i * g, th = Foundation.tanh(cn)
            near(a[u], i, "i"); near(a[H + u], f, "f"); near(a[2 * H + u], g, "g"); near(a[3 * H + u], o, "o")
            near(c[u], cn, "c"); near(tanhC[u], th, "tanh c"); near(h[u], o * th, "h")
            // backward from the kernel's own activations
            let (fi, ff, fg, fo, fth) = (Double(a[u]), Double(a[H + u]), Double(a[2 * H + u]), Double(a[3 * H + u]), Double(tanhC[u]))
            let dhu = Double(gOut[u]) + Double(dh[u])
            let dcu = Double(dcIn[u]) + dhu * fo * (1 - fth * fth)
            near(dc[u], dcu * ff, "dc")
            near(dA[u], dcu * fg * fi * (1 - fi), "dA_i"); near(dA[H + u], dcu * Double(cPrev[u]) * ff * (1 - ff), "dA_f")
            near(dA[2 * H + u], dcu * fi * (1 - fg * fg), "dA_g"); near(dA[3 * H + u], dhu * fth * fo * (1 - fo), "dA_o")
            for k in 0..<4 { #expect(db[k * H + u] == dbIn[k * H + u] + dA[k * H + u], "db gate \(k) unit \(u) (level \(level))") }
        }
        #expect(c[0] == 0 && dA[0] == 0 && dc[0] == dcIn[0] && db[0] == dbIn[0], "units outside the range are untouched")
    }
}
