import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Tests of ``RandomGenerator`` against NumPy 2.4.6's legacy global stream.
///
/// Values written as hex float literals are exact bit patterns (Python's `float.hex()`).
@Suite("RandomGenerator")
struct RandomGeneratorTests {
    // MARK: Reference data from /work/shared/reference/seed_xor_init.out

    /// `np.random.seed(42); np.random.random_sample(4)` (from seed_xor_init.out).
    @Test("seed 42: first four random_sample doubles")
    func seed42Doubles() {
        var random = RandomGenerator(seed: 42)
        let values = (0..<4).map { _ in random.nextDouble() }
        #expect(values == [0x1.7f8771e5f51ecp-2, 0x1.e6c4068bbd654p-1, 0x1.76c7e8f1e6751p-1, 0x1.32835d6632cb0p-1])
    }

    /// `np.random.seed(42); np.random.randn(10)` (from seed_xor_init.out).
    @Test("seed 42: first ten randn values")
    func seed42Gaussians() {
        var random = RandomGenerator(seed: 42)
        let values = (0..<10).map { _ in random.nextGaussian() }
        let expected: [Double] = [
            0x1.fca2a28a9307cp-2, -0x1.1b2a505de052ap-3, 0x1.4b9dd50245e68p-1, 0x1.85e548e01aa2bp+0,
            -0x1.df8bcdf57a640p-3, -0x1.df8332670db3bp-3, 0x1.94474a8407408p+0, 0x1.88ed346f0d7f3p-1,
            -0x1.e0bde4b799e8bp-2, 0x1.15ca6e16a2d7dp-1,
        ]
        #expect(values == expected)
    }

    /// The tutorial's `initialize_network(2, 2, 1)`: `np.random.seed(42); W1 = randn(2, 2); W2 = randn(2, 1)`,
    /// drawn row-major (from seed_xor_init.out).
    @Test("seed 42: initialize_network(2, 2, 1) weights via bulk fill")
    func initializeNetworkWeights() {
        var random = RandomGenerator(seed: 42)
        var w1 = [Double](repeating: .nan, count: 4)
        var w2 = [Double](repeating: .nan, count: 2)
        w1.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        w2.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        #expect(w1 == [0x1.fca2a28a9307cp-2, -0x1.1b2a505de052ap-3, 0x1.4b9dd50245e68p-1, 0x1.85e548e01aa2bp+0])
        #expect(w2 == [-0x1.df8bcdf57a640p-3, -0x1.df8332670db3bp-3])
        #expect(w1[0] == 0.4967141530112327 && w2[1] == -0.23413695694918055)
    }

    // MARK: Other seeds, longer streams (expected values from running NumPy 2.4.6)

    /// Gaussians #999 and #1000 come from the cache and a fresh pair respectively.
    /// python3 -c "import numpy as np; np.random.seed(0); g=np.random.randn(1000); print(g[998].hex(), g[999].hex())"
    /// python3 -c "import numpy as np; np.random.seed(123456789); g=np.random.randn(1000); print(g[998].hex(), g[999].hex())"
    @Test("randn #999 and #1000 match NumPy", arguments: [
        (UInt32(0), -0x1.25c9d4b4a2077p+0, -0x1.6eb574c9b16b2p-2),
        (UInt32(123_456_789), -0x1.fc0c50c311681p-2, -0x1.4b3ebc9b0eee1p+1),
    ])
    func longGaussianStream(seed: UInt32, value999: Double, value1000: Double) {
        var random = RandomGenerator(seed: seed)
        var values = [Double](repeating: 0, count: 1000)
        for index in values.indices {
            values[index] = random.nextGaussian()
        }
        #expect(values[998] == value999)
        #expect(values[999] == value1000)
        #expect(!random.hasCachedGaussian)  // 1000 is even: every pair was used up
    }

