import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Tests of the raw Mersenne Twister stream against NumPy's legacy `RandomState`.
@Suite("MT19937")
struct MT19937Tests {
    /// Reference data from NumPy 2.4.6, recorded in
    /// /work/shared/reference/seed_xor_init.out:
    /// `np.random.seed(42); np.random.randint(0, 2**32, size=4, dtype=np.uint32)`.
    @Test("seed 42 gives NumPy's first four raw words")
    func seed42FirstWords() {
        var twister = MT19937(seed: 42)
        let words = (0..<4).map { _ in twister.next() }
        #expect(words == [1_608_637_542, 3_421_126_067, 4_083_286_876, 787_846_414])
    }

    /// Values #1...#3 and #1000 (past the first twist at #625) of the raw stream.
    /// python3 -c "import numpy as np; np.random.seed(0); r=np.random.randint(0,2**32,size=1000,dtype=np.uint32); print(r[:3], r[999])"
    /// python3 -c "import numpy as np; np.random.seed(123456789); r=np.random.randint(0,2**32,size=1000,dtype=np.uint32); print(r[:3], r[999])"
    @Test("long raw streams match NumPy", arguments: [
        (UInt32(0), [UInt32(2_357_136_044), 2_546_248_239, 3_071_714_933], UInt32(3_043_451_800)),
        (UInt32(123_456_789), [UInt32(2_288_500_408), 4_254_805_660, 2_294_099_250], UInt32(3_871_123_946)),
    ])
    func longStream(seed: UInt32, firstWords: [UInt32], thousandth: UInt32) {
        var twister = MT19937(seed: seed)
        let words = (0..<1000).map { _ in twister.next() }
        #expect(Array(words.prefix(3)) == firstWords)
        #expect(words[999] == thousandth)
        #expect(twister.position == 1000 - MT19937.stateSize)
    }

    /// `next_uint64` puts the first 32-bit draw in the high half.
    @Test("nextUInt64 combines two draws, high half first")
    func nextUInt64Order() {
        var twister = MT19937(seed: 42)
        #expect(twister.nextUInt64() == (1_608_637_542 << 32 | 3_421_126_067))
    }

    @Test("a fresh generator is seeded like init_genrand and waits to twist")
    func freshState() {
        let twister = MT19937(seed: 5489)
        #expect(twister.key.count == 624)
        #expect(twister.key[0] == 5489)
        // Second word of the reference init_genrand(5489) state.
        #expect(twister.key[1] == 1_301_868_182)
        #expect(twister.position == 624)
    }

    @Test("restoring from key and position rejects malformed states")
    func restoreValidation() throws {
        let original = MT19937(seed: 1)
        #expect(MT19937(key: original.key, position: 624) == original)
        #expect(MT19937(key: Array(original.key.dropLast()), position: 0) == nil)
        #expect(MT19937(key: original.key, position: 625) == nil)
        #expect(MT19937(key: original.key, position: -1) == nil)

        let bad = Data(#"{"key":[1,2,3],"position":0}"#.utf8)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(MT19937.self, from: bad)
        }
    }

    @Test("a decoded twister continues the same stream")
    func codableRoundTrip() throws {
        var original = MT19937(seed: 2024)
        for _ in 0..<700 { _ = original.next() }
        var restored = try JSONDecoder().decode(MT19937.self, from: JSONEncoder().encode(original))
        #expect(restored == original)
        for _ in 0..<1000 {
            #expect(restored.next() == original.next())
        }
    }
}
