/// The seeded generator of the action sets (sampling, table.shuffle): the same seed gives the same
/// sample or order on every platform.
///
/// It is SplitMix64 with one difference: its first mixing multiplier is `0xBF58_476C_E5B9_1CE5`
/// where the published constant (and SeededRandom's `SplitMix64`, which everything else uses) has
/// `0xBF58_476D_1CE4_E5B9`. It stays a variant on purpose: users' seeded partitions, samples and
/// shuffles, and the golden outputs that pin them, were made with it, and one changed bit would
/// change every one of them.
public struct CASRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public init(seed: Int) { state = UInt64(bitPattern: Int64(seed)) }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_E5B9_1CE5
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<n (n > 0), by rejection (no modulo bias).
    public mutating func below(_ n: Int) -> Int {
        let bound = UInt64(n), limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return Int(x % bound) }
        }
    }
}
