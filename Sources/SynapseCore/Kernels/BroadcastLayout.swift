/// How two row-major operands map onto the elements of a broadcast result, in NumPy's rules:
/// shapes are aligned on the right, and a dimension of size 1 (or a missing one) is repeated.
///
/// The layout is computed once per operation; the kernels then walk it without looking at shapes.
/// Adjacent dimensions that broadcast the same way are merged, so `[64, 128] + [1, 128]` is a
/// 64 × 128 loop, and identical shapes are a single flat loop. Everything is stored inline
/// (no heap allocation), so small operations stay cheap.
public struct BroadcastLayout: Sendable, Equatable {
    /// The most merged dimensions a layout can hold (tensors may have more dimensions, as long as
    /// no more than this many alternate between broadcast and not).
    public static let maximumRank = 8

    /// Number of elements of the result.
    public let count: Int
    /// Number of merged dimensions (at least 1).
    public let rank: Int
    /// The merged result dimensions; the last one (`rank - 1`) is the contiguous inner loop.
    public let dimensions: SIMD8<Int>
    /// Element strides of the first operand per merged dimension (0 where it is broadcast).
    public let xStrides: SIMD8<Int>
    /// Element strides of the second operand per merged dimension (0 where it is broadcast).
    public let yStrides: SIMD8<Int>

    /// The layout of two operands of the same `count` elements.
    public init(elementwise count: Int) {
        self.count = count
        self.rank = 1
        var d = SIMD8<Int>(repeating: 0), s = SIMD8<Int>(repeating: 0)
        d[0] = count
        s[0] = 1
        self.dimensions = d
        self.xStrides = s
        self.yStrides = s
    }

    /// The broadcast shape of `x` and `y`, or nil when they are incompatible. Returns `x` itself
    /// (no new array) when `y` already fits inside it, the common case of adding a bias.
    public static func broadcastShape(_ x: [Int], _ y: [Int]) -> [Int]? {
        if x == y { return x }
        if y.count <= x.count, fits(y, into: x) { return x }
        if x.count <= y.count, fits(x, into: y) { return y }
        let rank = Swift.max(x.count, y.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let dx = i < rank - x.count ? 1 : x[i - (rank - x.count)]
            let dy = i < rank - y.count ? 1 : y[i - (rank - y.count)]
            if dx == dy || dy == 1 { result[i] = dx } else if dx == 1 { result[i] = dy } else { return nil }
        }
        return result
    }

    /// Whether `small` broadcasts to exactly `large` (every right-aligned dimension is 1 or equal).
    private static func fits(_ small: [Int], into large: [Int]) -> Bool {
        let offset = large.count - small.count
        for i in 0..<small.count where small[i] != 1 && small[i] != large[i + offset] { return false }
        return true
    }

    /// The layout for operands of shapes `x` and `y` producing `result` (their broadcast shape).
    public init(x: [Int], y: [Int], result: [Int]) {
        let count = result.reduce(1, *)
        if (x == result && y == result) || count == 0 {
            self = BroadcastLayout(elementwise: count)
            return
        }
        var dims = SIMD8<Int>(repeating: 0), mx = SIMD8<Int>(repeating: 0), my = SIMD8<Int>(repeating: 0)
        var merged = 0
        var runningX = 1, runningY = 1
        // Walk from the innermost dimension outwards, computing each operand's stride (0 where it
        // is broadcast) and merging a dimension into the previous block when both operands step
        // through the two as one contiguous run.
        for r in stride(from: result.count - 1, through: 0, by: -1) where result[r] != 1 {
            let ix = r - (result.count - x.count), iy = r - (result.count - y.count)
            let sizeX = ix >= 0 ? x[ix] : 1, sizeY = iy >= 0 ? y[iy] : 1
            let sx = sizeX == 1 ? 0 : runningX, sy = sizeY == 1 ? 0 : runningY
            runningX *= sizeX
            runningY *= sizeY
            if merged > 0, mx[merged - 1] * dims[merged - 1] == sx || (sx == 0 && mx[merged - 1] == 0),
               my[merged - 1] * dims[merged - 1] == sy || (sy == 0 && my[merged - 1] == 0) {
                dims[merged - 1] *= result[r]
            } else {
                precondition(merged < Self.maximumRank, "broadcast of \(x) and \(y) alternates over more than \(Self.maximumRank) dimensions")
                dims[merged] = result[r]; mx[merged] = sx; my[merged] = sy
                merged += 1
            }
        }
        if merged == 0 { dims[0] = 1; merged = 1 }
        // Stored outermost first: reverse the `merged` entries.
        var d = SIMD8<Int>(repeating: 0), a = SIMD8<Int>(repeating: 0), b = SIMD8<Int>(repeating: 0)
        for i in 0..<merged { d[i] = dims[merged - 1 - i]; a[i] = mx[merged - 1 - i]; b[i] = my[merged - 1 - i] }
        self.count = count
        self.rank = merged
        self.dimensions = d
        self.xStrides = a
        self.yStrides = b
    }
}
