/// A TLS failure with a message that says what was wrong and what to do: a certificate or key that
/// cannot be read, a handshake that failed, a certificate the client does not trust.
///
/// ```swift
/// do { try tls.reload() } catch { logger.error("\(error)") }   // "cannot read the private key …: …"
/// ```
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, for code that reacts to it.
    public enum Code: Sendable, Equatable {
        /// A certificate, key or CA file is missing, unreadable or malformed, or the key is not the certificate's.
        case badFile
        /// The server's certificate is not signed by a trusted CA, or it is expired or not valid yet.
        case untrustedCertificate
        /// The server's certificate does not name the host the client connected to.
        case wrongHostName
        /// The server closed the connection during the handshake or did not answer with TLS.
        case notTLS
        /// Any other handshake failure (protocol versions, ciphers, a reset connection).
        case handshakeFailed
        /// Certificates could not be made (`caslite tls self-signed`).
        case generation
    }

    public var code: Code
    /// What was wrong and what to do.
    public var message: String
    /// The underlying error (nio-ssl's, the file system's), when there is one.
    public var cause: (any Error & Sendable)?

    /// A failure of kind `code`; `message` says what was wrong and what to do.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}
