/// A compiled SAS LIKE pattern: `%` matches any run of characters (including none), `_` exactly one character;
/// everything else matches itself, case-sensitively. Trailing blanks of the pattern and of the value are ignored.
struct WhereLikePattern: Sendable {
    private enum Piece: Sendable, Equatable {
        case byte(UInt8)
        case anyOne
        case anyRun
    }

    private let pieces: [Piece]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        for b in WhereSemantics.trimTrailingBlanks(pattern).utf8 {
            switch b {
            case UInt8(ascii: "%"): if pieces.last != .anyRun { pieces.append(.anyRun) }
            case UInt8(ascii: "_"): pieces.append(.anyOne)
            default: pieces.append(.byte(b))
            }
        }
        self.pieces = pieces
    }

    /// Length in bytes of the UTF-8 scalar starting with `lead`.
    @inline(__always)
    private static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    func matches(_ value: String) -> Bool {
        var v = value
        return v.withUTF8 { bytes in
            var n = bytes.count
            while n > 0 && bytes[n - 1] == 0x20 { n -= 1 }
            return match(bytes, n)
        }
    }

    /// Greedy matching with backtracking to the last `%` (linear in practice, O(n·m) worst case).
    private func match(_ s: UnsafeBufferPointer<UInt8>, _ n: Int) -> Bool {
        var p = 0, i = 0
        var starP = -1, starI = 0
        while i < n {
            if p < pieces.count {
                switch pieces[p] {
                case .byte(let b) where b == s[i]:
                    p += 1; i += 1; continue
                case .anyOne:
                    p += 1; i += min(Self.scalarLength(s[i]), n - i); continue
                case .anyRun:
                    starP = p; starI = i; p += 1; continue
                default: break
                }
            }
            guard starP >= 0 else { return false }
            // Let the last % swallow one more character and retry.
            starI += min(Self.scalarLength(s[starI]), n - starI)
            i = starI
            p = starP + 1
        }
        while p < pieces.count && pieces[p] == .anyRun { p += 1 }
        return p == pieces.count
    }
}
