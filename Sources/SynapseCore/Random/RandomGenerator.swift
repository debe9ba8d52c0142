import Foundation

/// A random number generator that reproduces NumPy's legacy global stream
/// (`np.random.seed(...)` followed by `np.random.rand`, `randn`, `uniform`,
/// `normal`, `randint`, `permutation` and `shuffle`) bit for bit.
///
/// It wraps an ``MT19937`` Mersenne Twister together with the one cached
/// Gaussian value that NumPy's polar Box–Muller method keeps between calls.
///
/// ```swift
/// var random = RandomGenerator(seed: 42)
/// random.nextGaussian()  // 0.4967141530112327, like np.random.seed(42); np.random.randn()
/// ```
///
/// The whole state is `Codable`: encode it to save a checkpoint, decode it to
/// continue the very same stream later.
public struct RandomGenerator: Codable, Equatable, Sendable {
    /// The underlying Mersenne Twister that produces the raw 32-bit words.
    public var twister: MT19937

    /// Whether a second Gaussian from the last Box–Muller pair is waiting
    /// to be returned (NumPy's `has_gauss`).
    public private(set) var hasCachedGaussian: Bool

    /// The waiting Gaussian value when ``hasCachedGaussian`` is `true`,
    /// otherwise 0 (NumPy's `gauss`, called `cached_gaussian` in `get_state()`).
    public private(set) var cachedGaussian: Double

    /// Seeds the generator exactly like `np.random.seed(seed)`.
    ///
    /// - Parameter seed: An integer seed in `0..<2**32`.
    public init(seed: UInt32) {
        self.init(twister: MT19937(seed: seed))
    }

    /// Creates a generator from a saved twister state and Gaussian cache,
    /// for example the five parts of NumPy's `np.random.get_state()`.
    ///
    /// - Parameters:
    ///   - twister: The Mersenne Twister state.
    ///   - cachedGaussian: The waiting Gaussian value, or `nil` if there is none.
    public init(twister: MT19937, cachedGaussian: Double? = nil) {
        self.twister = twister
        self.hasCachedGaussian = cachedGaussian != nil
        self.cachedGaussian = cachedGaussian ?? 0
    }

    // MARK: - Raw bits

    /// Returns the next raw 32-bit output of the Mersenne Twister.
    public mutating func nextUInt32() -> UInt32 {
        twister.next()
    }

    /// Returns 64 random bits made of two 32-bit draws, high half first.
    public mutating func nextUInt64() -> UInt64 {
        twister.nextUInt64()
    }

    // MARK: - Floating point

    /// Returns a uniform double in `[0, 1)` with 53 random bits, like
    /// `np.random.random_sample()`.
    ///
    /// Two 32-bit draws are combined: the top 27 bits of the first and the
    /// top 26 bits of the second, divided by 2^53.
    public mutating func nextDouble() -> Double {
        let high = Double(twister.next() >> 5)  // 27 bits
        let low = Double(twister.next() >> 6)   // 26 bits
        return (high * 67_108_864.0 + low) / 9_007_199_254_740_992.0
    }

    /// Returns a standard normal sample (mean 0, standard deviation 1),
    /// like `np.random.randn()` or `np.random.standard_normal()`.
    ///
    /// Uses the polar Box–Muller method: pick a random point inside the unit
    /// circle, turn it into two independent Gaussians, return one and keep the
    /// other for the next call.
    public mutating func nextGaussian() -> Double {
        if hasCachedGaussian {
            hasCachedGaussian = false
            let value = cachedGaussian
            cachedGaussian = 0
            return value
        }
        var x1: Double
        var x2: Double
        var radiusSquared: Double
        repeat {
            x1 = 2.0 * nextDouble() - 1.0
            x2 = 2.0 * nextDouble() - 1.0
            radiusSquared = x1 * x1 + x2 * x2
        } while radiusSquared >= 1.0 || radiusSquared == 0.0
        let factor = (-2.0 * log(radiusSquared) / radiusSquared).squareRoot()
        // NumPy keeps the x1 value for later and returns the x2 value now.
        cachedGaussian = factor * x1
        hasCachedGaussian = true
        return factor * x2
    }

    /// Returns a uniform sample in `[low, high)`, like `np.random.uniform(low, high)`.
    public mutating func uniform(low: Double = 0, high: Double = 1) -> Double {
        low + (high - low) * nextDouble()
    }

