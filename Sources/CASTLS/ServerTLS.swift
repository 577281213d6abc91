import Foundation
import NIOSSL
import Synchronization
import X509

/// The TLS side of a caslite server: the certificate and key both front ends present, held so that
/// a reload (SIGHUP) swaps them for new connections while established ones keep the context they
/// shook hands with. A reload that fails throws and keeps the current certificate.
///
/// ```swift
/// let tls = try ServerTLS(files: .init(certificate: "server.pem", privateKey: "server-key.pem"))
/// // each accepted connection: NIOSSLServerHandler(context: tls.context)
/// try tls.reload()   // after the files were replaced
/// ```
public final class ServerTLS: Sendable {
    /// The PEM files a server reads at start and at every reload.
    public struct Files: Sendable, Equatable {
        /// The server's certificate, optionally followed by intermediate certificates (`--tls-cert`).
        public var certificate: String
        /// Its private key, unencrypted (`--tls-key`).
        public var privateKey: String
        /// Intermediate CA certificates sent after the server's own (`--tls-ca`).
        public var chain: String?

        public init(certificate: String, privateKey: String, chain: String? = nil) {
            self.certificate = certificate
            self.privateKey = privateKey
            self.chain = chain
        }
    }

    /// A loaded certificate: the context new connections use and what the certificate says.
    struct Loaded: Sendable {
        let context: NIOSSLContext
        let certificate: CertificateSummary
    }

    public let files: Files
    private let loaded: Mutex<Loaded>

    /// Reads the files and builds the context; throws `TLSError` (`.badFile`) naming the file at fault.
    public init(files: Files) throws(TLSError) {
        self.files = files
        self.loaded = Mutex(try Self.load(files))
    }

    /// The context for the next accepted connection.
    public var context: NIOSSLContext { loaded.withLock { $0.context } }

    /// The certificate new connections get.
    public var certificate: CertificateSummary { loaded.withLock { $0.certificate } }

    /// Reads the files again and, if they are good, uses them for new connections from now on. On an
    /// error nothing changes (the current certificate stays) and the error says what was wrong.
    @discardableResult
    public func reload() throws(TLSError) -> CertificateSummary {
        let new = try Self.load(files)
        loaded.withLock { $0 = new }
        return new.certificate
    }

    /// The settings every caslite TLS listener uses: TLS 1.2 or 1.3 only; for TLS 1.2 only forward-secret
    /// AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3's suites are all of that kind).
    public static func configuration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        c.minimumTLSVersion = .tlsv12
        c.cipherSuites = modernCipherSuites
        c.shutdownTimeout = .seconds(1)  // a client that never answers close_notify does not hold a stopping server
        return c
    }

    /// BoringSSL's names of the TLS 1.2 suites allowed (TLS 1.3 suites are fixed and all modern).
    public static let modernCipherSuites = "ECDHE+AESGCM:ECDHE+CHACHA20"

    static func load(_ files: Files) throws(TLSError) -> Loaded {
        let certs = try PEMFiles.certificates(files.certificate, "certificate")
        let extra = try files.chain.map { path throws(TLSError) in try PEMFiles.certificates(path, "CA chain") } ?? []
        let (key, nioKey) = try PEMFiles.privateKey(files.privateKey)
        guard certs[0].publicKey == key.publicKey else {
            throw TLSError(.badFile, "the private key \(files.privateKey) does not belong to the certificate \(files.certificate) ('\(certs[0].subject)'); give the key the certificate was made for")
        }
        var chain: [NIOSSLCertificate] = []
        for c in certs + extra { chain.append(try PEMFiles.nio(c)) }
        do {
            let context = try NIOSSLContext(configuration: configuration(chain: chain, key: nioKey))
            return Loaded(context: context, certificate: CertificateSummary(certs[0]))
        } catch {
            throw TLSError(.badFile, "cannot use \(files.certificate) with \(files.privateKey): \(error)", cause: error)
        }
    }
}
