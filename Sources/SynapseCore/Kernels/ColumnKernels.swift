/// Per-column loops over a row-major `[rows, columns]` buffer, walked row by row (memory order):
/// the statistics behind feature scaling and the affine map that applies it.
enum ColumnKernels {
    /// With `mean == nil`: `sums[j] += Σᵢ x[i, j]`; otherwise `sums[j] += Σᵢ (x[i, j] − mean[j])²`.
    /// Always: `low[j] = min(low[j], minᵢ x[i, j])`, `high[j] = max(high[j], maxᵢ x[i, j])`. Accumulates in Double.
    @inline(__always)
    static func statistics<T: TensorScalar>(_ x: UnsafePointer<T>, rows: Int, columns: Int, mean: UnsafePointer<Double>?,
                                            sums: UnsafeMutablePointer<Double>, low: UnsafeMutablePointer<Double>,
                                            high: UnsafeMutablePointer<Double>) {
        for i in 0..<rows {
            let row = x + i * columns
            if let mean {
                for j in 0..<columns { let d = Double(row[j]) - mean[j]; sums[j] += d * d }
            } else {
                for j in 0..<columns {
                    let v = Double(row[j])
                    sums[j] += v
                    low[j] = Swift.min(low[j], v)
                    high[j] = Swift.max(high[j], v)
                }
            }
        }
    }

    /// `y[i, j] = (x[i, j] − shift[j]) · factor[j]`.
    @inline(__always)
    static func affine<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, rows: Int, columns: Int,
                                        shift: UnsafePointer<T>, factor: UnsafePointer<T>) {
        for i in 0..<rows {
            let from = x + i * columns, to = y + i * columns
            for j in 0..<columns { to[j] = (from[j] - shift[j]) * factor[j] }
        }
    }
}
