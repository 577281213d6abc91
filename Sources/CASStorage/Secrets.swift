import CSodium

/// Random tokens and their comparison, from libsodium (the library that salts the password hashes).
public enum Secrets {
    /// `bytes` random bytes from libsodium's CSPRNG (`randombytes_buf`), as lowercase hex.
    public static func token(bytes: Int = 32) -> String {
        _ = Passwords.ready
        var raw = [UInt8](repeating: 0, count: bytes)
        raw.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, bytes) }
        return raw.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// Whether two strings are equal, in time that depends on their length only (`sodium_memcmp`).
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        guard !x.isEmpty else { return true }
        return x.withUnsafeBytes { px in y.withUnsafeBytes { py in sodium_memcmp(px.baseAddress!, py.baseAddress!, x.count) == 0 } }
    }

    /// A 32-byte BLAKE2b digest of `bytes` (libsodium's `crypto_generichash`), as lowercase hex: detects
    /// damaged data (not a signature: anyone can recompute it).
    public static func digest(_ bytes: [UInt8]) -> String {
        _ = Passwords.ready
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { b in
            _ = crypto_generichash(&out, 32, b.baseAddress, UInt64(b.count), nil, 0)
        }
        return out.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
