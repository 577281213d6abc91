import Crypto
import Foundation
import SwiftASN1
import X509

/// A small certificate authority and a server certificate signed by it, in PEM: what
/// `caslite tls self-signed` writes, and what the TLS tests use (an expired certificate too, through
/// `validity`). Keys are ECDSA P-256. Clients trust the CA (`--tls-ca ca.pem`, `CASLITE_TLS_CA`,
/// swat's `CAS_CLIENT_SSL_CA_LIST`); the server presents the server certificate.
///
/// ```swift
/// let ca = try SelfSignedCertificates.CA.make(name: "caslite test CA")
/// let server = try ca.issue(hosts: ["localhost", "127.0.0.1", "::1"])
/// try server.certificatePEM.write(toFile: "server.pem", atomically: true, encoding: .utf8)
/// ```
public enum SelfSignedCertificates {
    /// The names a server certificate gets when none are given: every way to reach this machine's loopback.
    public static let defaultHosts = ["localhost", "127.0.0.1", "::1"]

    /// A certificate and its private key, in PEM.
    public struct Pair: Sendable {
        public var certificatePEM: String
        public var keyPEM: String
        /// What the certificate says.
        public var summary: CertificateSummary
    }

    /// A certificate authority that can issue server certificates.
    public struct CA: Sendable {
        public let certificate: Certificate
        let key: Certificate.PrivateKey

        /// A new CA named `name`, valid for `years` from an hour ago.
        public static func make(name: String, years: Int = 10, now: Date = Date()) throws(TLSError) -> CA {
            let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let subject = dn(name)
            do {
                let extensions = try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: key.publicKey)
                }
                let cert = try Certificate(version: .v3, serialNumber: .init(), publicKey: key.publicKey, notValidBefore: now - 3600,
                                           notValidAfter: now + Double(years) * 365.25 * 86400, issuer: subject, subject: subject,
                                           signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
                return CA(certificate: cert, key: key)
            } catch {
                throw TLSError(.generation, "cannot make the CA certificate: \(error)", cause: error)
            }
        }

        /// The CA read back from its PEM certificate and key (to issue a new server certificate with the
        /// CA clients already trust).
        public static func read(certificate: String, key: String) throws(TLSError) -> CA {
            let cert = try PEMFiles.certificates(certificate, "CA certificate")[0]
            let (k, _) = try PEMFiles.privateKey(key)
            guard cert.publicKey == k.publicKey else { throw TLSError(.badFile, "the CA key \(key) does not belong to the CA certificate \(certificate)") }
            return CA(certificate: cert, key: k)
        }

        /// The CA's certificate and key in PEM.
        public var pair: Pair {
            get throws(TLSError) { try SelfSignedCertificates.pair(certificate, key) }
        }

        /// A server certificate for `hosts` (DNS names and IP addresses), valid over `validity`.
        public func issue(hosts: [String] = defaultHosts, validity: ClosedRange<Date>? = nil, now: Date = Date()) throws(TLSError) -> Pair {
            guard let first = hosts.first else { throw TLSError(.generation, "a server certificate needs at least one host name") }
            for h in hosts { if let p = HostName.problem(h) { throw TLSError(.generation, "--host \(p)") } }
            let window = validity ?? (now - 3600)...(now + 365 * 86400)
            let serverKey = Certificate.PrivateKey(P256.Signing.PrivateKey())
            let names: [GeneralName] = hosts.map { h in
                HostName.ipBytes(h).map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) } ?? .dnsName(h)
            }
            do {
                let caKeyId = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
                let extensions = try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))  // ECDSA keys sign; they never encipher
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectKeyIdentifier(hash: serverKey.publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: caKeyId)
                    SubjectAlternativeNames(names)
                }
                let cert = try Certificate(version: .v3, serialNumber: .init(), publicKey: serverKey.publicKey, notValidBefore: window.lowerBound,
                                           notValidAfter: window.upperBound, issuer: certificate.subject, subject: dn(first),
                                           signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
                return try SelfSignedCertificates.pair(cert, serverKey)
            } catch let e as TLSError {
                throw e
            } catch {
                throw TLSError(.generation, "cannot make the server certificate: \(error)", cause: error)
            }
        }
    }

    static func dn(_ commonName: String) -> DistinguishedName {
        (try? DistinguishedName { CommonName(commonName) }) ?? DistinguishedName()
    }

    static func pair(_ cert: Certificate, _ key: Certificate.PrivateKey) throws(TLSError) -> Pair {
        do {
            return Pair(certificatePEM: try cert.serializeAsPEM().pemString, keyPEM: try key.serializeAsPEM().pemString, summary: CertificateSummary(cert))
        } catch {
            throw TLSError(.generation, "cannot write the certificate as PEM: \(error)", cause: error)
        }
    }
}