    /// python3 -c "import numpy as np; np.random.seed(0); print(np.random.permutation(10).tolist())"
    /// python3 -c "import numpy as np; np.random.seed(123456789); print(np.random.permutation(10).tolist())"
    @Test("permutation(10) matches NumPy", arguments: [
        (UInt32(0), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]),
        (UInt32(123_456_789), [7, 0, 6, 3, 4, 5, 9, 1, 2, 8]),
    ])
    func permutation(seed: UInt32, expected: [Int]) {
        var random = RandomGenerator(seed: seed)
        #expect(random.permutation(10) == expected)
    }

    /// python3 -c "import numpy as np; np.random.seed(0); l=list(range(20)); np.random.shuffle(l); print(l)"
    /// python3 -c "import numpy as np; np.random.seed(123456789); l=list(range(20)); np.random.shuffle(l); print(l)"
    @Test("shuffle of 0..<20 matches NumPy", arguments: [
        (UInt32(0), [18, 1, 19, 8, 10, 17, 6, 13, 4, 2, 5, 14, 9, 7, 16, 11, 3, 0, 15, 12]),
        (UInt32(123_456_789), [17, 1, 10, 5, 9, 8, 2, 6, 11, 14, 0, 16, 19, 13, 3, 15, 4, 7, 12, 18]),
    ])
    func shuffle(seed: UInt32, expected: [Int]) {
        var random = RandomGenerator(seed: seed)
        var names = (0..<20).map { "item\($0)" }
        random.shuffle(&names)
        #expect(names == expected.map { "item\($0)" })
    }

    /// Small ranges (32-bit draws), ranges above 2^32 (64-bit draws) and a huge signed range, in one stream.
    /// python3 -c "import numpy as np; np.random.seed(0); print(np.random.randint(-5,7,size=8).tolist(), np.random.randint(0,2**40,size=3).tolist(), np.random.randint(-2**62,2**62,size=2).tolist())"
    /// (same with np.random.seed(123456789))
    @Test("randint matches NumPy", arguments: [
        (UInt32(0), [0, -5, -2, 6, -2, 2, 4, -2], [91_845_220_082, 155_896_724_055, 300_891_291_096],
         [3_941_382_327_821_454_732, 2_461_561_594_657_129_153]),
        (UInt32(123_456_789), [3, -3, 4, 5, 2, 5, -1, -2], [1_021_606_526_908, 364_758_272_736, 427_236_223_855],
         [-1_965_589_840_492_895_282, -486_492_858_742_306_844]),
    ])
    func randint(seed: UInt32, small: [Int], large: [Int], huge: [Int]) {
        var random = RandomGenerator(seed: seed)
        #expect((0..<8).map { _ in random.integer(in: -5..<7) } == small)
        #expect((0..<3).map { _ in random.integer(in: 0..<(1 << 40)) } == large)
        #expect((0..<2).map { _ in random.integer(in: -(1 << 62)..<(1 << 62)) } == huge)
    }

    /// python3 -c "import numpy as np; np.random.seed(7); print(np.random.randint(0,10,size=5).tolist(), np.random.randint(0,2**33))"
    @Test("randint scalar sequence, closed range and the full 32-bit range")
    func randintSeed7() {
        var random = RandomGenerator(seed: 7)
        #expect((0..<5).map { _ in random.integer(in: 0...9) } == [4, 9, 6, 3, 3])
        #expect(random.integer(in: 0..<(1 << 33)) == 6_251_689_575)
        // python3 -c "import numpy as np; np.random.seed(7); print(np.random.randint(0,2**32,size=3).tolist())"
        var full = RandomGenerator(seed: 7)
        #expect((0..<3).map { _ in full.integer(in: 0..<(1 << 32)) } == [327_741_615, 976_413_892, 3_349_725_721])
    }

    @Test("randomInterval stays in 0...max and handles 0")
    func randomIntervalBounds() {
        var random = RandomGenerator(seed: 3)
        #expect(random.randomInterval(0) == 0)
        var seen = Set<UInt64>()
        for _ in 0..<2000 {
            let value = random.randomInterval(5)
            #expect(value <= 5)
            seen.insert(value)
        }
        #expect(seen == [0, 1, 2, 3, 4, 5])
    }

    /// python3 -c "import numpy as np; np.random.seed(0); print([x.hex() for x in np.random.uniform(-2,3,size=3)]); np.random.seed(0); print([x.hex() for x in np.random.normal(1.5,0.25,size=3)])"
    /// (same with np.random.seed(123456789))
    @Test("uniform and normal match NumPy", arguments: [
        (UInt32(0), [0x1.7cf66afdb5d48p-1, 0x1.9371406715200p+0, 0x1.038980c94573cp+0],
         [0x1.f0e63bcf973e9p+0, 0x1.999c2cfacc895p+0, 0x1.bea3a4a445935p+0]),
        (UInt32(123_456_789), [0x1.540d737d01fa0p-1, 0x1.5763c344359dcp-1, 0x1.1874ad67a313cp-1],
         [0x1.06d017d9c804bp+1, 0x1.041bd5b2b966ap+1, 0x1.f5de9982d46cbp+0]),
    ])
    func uniformAndNormal(seed: UInt32, uniforms: [Double], normals: [Double]) {
        var random = RandomGenerator(seed: seed)
        #expect((0..<3).map { _ in random.uniform(low: -2, high: 3) } == uniforms)
        random = RandomGenerator(seed: seed)
        #expect((0..<3).map { _ in random.normal(mean: 1.5, standardDeviation: 0.25) } == normals)

        var filled = [Double](repeating: 0, count: 3)
        random = RandomGenerator(seed: seed)
        filled.withUnsafeMutableBufferPointer { random.fillUniform($0, low: -2, high: 3) }
        #expect(filled == uniforms)
        random = RandomGenerator(seed: seed)
        filled.withUnsafeMutableBufferPointer { random.fillNormal($0, mean: 1.5, standardDeviation: 0.25) }
        #expect(filled == normals)
    }

    /// python3 -c "import numpy as np; np.random.seed(0); print([float(x).hex() for x in np.random.randn(5).astype(np.float32)])"
    @Test("Float fills equal NumPy's float64 draws cast to float32")
    func floatFills() {
        var random = RandomGenerator(seed: 0)
        var normals = [Float](repeating: 0, count: 5)
        normals.withUnsafeMutableBufferPointer { random.fillNormal($0) }
        #expect(normals == [0x1.c398f0p+0, 0x1.99c2d0p-2, 0x1.f51d26p-1, 0x1.1ed596p+1, 0x1.de1848p+0])

        random = RandomGenerator(seed: 0)
        var uniforms = [Float](repeating: 0, count: 3)
        uniforms.withUnsafeMutableBufferPointer { random.fillUniform($0, low: -2, high: 3) }
        let expected: [Double] = [0x1.7cf66afdb5d48p-1, 0x1.9371406715200p+0, 0x1.038980c94573cp+0]
        #expect(uniforms == expected.map { Float($0) })
    }
}
