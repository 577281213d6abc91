import SeededRandom
import Testing

@Suite("SplitMix64")
struct SplitMix64Tests {
    /// The published sequences (Vigna's `splitmix64.c`): every seeded output in caslite rests on them.
    @Test(arguments: [
        (UInt64(0), [UInt64(0xE220_A839_7B1D_CDAF), 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]),
        (UInt64(1_234_567), [UInt64(0x599E_D017_FB08_FC85), 0x2C73_F084_5854_0FA5, 0x883E_BCE5_A3F2_7C77]),
    ])
    func referenceSequence(seed: UInt64, expected: [UInt64]) {
        var g = SplitMix64(seed: seed)
        #expect((0..<expected.count).map { _ in g.next() } == expected)
    }
}
