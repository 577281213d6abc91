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
}
