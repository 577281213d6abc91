/// Standard base64 (RFC 4648) for blob cells. Small and allocation-free on the encode path.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var r = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { r[Int(c)] = UInt8(i) }
        r[Int(UInt8(ascii: "-"))] = 62  // URL-safe variants accepted on input
        r[Int(UInt8(ascii: "_"))] = 63
        return r
    }()

    public static func encode(_ input: [UInt8], into out: inout [UInt8]) {
        let n = encodedCount(input.count)
        let old = out.count
        out.append(contentsOf: repeatElement(0, count: n))
        out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in _ = encode(i, to: o.baseAddress! + old) }
        }
    }

    /// The length of `count` bytes in base64, padding included.
    @inline(__always) public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes `input` in base64 at `out`, which has room for `encodedCount(input.count)` bytes; returns that count.
    public static func encode(_ input: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        alphabet.withUnsafeBufferPointer { a in
            var i = 0, o = out
            while i + 3 <= input.count {
                let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                o[0] = a[Int(n >> 18)]; o[1] = a[Int(n >> 12 & 63)]; o[2] = a[Int(n >> 6 & 63)]; o[3] = a[Int(n & 63)]
                o += 4
                i += 3
            }
            let rest = input.count - i
            if rest > 0 {
                let n = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                o[0] = a[Int(n >> 18)]; o[1] = a[Int(n >> 12 & 63)]
                o[2] = rest == 2 ? a[Int(n >> 6 & 63)] : UInt8(ascii: "="); o[3] = UInt8(ascii: "=")
                o += 4
            }
            return o - out
        }
    }

    public static func encode(_ input: [UInt8]) -> String {
        var out = [UInt8]()
        encode(input, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64 (padding optional, whitespace ignored); nil on an invalid character.
    public static func decode<S: Sequence>(_ input: S) -> [UInt8]? where S.Element == UInt8 {
        var out = [UInt8]()
        var acc: UInt32 = 0
        var bits = 0
        for c in input {
            if c == UInt8(ascii: "=") || c == 0x20 || c == 0x0A || c == 0x0D { continue }
            let v = reverse[Int(c)]
            if v == 0xFF { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        return out
    }

    public static func decode(_ s: String) -> [UInt8]? { decode(s.utf8) }
}
