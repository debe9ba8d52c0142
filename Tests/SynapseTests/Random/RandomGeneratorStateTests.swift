import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Saving and restoring a ``RandomGenerator`` mid-stream.
@Suite("RandomGenerator state")
struct RandomGeneratorStateTests {
    @Test("JSON round trip with a live Gaussian cache continues identically")
    func jsonRoundTrip() throws {
        var original = RandomGenerator(seed: 42)
        for _ in 0..<7 { _ = original.nextGaussian() }  // odd count: the second value of a pair is cached
        #expect(original.hasCachedGaussian)
        // randn[7] from /work/shared/reference/seed_xor_init.out is what is waiting.
        #expect(original.cachedGaussian == 0x1.88ed346f0d7f3p-1)

        let data = try JSONEncoder().encode(original)
        var restored = try JSONDecoder().decode(RandomGenerator.self, from: data)
        #expect(restored == original)
        #expect(restored.nextGaussian() == 0x1.88ed346f0d7f3p-1)
        #expect(original.nextGaussian() == 0x1.88ed346f0d7f3p-1)
        for _ in 0..<1001 {
            #expect(restored.nextGaussian() == original.nextGaussian())
            #expect(restored.nextDouble() == original.nextDouble())
        }
        #expect(restored == original)
    }

    @Test("dropping the cache changes the stream, so the cache really is saved")
    func cacheMatters() {
        var original = RandomGenerator(seed: 42)
        _ = original.nextGaussian()
        var withoutCache = RandomGenerator(twister: original.twister)
        #expect(withoutCache != original)
        #expect(withoutCache.nextGaussian() != original.nextGaussian())
    }

    /// Restoring from the parts of `np.random.get_state()`:
    /// python3 -c "import numpy as np; np.random.seed(42); np.random.randn(1); s=np.random.get_state(); print(s[2], s[3], s[4].hex())"
    /// prints `4 1 -0x1.1b2a505de052ap-3` (position, has_gauss, cached_gaussian).
    @Test("building a generator from NumPy-style state parts")
    func fromNumPyStateParts() throws {
        var reference = RandomGenerator(seed: 42)
        _ = reference.nextGaussian()
        #expect(reference.twister.position == 4)
        #expect(reference.cachedGaussian == -0x1.1b2a505de052ap-3)
        let twister = try #require(MT19937(key: reference.twister.key, position: reference.twister.position))
        var rebuilt = RandomGenerator(twister: twister, cachedGaussian: -0x1.1b2a505de052ap-3)
        #expect(rebuilt == reference)
        #expect(rebuilt.nextGaussian() == -0x1.1b2a505de052ap-3)
        #expect(rebuilt.nextGaussian() == 0x1.4b9dd50245e68p-1)
    }
}
