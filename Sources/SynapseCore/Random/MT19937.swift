/// The 32-bit Mersenne Twister (MT19937), bit-compatible with the generator
/// behind NumPy's legacy global stream (`np.random.seed` / `RandomState`).
///
/// The generator keeps 624 words of state. Every 624 draws it "twists" the
/// whole state in one batch, and each draw then reads one word and
/// "tempers" it (scrambles its bits) before returning it.
///
/// ```swift
/// var twister = MT19937(seed: 42)
/// twister.next()  // 1608637542, the same as
///                 // np.random.seed(42); np.random.randint(0, 2**32, dtype=np.uint32)
/// ```
///
/// The complete state (``key`` and ``position``) is `Codable`, so a
/// generator can be saved mid-stream and restored later to continue exactly
/// where it left off.
public struct MT19937: Codable, Equatable, Sendable {
    /// The number of 32-bit words in the state (`N` in the original paper).
    public static let stateSize = 624

    /// The distance between the two words mixed by the twist (`M` in the paper).
    private static let shift = 397
    /// The twist matrix coefficient.
    private static let matrixA: UInt32 = 0x9908_b0df
    /// Selects the most significant bit of a word.
    private static let upperMask: UInt32 = 0x8000_0000
    /// Selects the 31 least significant bits of a word.
    private static let lowerMask: UInt32 = 0x7fff_ffff

    /// The 624 words of internal state (NumPy calls this array `key`).
    ///
    /// Allocated once; drawing numbers only reads it, and the twist
    /// rewrites it in place.
    public private(set) var key: [UInt32]

    /// The index of the next word of ``key`` to hand out, in `0...624`.
    ///
    /// When it reaches ``stateSize`` the next draw twists the state first.
    /// A freshly seeded generator starts at 624, exactly as NumPy does.
    public private(set) var position: Int

    /// Seeds the generator the way `np.random.seed(seed)` does for an integer
    /// seed (the reference `init_genrand` routine).
    ///
    /// - Parameter seed: Any 32-bit value; NumPy accepts seeds in `0..<2**32`.
    public init(seed: UInt32) {
        var key = [UInt32](repeating: 0, count: Self.stateSize)
        var value = seed
        for index in 0..<Self.stateSize {
            key[index] = value
            // Knuth's multiplier; all arithmetic is modulo 2^32.
            value = 1_812_433_253 &* (value ^ (value >> 30)) &+ UInt32(index + 1)
        }
        self.key = key
        self.position = Self.stateSize
    }

    /// Restores a generator from a previously saved state, for example the
    /// `key` and `pos` entries of NumPy's `np.random.get_state()`.
    ///
    /// - Parameters:
    ///   - key: Exactly ``stateSize`` (624) words.
    ///   - position: The index of the next word to use, in `0...624`.
    /// - Returns: `nil` if `key` has the wrong length or `position` is out of range.
    public init?(key: [UInt32], position: Int) {
        guard key.count == Self.stateSize, (0...Self.stateSize).contains(position) else {
            return nil
        }
        self.key = key
        self.position = position
    }

    private enum CodingKeys: String, CodingKey {
        case key
        case position
    }

    /// Decodes a saved state, rejecting one with the wrong number of words or
    /// an out-of-range position.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let key = try container.decode([UInt32].self, forKey: .key)
        let position = try container.decode(Int.self, forKey: .position)
        guard let restored = MT19937(key: key, position: position) else {
            throw DecodingError.dataCorruptedError(
                forKey: .key, in: container,
                debugDescription: "MT19937 state needs \(Self.stateSize) words and a position in 0...\(Self.stateSize)"
            )
        }
        self = restored
    }

    /// Returns the next 32-bit output of the generator.
    public mutating func next() -> UInt32 {
        if position == Self.stateSize {
            twist()
        }
        var y = key[position]
        position += 1
        // Tempering: improves the equidistribution of the output bits.
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// Returns the next 64 random bits, built from two 32-bit draws with the
    /// first draw in the high half (NumPy's `next_uint64` for MT19937).
    public mutating func nextUInt64() -> UInt64 {
        let high = UInt64(next())
        let low = UInt64(next())
        return high << 32 | low
    }

    /// Regenerates all 624 words of state in one pass and rewinds
    /// ``position`` to 0.
    private mutating func twist() {
        let n = Self.stateSize
        let m = Self.shift
        key.withUnsafeMutableBufferPointer { state in
            // Mixes the top bit of word `i` with the low 31 bits of word `i + 1`,
            // then combines the result with the word `m` places further on.
            @inline(__always)
            func mixed(_ i: Int, _ next: Int, _ far: Int) -> UInt32 {
                let y = (state[i] & Self.upperMask) | (state[next] & Self.lowerMask)
                // `0 &- (y & 1)` is all ones when y is odd, so the matrix is applied only then.
                return state[far] ^ (y >> 1) ^ ((0 &- (y & 1)) & Self.matrixA)
            }
            for i in 0..<(n - m) {
                state[i] = mixed(i, i + 1, i + m)
            }
            for i in (n - m)..<(n - 1) {
                state[i] = mixed(i, i + 1, i + m - n)
            }
            state[n - 1] = mixed(n - 1, 0, m - 1)
        }
        position = 0
    }
}
