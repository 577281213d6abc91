import CASCore
import SeededRandom
import Testing

@Suite("CASRandom")
struct CASRandomTests {
    /// Its sequence is pinned: users' seeded samples and shuffles were made with it.
    @Test func sequenceIsPinned() {
        var g = CASRandom(seed: 123)
        #expect([g.next(), g.next(), g.next()] == [0x911F_9A9E_2F68_0761, 0xBAEE_8E50_0916_79E8, 0x3CE8_FE42_8D95_EA83])
    }

    /// The variant is deliberate: it must not be "fixed" into the standard SplitMix64.
    @Test func differsFromStandardSplitMix64() {
        var variant = CASRandom(seed: 0), standard = SplitMix64(seed: 0)
        #expect(variant.next() != standard.next())
    }
}
