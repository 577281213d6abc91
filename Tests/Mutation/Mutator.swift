// Mutation: seeded byte-level mutations of valid seed files for the format fuzzers (PNG, JPEG, CSV,
// .pth, .h5, .dlew, SQLite caslib files). Shared by ImageCodecTests, DLEngineTests, CASCoreTests and
// CASStorageTests. Every choice comes from the seed, so a failing case is reproduced by its number.

import Foundation

/// Mutates bytes: bit flips, random bytes, truncation, boundary values (0, -1, 2^31, 2^32, 2^63-1 as
/// 4- or 8-byte little/big-endian integers and as decimal text) written over length/shape fields or
/// anywhere, duplicated and deleted ranges.
public struct Mutator: Sendable {
    private var state: UInt64

    /// A mutator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// xorshift64* (Vigna): plenty for choosing mutations, and the state is never 0.
    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A number in `0..<n` (n > 0).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// The boundary values written over fields.
    public static let boundaries: [UInt64] = [0, .max, 1 << 31, (1 << 31) - 1, 1 << 32, (1 << 32) - 1, UInt64(Int64.max), 1 << 63, 1, 0x7FFF, 0xFFFF]

    /// One to four mutations of `seed`. `fields` are offsets of known length/shape/offset fields
    /// (preferred targets for boundary values); `text` adds decimal boundary numbers for text formats.
    public mutating func mutate(_ seed: [UInt8], fields: [Int] = [], text: Bool = false) -> [UInt8] {
        var b = seed
        for _ in 0..<(1 + below(4)) { mutateOnce(&b, fields: fields, text: text) }
        return b
    }

    mutating func mutateOnce(_ b: inout [UInt8], fields: [Int], text: Bool) {
        guard !b.isEmpty else { b = [UInt8(truncatingIfNeeded: next())]; return }
        switch below(text ? 8 : 7) {
        case 0: b[below(b.count)] ^= 1 << UInt8(below(8))                               // bit flip
        case 1: b[below(b.count)] = UInt8(truncatingIfNeeded: next())                   // random byte
        case 2: b.removeLast(1 + below(min(b.count, 64) ))                                // truncate (near the end)
        case 3: b = Array(b.prefix(below(b.count)))                                     // truncate anywhere
        case 4:                                                                         // boundary integer
            let at = !fields.isEmpty && below(3) > 0 ? fields[below(fields.count)] : below(b.count)
            let v = Self.boundaries[below(Self.boundaries.count)]
            let width = below(2) == 0 ? 4 : 8
            var bytes = (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
            if below(2) == 0 { bytes.reverse() }                                        // big-endian (PNG, JPEG)
            for (k, x) in bytes.enumerated() where at + k < b.count { b[at + k] = x }
        case 5:                                                                         // duplicate a chunk
            let start = below(b.count), length = 1 + below(min(b.count - start, 256))
            let chunk = b[start..<(start + length)]
            b.insert(contentsOf: chunk, at: below(b.count + 1))
        case 6:                                                                         // delete a range
            let start = below(b.count), length = 1 + below(min(b.count - start, 64))
            b.removeSubrange(start..<(start + length))
        default:                                                                        // decimal boundary in text
            let words = ["0", "-1", "2147483648", "4294967296", "9223372036854775807", "1e300", "NaN", "\"", "\"\"\"", ",,,,", "\u{FF}\u{FE}"]
            let w = Array(words[below(words.count)].utf8)
            let at = below(b.count + 1)
            if below(2) == 0 { b.insert(contentsOf: w, at: at) } else { b.replaceSubrange(at..<min(at + w.count, b.count), with: w) }
        }
    }
}

/// How many cases each format fuzzer runs: `CASLITE_FUZZ_ITERATIONS` when set (`make fuzz`), else the
/// format's default, chosen so all fuzzers together stay well under a minute in `swift test`.
public func fuzzIterations(default n: Int) -> Int {
    if let s = ProcessInfo.processInfo.environment["CASLITE_FUZZ_ITERATIONS"], let v = Int(s), v > 0 { return v }
    return n
}

/// Counts outcomes of one format's fuzz run and prints them (`fuzz png: 400 cases, 391 errors, 9 values, 0.41 s`).
public struct FuzzTally {
    public let format: String
    public private(set) var values = 0, errors = 0
    private let start = Date()

    public init(_ format: String) { self.format = format }

    /// Records one case: `true` when it gave a value, `false` when it threw.
    public mutating func record(value: Bool) { if value { values += 1 } else { errors += 1 } }

    /// Runs `body`, recording a value or a thrown error (anything else — a trap — ends the process).
    public mutating func run(_ body: () throws -> Void) {
        do { try body(); values += 1 } catch { errors += 1 }
    }

    public var cases: Int { values + errors }

    /// Prints the summary line.
    public func report() {
        print(String(format: "fuzz %@: %d cases, %d errors, %d values, %.2f s", format, cases, errors, values, Date().timeIntervalSince(start)))
    }
}
