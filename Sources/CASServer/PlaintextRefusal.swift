import CASTLS

/// What a plaintext client on a TLS port is told, in its own protocol, before the connection is closed
/// (the first byte decided it: `TLSSniffer`). A TLS client on a plaintext port is closed at once instead.
enum PlaintextRefusal {
    /// The JSON-lines error frame's message (the answer to the first line).
    static let jsonLines = "hello: this caslite port requires TLS; closing the connection. Connect with --tls (and --tls-ca FILE, or CASLITE_TLS_CA, "
        + "for a private CA), or CASConnection.connect(…, tls: TLSOptions(caFile: …))"

    /// The answer to the first HTTP request (status 400, as web servers answer plain HTTP on an HTTPS port).
    static let rest = RESTError(.badRequest, "This port requires HTTPS",
                                details: "connect to https://HOST:PORT; swat: swat.CAS('https://HOST:PORT', …) with CAS_CLIENT_SSL_CA_LIST=ca.pem for a private CA")

    /// Whether the connection must be refused.
    static func applies(_ t: SniffedTransport) -> Bool { t.kind == .plaintextOnTLSPort }
}
