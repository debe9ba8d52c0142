/// Row-wise softmax and log-softmax over a `[rows, columns]` buffer, max-subtracted so no
/// exponential can overflow: `softmax(x)ᵢ = e^{xᵢ − m} / Σⱼ e^{xⱼ − m}` with `m = maxⱼ xⱼ`.
enum Softmax {
    @inline(__always)
    static func rows<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, rows: Int, columns: Int, logarithmic: Bool) {
        for r in 0..<rows {
            let input = x + r * columns, output = y + r * columns
            var m = input[0]
            for j in 1..<columns where input[j] > m { m = input[j] }
            var sum: T = 0
            for j in 0..<columns {
                let e = T.exponential(input[j] - m)
                output[j] = e
                sum += e
            }
            if logarithmic {
                let logSum = m + T.logarithm(sum)
                for j in 0..<columns { output[j] = input[j] - logSum }
            } else {
                let inverse = 1 / sum
                for j in 0..<columns { output[j] *= inverse }
            }
        }
    }
}
