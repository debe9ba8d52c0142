/// Elementwise loops over raw buffers.
///
/// Each function is written once, generically, and marked `@inline(__always)`: it is only ever
/// called from the concrete `Float` and `Double` conformances of ``TensorScalar``, so the compiler
/// emits one specialised loop per scalar type with no generic dispatch inside. Simple arithmetic
/// runs on 16-lane SIMD vectors; transcendental functions call the C library once per element
/// (for `Float` on the native backend, `Float.map` sends e^x, ln x, tanh and σ to the vectorised
/// loops of `mathf.c` instead).
enum Elementwise {
    typealias Vector<T: SIMDScalar> = SIMD16<T>

    /// `y[i] = vector(x[i...i+15])` over full vectors, then `scalar(x[i])` for the tail.
    @inline(__always)
    static func vectorMap<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int,
                                           _ vector: (Vector<T>) -> Vector<T>, _ scalar: (T) -> T) {
        let width = Vector<T>.scalarCount
        var i = 0
        while i + width <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector<T>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: vector(v), as: Vector<T>.self)
            i += width
        }
        while i < count { y[i] = scalar(x[i]); i += 1 }
    }

    /// `y[i] = scalar(x[i])`, one element at a time (for functions with no SIMD form).
    @inline(__always)
    static func scalarMap<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int,
                                           _ scalar: (T) -> T) {
        for i in 0..<count { y[i] = scalar(x[i]) }
    }

    /// Applies one ``UnaryOperation`` to `count` elements.
    @inline(__always)
    static func map<T: TensorScalar>(_ op: UnaryOperation<T>, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int) {
        switch op {
        case .negate: vectorMap(x, y, count: count, { -$0 }, { -$0 })
        case .square: vectorMap(x, y, count: count, { $0 * $0 }, { $0 * $0 })
        case .abs: vectorMap(x, y, count: count, { Lanes.select($0 .< 0, -$0, $0) }, { Swift.abs($0) })
        case .sqrt: vectorMap(x, y, count: count, { $0.squareRoot() }, { $0.squareRoot() })
        case .plus(let s): vectorMap(x, y, count: count, { $0 + s }, { $0 + s })
        case .times(let s): vectorMap(x, y, count: count, { $0 * s }, { $0 * s })
        case .subtractedFrom(let s): vectorMap(x, y, count: count, { s - $0 }, { s - $0 })
        case .dividedBy(let s): vectorMap(x, y, count: count, { $0 / s }, { $0 / s })
        case .dividing(let s): vectorMap(x, y, count: count, { s / $0 }, { s / $0 })
        case .clamp(let low, let high):
            vectorMap(x, y, count: count, { Lanes.minimum(Lanes.maximum($0, Vector<T>(repeating: low)), Vector<T>(repeating: high)) },
                      { Swift.min(Swift.max($0, low), high) })
        case .greaterThan(let s):
            vectorMap(x, y, count: count, { Lanes.indicator($0 .> s) }, { $0 > s ? 1 : 0 })
        case .lessThan(let s):
            vectorMap(x, y, count: count, { Lanes.indicator($0 .< s) }, { $0 < s ? 1 : 0 })
        case .sign:
            vectorMap(x, y, count: count, {
                Lanes.indicator($0 .> 0) - Lanes.indicator($0 .< 0)
            }, { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })
        case .relu:
            vectorMap(x, y, count: count, { Lanes.keep($0 .> 0, $0) }, { $0 > 0 ? $0 : 0 })
        case .leakyReLU(let s):
            vectorMap(x, y, count: count, { Lanes.select($0 .> 0, $0, $0 * s) }, { $0 > 0 ? $0 : s * $0 })
        case .leakyReLUSlope(let s):
            vectorMap(x, y, count: count, { Lanes.select($0 .> 0, Vector<T>(repeating: 1), Vector<T>(repeating: s)) }, { $0 > 0 ? 1 : s })
        case .elu(let alpha): scalarMap(x, y, count: count) { $0 > 0 ? $0 : alpha * T.exponentialMinusOne($0) }
        case .softplus: scalarMap(x, y, count: count) { Swift.max($0, 0) + T.logarithmOnePlus(T.exponential(-Swift.abs($0))) }
        case .erf: scalarMap(x, y, count: count) { T.errorFunction($0) }
        case .exp: scalarMap(x, y, count: count) { T.exponential($0) }
        case .log: scalarMap(x, y, count: count) { T.logarithm($0) }
        case .tanh: scalarMap(x, y, count: count) { T.hyperbolicTangent($0) }
        case .power(let p):
            if p == 2 { vectorMap(x, y, count: count, { $0 * $0 }, { $0 * $0 }) }  // as NumPy: x**2 is x*x
            else if p == 1 { vectorMap(x, y, count: count, { $0 }, { $0 }) }
            else { scalarMap(x, y, count: count) { T.power($0, p) } }
        case .sigmoid:
            // σ(x) = 1/(1+e^{−x}) for x ≥ 0, and e^{x}/(1+e^{x}) for x < 0: no overflow for any x.
            scalarMap(x, y, count: count) { v in
                if v >= 0 { return 1 / (1 + T.exponential(-v)) }
                let e = T.exponential(v)
                return e / (1 + e)
            }
        }
    }

    /// Walks a ``BroadcastLayout``: an odometer over every dimension but the last, and a
    /// SIMD inner loop over the last one specialised for each stride pattern (1 or 0 per operand).
    @inline(__always)
    static func broadcastLoop<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>,
                                               layout: BroadcastLayout,
                                               _ vector: (Vector<T>, Vector<T>) -> Vector<T>, _ scalar: (T, T) -> T) {
        let width = Vector<T>.scalarCount
        let rank = layout.rank
        let inner = layout.dimensions[rank - 1]
        let sx = layout.xStrides[rank - 1], sy = layout.yStrides[rank - 1]
        let outerCount = inner == 0 ? 0 : layout.count / inner

        func innerLoop(_ px: UnsafePointer<T>, _ py: UnsafePointer<T>, _ pz: UnsafeMutablePointer<T>) {
            var i = 0
            switch (sx, sy) {
            case (1, 1):
                while i + width <= inner {
                    let a = UnsafeRawPointer(px + i).loadUnaligned(as: Vector<T>.self)
                    let b = UnsafeRawPointer(py + i).loadUnaligned(as: Vector<T>.self)
                    UnsafeMutableRawPointer(pz + i).storeBytes(of: vector(a, b), as: Vector<T>.self)
                    i += width
                }
                while i < inner { pz[i] = scalar(px[i], py[i]); i += 1 }
            case (1, 0):
                let b = Vector<T>(repeating: py[0])
                while i + width <= inner {
                    let a = UnsafeRawPointer(px + i).loadUnaligned(as: Vector<T>.self)
                    UnsafeMutableRawPointer(pz + i).storeBytes(of: vector(a, b), as: Vector<T>.self)
                    i += width
                }
                while i < inner { pz[i] = scalar(px[i], py[0]); i += 1 }
            case (0, 1):
                let a = Vector<T>(repeating: px[0])
                while i + width <= inner {
                    let b = UnsafeRawPointer(py + i).loadUnaligned(as: Vector<T>.self)
                    UnsafeMutableRawPointer(pz + i).storeBytes(of: vector(a, b), as: Vector<T>.self)
                    i += width
                }
                while i < inner { pz[i] = scalar(px[0], py[i]); i += 1 }
            default:
                let value = scalar(px[0], py[0])
                while i < inner { pz[i] = value; i += 1 }
            }
        }

        if rank == 1 { innerLoop(x, y, z); return }
        // Odometer over the outer dimensions.
        var index = SIMD8<Int>(repeating: 0)
        var ox = 0, oy = 0
        for row in 0..<outerCount {
            innerLoop(x + ox, y + oy, z + row * inner)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                ox += layout.xStrides[d]
                oy += layout.yStrides[d]
                if index[d] < layout.dimensions[d] { break }
                ox -= layout.xStrides[d] * layout.dimensions[d]
                oy -= layout.yStrides[d] * layout.dimensions[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Applies one ``BinaryOperation`` under a broadcast layout.
    @inline(__always)
    static func combine<T: TensorScalar>(_ op: BinaryOperation, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>,
                                         _ z: UnsafeMutablePointer<T>, layout: BroadcastLayout) {
        switch op {
        case .add: broadcastLoop(x, y, z, layout: layout, { $0 + $1 }, { $0 + $1 })
        case .subtract: broadcastLoop(x, y, z, layout: layout, { $0 - $1 }, { $0 - $1 })
        case .multiply: broadcastLoop(x, y, z, layout: layout, { $0 * $1 }, { $0 * $1 })
        case .divide: broadcastLoop(x, y, z, layout: layout, { $0 / $1 }, { $0 / $1 })
        case .maximum: broadcastLoop(x, y, z, layout: layout, { Lanes.maximum($0, $1) }, { Swift.max($0, $1) })
        case .minimum: broadcastLoop(x, y, z, layout: layout, { Lanes.minimum($0, $1) }, { Swift.min($0, $1) })
        case .power:
            broadcastLoop(x, y, z, layout: layout, { a, b in
                var r = Vector<T>()
                for l in 0..<Vector<T>.scalarCount { r[l] = T.power(a[l], b[l]) }
                return r
            }, { T.power($0, $1) })
        case .equal: broadcastLoop(x, y, z, layout: layout, { Lanes.indicator($0 .== $1) }, { $0 == $1 ? 1 : 0 })
        case .notEqual: broadcastLoop(x, y, z, layout: layout, { Lanes.indicator($0 .!= $1) }, { $0 != $1 ? 1 : 0 })
        case .less: broadcastLoop(x, y, z, layout: layout, { Lanes.indicator($0 .< $1) }, { $0 < $1 ? 1 : 0 })
        case .lessOrEqual: broadcastLoop(x, y, z, layout: layout, { Lanes.indicator($0 .<= $1) }, { $0 <= $1 ? 1 : 0 })
        case .greater: broadcastLoop(x, y, z, layout: layout, { Lanes.indicator($0 .> $1) }, { $0 > $1 ? 1 : 0 })
        case .greaterOrEqual: broadcastLoop(x, y, z, layout: layout, { Lanes.indicator($0 .>= $1) }, { $0 >= $1 ? 1 : 0 })
        }
    }
}
