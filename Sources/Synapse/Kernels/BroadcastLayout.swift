/// How two row-major operands map onto the elements of a broadcast result, in NumPy's rules:
/// shapes are aligned on the right, and a dimension of size 1 (or a missing one) is repeated.
///
/// The layout is computed once per operation; the kernels then walk it without looking at shapes.
/// Adjacent dimensions that broadcast the same way are merged, so `[64, 128] + [1, 128]` is a
/// 64 × 128 loop, and identical shapes are a single flat loop.
public struct BroadcastLayout: Sendable, Equatable {
    /// Number of elements of the result.
    public let count: Int
    /// The (merged) result dimensions; the last one is the contiguous inner loop.
    public let dimensions: [Int]
    /// Element strides of the first operand per merged dimension (0 where it is broadcast).
    public let xStrides: [Int]
    /// Element strides of the second operand per merged dimension (0 where it is broadcast).
    public let yStrides: [Int]

    /// True when both operands have exactly the result's elements in order (no broadcasting).
    public var isElementwise: Bool { dimensions.count <= 1 && xStrides.allSatisfy { $0 == 1 } && yStrides.allSatisfy { $0 == 1 } }

    /// The layout of two operands of the same `count` elements.
    public init(elementwise count: Int) {
        self.init(count: count, dimensions: [count], xStrides: [1], yStrides: [1])
    }

    private init(count: Int, dimensions: [Int], xStrides: [Int], yStrides: [Int]) {
        self.count = count
        self.dimensions = dimensions
        self.xStrides = xStrides
        self.yStrides = yStrides
    }

    /// The broadcast shape of `x` and `y`, or nil when they are incompatible.
    public static func broadcastShape(_ x: [Int], _ y: [Int]) -> [Int]? {
        if x == y { return x }
        let rank = Swift.max(x.count, y.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let dx = i < rank - x.count ? 1 : x[i - (rank - x.count)]
            let dy = i < rank - y.count ? 1 : y[i - (rank - y.count)]
            if dx == dy || dy == 1 { result[i] = dx } else if dx == 1 { result[i] = dy } else { return nil }
        }
        return result
    }

    /// The layout for operands of shapes `x` and `y` producing `result` (their broadcast shape).
    public init(x: [Int], y: [Int], result: [Int]) {
        let count = result.reduce(1, *)
        if (x == result && y == result) || count == 0 {
            self.init(elementwise: count)
            return
        }
        let rank = result.count
        // Row-major strides of each operand, aligned on the right, 0 where broadcast.
        func strides(_ shape: [Int]) -> [Int] {
            var s = [Int](repeating: 0, count: rank)
            var running = 1
            for i in stride(from: shape.count - 1, through: 0, by: -1) {
                let r = i + rank - shape.count
                s[r] = shape[i] == 1 ? 0 : running
                running *= shape[i]
            }
            return s
        }
        let sx = strides(x), sy = strides(y)
        // Merge dimension i into the one after it when both operands step through them as one block.
        var dims: [Int] = [], mx: [Int] = [], my: [Int] = []
        for i in 0..<rank where result[i] != 1 {
            if let last = dims.last,
               mx.last! == sx[i] * result[i], my.last! == sy[i] * result[i] {
                dims[dims.count - 1] = last * result[i]
                mx[mx.count - 1] = sx[i]
                my[my.count - 1] = sy[i]
            } else {
                dims.append(result[i]); mx.append(sx[i]); my.append(sy[i])
            }
        }
        if dims.isEmpty { dims = [1]; mx = [0]; my = [0] }
        self.init(count: count, dimensions: dims, xStrides: mx, yStrides: my)
    }
}
