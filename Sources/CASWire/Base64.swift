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
        out.reserveCapacity(out.count + (input.count + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { a in
            input.withUnsafeBufferPointer { p in
                var i = 0
                while i + 3 <= p.count {
                    let n = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2])
                    out.append(a[Int(n >> 18)]); out.append(a[Int(n >> 12 & 63)])
                    out.append(a[Int(n >> 6 & 63)]); out.append(a[Int(n & 63)])
                    i += 3
                }
                let rest = p.count - i
                if rest == 1 {
                    let n = UInt32(p[i]) << 16
                    out.append(a[Int(n >> 18)]); out.append(a[Int(n >> 12 & 63)])
                    out.append(UInt8(ascii: "=")); out.append(UInt8(ascii: "="))
                } else if rest == 2 {
                    let n = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8
                    out.append(a[Int(n >> 18)]); out.append(a[Int(n >> 12 & 63)])
                    out.append(a[Int(n >> 6 & 63)]); out.append(UInt8(ascii: "="))
                }
            }
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
