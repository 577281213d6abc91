/// SplitMix64 (Steele, Lea and Flood, 2014, with the constants of Vigna's reference `splitmix64.c`):
/// a tiny, fast generator whose whole sequence is fixed by its seed, the same on every platform.
/// The engine (it seeds `Xoshiro256`), the image augmentations and the tests' seeded data all use
/// this one. CASCore's `CASRandom` is the only other variant: the action sets' seeded samples
/// depend on its different multiplier.
///
/// ```swift
/// var g = SplitMix64(seed: 42)
/// let pick = Int.random(in: 0..<10, using: &g)  // the same on every run
/// ```
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
