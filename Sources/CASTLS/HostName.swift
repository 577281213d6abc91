import Foundation

/// Host names and IP addresses as certificates hold them.
public enum HostName {
    /// The 4 or 16 bytes of an IP address, or nil for a DNS name (`::1`, `[::1]`, `127.0.0.1`).
    public static func ipBytes(_ host: String) -> [UInt8]? {
        let h = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, h, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The text of a 4- or 16-byte address (`127.0.0.1`, `::1`).
    static func ipText(_ bytes: [UInt8]) -> String? {
        let family = bytes.count == 4 ? AF_INET : bytes.count == 16 ? AF_INET6 : -1
        guard family >= 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let ok = bytes.withUnsafeBytes { raw in out.withUnsafeMutableBytes { inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count)) } } != nil
        return ok ? String(decoding: out.prefix { $0 != 0 }, as: UTF8.self) : nil
    }

    /// Why `name` cannot go into a certificate as a DNS name (nil when it can): letters, digits, `-`, `.`, and a
    /// leading `*.` wildcard label.
    public static func problem(_ name: String) -> String? {
        if ipBytes(name) != nil { return nil }
        let labels = (name.hasPrefix("*.") ? String(name.dropFirst(2)) : name).split(separator: ".", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 253 else { return "a host name has 1 to 253 characters" }
        for label in labels {
            guard !label.isEmpty, label.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-"),
                  label.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }) else {
                return "'\(name)' is neither an IP address nor a host name (letters, digits, '-' and '.'; a leading '*.' for a wildcard)"
            }
        }
        return nil
    }
}
