import CSodium

/// Password hashing with libsodium's Argon2id (`crypto_pwhash_str`): salted, slow, and verified in
/// constant time by libsodium.
public enum Passwords {
    static let ready: Bool = sodium_init() >= 0

    /// An encoded Argon2id hash (salt and parameters included), at libsodium's "interactive" cost.
    public static func hash(_ password: String) throws(StorageError) -> String {
        guard ready else { throw StorageError(.auth, "libsodium failed to initialise") }
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
        let length = UInt64(password.utf8.count)
        let rc = password.withCString { p in
            crypto_pwhash_str(&out, p, length, UInt64(crypto_pwhash_opslimit_interactive()), crypto_pwhash_memlimit_interactive())
        }
        guard rc == 0 else { throw StorageError(.auth, "password hashing ran out of memory") }
        return out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// A real Argon2id hash of a random-looking string, checked in place of an unknown user's hash so
    /// that unknown names take as long as known ones. Computed once, on first use.
    public static let decoy: String = (try? hash("caslite-decoy-\(UInt64.random(in: .min ... .max))")) ?? ""

    /// Whether `password` matches `encoded`.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        guard ready else { return false }
        var enc = Array(encoded.utf8CString)
        if enc.count < Int(crypto_pwhash_strbytes()) { enc += [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()) - enc.count) }
        let length = UInt64(password.utf8.count)
        return password.withCString { p in crypto_pwhash_str_verify(&enc, p, length) } == 0
    }
}
