import Foundation
import Testing
import CSynapseKernels
@testable import SynapseCore

/// The vectorised e^x, ln x, tanh and σ of `mathf.c` on every instruction-set path (AVX-512,
/// AVX2 + FMA, baseline; a path the CPU lacks falls back to the best it has), against the C
/// library's double-precision functions over a sweep of all float bit patterns.
@Suite("Vectorised exp, log, tanh, sigmoid: within 2 ulp over the whole float range")
struct MathKernelTests {
    /// One float in every `stride` bit patterns (both signs, zeros, subnormals, normals, ±∞, NaNs),
    /// plus the edges where the formulas switch or the results overflow or underflow.
    static func sweep(stride: UInt32) -> [Float] {
        var values: [Float] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                               .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               88.72283, 88.72284, 89, -87.33654, -87.33655, -103.97208, -103.97209, -104, -150,
                               0.625, -0.625, 0.62499994, 9, -9, 1, -1, 0.70710677, 0.7071068, 1.4142135]
        var bits: UInt32 = 0
        repeat {
            values.append(Float(bitPattern: bits))
            let (next, overflow) = bits.addingReportingOverflow(stride)
            if overflow { break }
            bits = next
        } while true
        return values
    }

    /// The distance from `value` to the exact `reference`, in units of the float spacing at the
    /// reference (subnormal spacing below the normal range); 0 when both are the same non-finite value.
    static func ulps(_ value: Float, _ reference: Double) -> Double {
        if reference.isNaN { return value.isNaN ? 0 : .infinity }
        if value.isNaN { return .infinity }
        let rounded = Float(reference)
        if rounded.isInfinite || value.isInfinite { return value == rounded ? 0 : .infinity }
        let spacing = Double(Swift.max(rounded.magnitude.ulp, Float.leastNonzeroMagnitude))
        return abs(Double(value) - reference) / spacing
    }

    nonisolated(unsafe) static let functions: [(name: String, op: synapse_math, exact: @Sendable (Double) -> Double)] = [
        ("exp", SYNAPSE_MATH_EXP, { Foundation.exp($0) }),
        ("log", SYNAPSE_MATH_LOG, { $0 < 0 ? .nan : Foundation.log($0) }),
        ("tanh", SYNAPSE_MATH_TANH, { Foundation.tanh($0) }),
        ("sigmoid", SYNAPSE_MATH_SIGMOID, { $0 >= 0 ? 1 / (1 + Foundation.exp(-$0)) : Foundation.exp($0) / (1 + Foundation.exp($0)) }),
    ]

    #if DEBUG
    static let stride: UInt32 = 65_537          // ≈ 65 000 values (sanitizer builds are slow)
    #else
    static let stride: UInt32 = 511             // ≈ 8.4 million values
    #endif

    @Test("each function within 2 ulp of the exact value, special values as IEEE says, on levels 0, 1, 2",
          arguments: [Int32(0), 1, 2])
    func withinTwoUlps(level: Int32) {
        let x = Self.sweep(stride: Self.stride)
        var y = [Float](repeating: 0, count: x.count)
        for function in Self.functions {
            synapse_math_f32(Int32(function.op.rawValue), x, &y, x.count, level)
            var worst = 0.0, worstInput: Float = 0
            for i in x.indices {
                let error = Self.ulps(y[i], function.exact(Double(x[i])))
                if error > worst { (worst, worstInput) = (error, x[i]) }
            }
            #expect(worst <= 2, "\(function.name) on level \(level): \(worst) ulp at x = \(worstInput) (bits \(String(worstInput.bitPattern, radix: 16)))")
        }
        // The IEEE special values, spelled out.
        func f(_ op: synapse_math, _ v: Float) -> Float {
            var out: Float = 0
            var input = v
            synapse_math_f32(Int32(op.rawValue), &input, &out, 1, level)
            return out
        }
        #expect(f(SYNAPSE_MATH_EXP, -.infinity) == 0 && f(SYNAPSE_MATH_EXP, .infinity) == .infinity && f(SYNAPSE_MATH_EXP, 100) == .infinity)
        #expect(f(SYNAPSE_MATH_EXP, 0) == 1 && f(SYNAPSE_MATH_EXP, -100) > 0 && f(SYNAPSE_MATH_EXP, -200) == 0)
        #expect(f(SYNAPSE_MATH_LOG, 0) == -.infinity && f(SYNAPSE_MATH_LOG, -0.0) == -.infinity && f(SYNAPSE_MATH_LOG, -1).isNaN)
        #expect(f(SYNAPSE_MATH_LOG, .infinity) == .infinity && f(SYNAPSE_MATH_LOG, 1) == 0)
        #expect(f(SYNAPSE_MATH_TANH, .infinity) == 1 && f(SYNAPSE_MATH_TANH, -.infinity) == -1 && f(SYNAPSE_MATH_TANH, -0.0).sign == .minus)
        #expect(f(SYNAPSE_MATH_SIGMOID, .infinity) == 1 && f(SYNAPSE_MATH_SIGMOID, -.infinity) == 0 && f(SYNAPSE_MATH_SIGMOID, 0) == 0.5)
        for function in Self.functions { #expect(f(function.op, .nan).isNaN, "\(function.name)(NaN)") }
    }

    /// Uncontracted arithmetic (no compiler-chosen fused multiply-adds) makes every instruction-set
    /// path — and every build, release or debug — give the same bits, so a model trained on an
    /// AVX2 machine or under a sanitizer matches the golden files of the AVX-512 release build.
    @Test("levels 0, 1 and 2 give the same bits for every input")
    func levelsAgreeBitForBit() {
        let x = Self.sweep(stride: Self.stride &* 3)
        for function in Self.functions {
            var outputs: [[UInt32]] = []
            for level: Int32 in [0, 1, 2] {
                var y = [Float](repeating: 0, count: x.count)
                synapse_math_f32(Int32(function.op.rawValue), x, &y, x.count, level)
                outputs.append(y.map(\.bitPattern))
            }
            let differing = zip(outputs[0], outputs[2]).filter { $0 != $1 }.count + zip(outputs[1], outputs[2]).filter { $0 != $1 }.count
            #expect(differing == 0, "\(function.name): \(differing) results differ between the levels")
        }
    }

    @Test("the tensor functions use them for Float (native backend) and agree with the C library within 2 ulp")
    func tensorFunctions() {
        let x = Tensor<Float>(shape: [7, 5], scalars: (0..<35).map { Float($0 - 17) * 0.37 })
        let positive = Tensor<Float>(shape: [35], scalars: (1...35).map { Float($0) * 0.73 })
        for (result, input, exact) in [(exp(x), x, { Foundation.exp($0) }), (tanh(x), x, { Foundation.tanh($0) }),
                                       (sigmoid(x), x, { 1 / (1 + Foundation.exp(-$0)) }), (log(positive), positive, { Foundation.log($0) })]
            as [(Tensor<Float>, Tensor<Float>, (Double) -> Double)] {
            for (value, v) in zip(result.scalars, input.scalars) {
                #expect(Self.ulps(value, exact(Double(v))) <= 2, "\(value) at \(v)")
            }
        }
    }
}