    /// Returns a normal sample, like `np.random.normal(mean, standardDeviation)`.
    public mutating func normal(mean: Double = 0, standardDeviation: Double = 1) -> Double {
        mean + standardDeviation * nextGaussian()
    }

    // MARK: - Integers

    /// Returns a uniform integer in `0...max` (inclusive), like NumPy's legacy
    /// `random_interval`.
    ///
    /// Draws random bits, masks them down to the smallest `2^k - 1 >= max`,
    /// and rejects values above `max`. Uses one 32-bit draw per attempt when
    /// `max` fits in 32 bits, otherwise a 64-bit draw.
    public mutating func randomInterval(_ max: UInt64) -> UInt64 {
        if max == 0 {
            return 0
        }
        let mask = Self.smallestMask(covering: max)
        var value: UInt64
        if max <= UInt64(UInt32.max) {
            repeat {
                value = UInt64(twister.next()) & mask
            } while value > max
        } else {
            repeat {
                value = twister.nextUInt64() & mask
            } while value > max
        }
        return value
    }

    /// Returns a uniform integer in `range`, like `np.random.randint(low, high)`.
    ///
    /// - Precondition: `range` is not empty.
    public mutating func integer(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "integer(in:) needs a non-empty range")
        return integer(in: range.lowerBound...(range.upperBound - 1))
    }

    /// Returns a uniform integer in `range`, both ends included, like
    /// `np.random.randint(low, high + 1)`.
    public mutating func integer(in range: ClosedRange<Int>) -> Int {
        // The width is computed with wrapping arithmetic so that even
        // `Int.min...Int.max` works; NumPy does the same in unsigned 64-bit.
        let width = UInt64(bitPattern: Int64(range.upperBound) &- Int64(range.lowerBound))
        let offset = randomInterval(width)
        return range.lowerBound &+ Int(truncatingIfNeeded: offset)
    }

    /// Returns a random ordering of `0..<count`, like `np.random.permutation(count)`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var numbers = Array(0..<count)
        shuffle(&numbers)
        return numbers
    }

    /// Shuffles `array` in place, like `np.random.shuffle` on a list or 1-D array.
    ///
    /// Fisher–Yates from the back: for `i` from `count - 1` down to 1, swap
    /// element `i` with a uniformly chosen element in `0...i`.
    public mutating func shuffle<Element>(_ array: inout [Element]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, through: 1, by: -1) {
            let j = Int(randomInterval(UInt64(i)))
            array.swapAt(i, j)
        }
    }

    // MARK: - Bulk fills

    /// Fills `buffer` with uniform samples in `[low, high)`, the same values
    /// as `np.random.uniform(low, high, size=buffer.count)`.
    public mutating func fillUniform(
        _ buffer: UnsafeMutableBufferPointer<Double>, low: Double = 0, high: Double = 1
    ) {
        let width = high - low
        for index in buffer.indices {
            buffer[index] = low + width * nextDouble()
        }
    }

    /// Fills `buffer` with uniform samples in `[low, high)`: each is drawn as a
    /// `Double` exactly like NumPy and then rounded to `Float`, matching
    /// `np.random.uniform(low, high, size).astype(np.float32)`.
    public mutating func fillUniform(
        _ buffer: UnsafeMutableBufferPointer<Float>, low: Double = 0, high: Double = 1
    ) {
        let width = high - low
        for index in buffer.indices {
            buffer[index] = Float(low + width * nextDouble())
        }
    }

    /// Fills `buffer` with normal samples, the same values as
    /// `np.random.normal(mean, standardDeviation, size=buffer.count)`.
    public mutating func fillNormal(
        _ buffer: UnsafeMutableBufferPointer<Double>, mean: Double = 0, standardDeviation: Double = 1
    ) {
        for index in buffer.indices {
            buffer[index] = mean + standardDeviation * nextGaussian()
        }
    }

    /// Fills `buffer` with normal samples: each is drawn as a `Double` exactly
    /// like NumPy and then rounded to `Float`, matching
    /// `np.random.normal(mean, standardDeviation, size).astype(np.float32)`.
    public mutating func fillNormal(
        _ buffer: UnsafeMutableBufferPointer<Float>, mean: Double = 0, standardDeviation: Double = 1
    ) {
        for index in buffer.indices {
            buffer[index] = Float(mean + standardDeviation * nextGaussian())
        }
    }

    // MARK: - Helpers

    /// The smallest value of the form `2^k - 1` that is at least `value`.
    private static func smallestMask(covering value: UInt64) -> UInt64 {
        var mask = value
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        return mask
    }
}
