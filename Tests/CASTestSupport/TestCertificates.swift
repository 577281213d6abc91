import CASTLS
import Foundation

/// Real certificates for TLS tests, made by the same code as `caslite tls self-signed`: a CA and a
/// server certificate signed by it, written as PEM files to a fresh temporary folder.
///
/// ```swift
/// let certs = try TestCertificates.make()                              // localhost, 127.0.0.1, ::1
/// let expired = try TestCertificates.make(validity: past...pastPlusADay)
/// try await TestServer.start(tls: certs.server).run { s in … s.connect(tls: TLSOptions(caFile: certs.caFile)) }
/// ```
public struct TestCertificates: Sendable {
    public let folder: String
    /// The CA's certificate: what clients trust.
    public let caFile: String
    public let certificateFile: String
    public let keyFile: String
    public let ca: SelfSignedCertificates.CA

    /// The server's files, for `ServerConfig.tls` / `TestServer.start(tls:)`.
    public var server: ServerTLS.Files { ServerTLS.Files(certificate: certificateFile, privateKey: keyFile) }

    /// A new CA (or `ca`) and a server certificate for `hosts`, valid over `validity` (default: an hour ago to a year from now).
    public static func make(hosts: [String] = SelfSignedCertificates.defaultHosts, validity: ClosedRange<Date>? = nil,
                            ca: SelfSignedCertificates.CA? = nil, name: String = "caslite test CA") throws -> TestCertificates {
        let folder = try TestServer.freshRoot()
        let authority = try ca ?? SelfSignedCertificates.CA.make(name: "\(name) \(UUID().uuidString.prefix(8))")
        let server = try authority.issue(hosts: hosts, validity: validity)
        let c = TestCertificates(folder: folder, caFile: folder + "/ca.pem", certificateFile: folder + "/server.pem",
                                 keyFile: folder + "/server-key.pem", ca: authority)
        try authority.pair.certificatePEM.write(toFile: c.caFile, atomically: true, encoding: .utf8)
        try c.install(server)
        return c
    }

    /// Writes a server certificate and key over this folder's (atomically, as an administrator replacing them would).
    public func install(_ pair: SelfSignedCertificates.Pair) throws {
        try pair.keyPEM.write(toFile: keyFile, atomically: true, encoding: .utf8)
        try pair.certificatePEM.write(toFile: certificateFile, atomically: true, encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
