import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import X509

extension ClientTLS {
    /// Says why the server's certificate was refused, from the chain the server presents: expired or
    /// not valid yet, issued for other names, or signed by a CA the client does not trust.
    func diagnose(_ chain: [Certificate]?, host: String, at: String, hostNameFailed: Bool, cause: any Error) -> TLSError {
        let fix = "Point the client at the CA that signed the server's certificate: --tls-ca FILE or CASLITE_TLS_CA=FILE (swat: CAS_CLIENT_SSL_CA_LIST=FILE)."
        guard let chain, let leaf = chain.first else {
            let what = hostNameFailed ? "does not name '\(host)'" : "is not trusted by \(trustSource)"
            return TLSError(hostNameFailed ? .wrongHostName : .untrustedCertificate, "TLS: the certificate of \(at) \(what). \(fix)", cause: cause)
        }
        let s = CertificateSummary(leaf), now = Date()
        if now > s.notValidAfter {
            return TLSError(.untrustedCertificate, "TLS: the certificate of \(at) ('\(s.subject)') expired on \(CertificateSummary.date(s.notValidAfter)); the server's administrator must renew it (e.g. caslite tls self-signed) and reload the server (SIGHUP)", cause: cause)
        }
        if now < s.notValidBefore {
            return TLSError(.untrustedCertificate, "TLS: the certificate of \(at) ('\(s.subject)') is not valid before \(CertificateSummary.date(s.notValidBefore)); check the clocks of both machines", cause: cause)
        }
        if hostNameFailed {
            let names = s.names.isEmpty ? "no host names" : s.names.joined(separator: ", ")
            return TLSError(.wrongHostName, "TLS: the certificate of \(at) is for \(names), not '\(host)'; connect with one of those names, or give the server a certificate that names '\(host)' (caslite tls self-signed --host \(host))", cause: cause)
        }
        for c in chain.dropFirst() where !CertificateSummary(c).isValid(at: now) {
            return TLSError(.untrustedCertificate, "TLS: the CA certificate '\(c.subject)' that \(at) sends has expired or is not valid yet (\(CertificateSummary.date(c.notValidAfter)))", cause: cause)
        }
        let issuer = chain.last.map { $0.issuer.description } ?? s.issuer
        if leaf.issuer == leaf.subject {
            return TLSError(.untrustedCertificate, "TLS: the certificate of \(at) is self-signed ('\(s.subject)') and not trusted by \(trustSource). \(fix)", cause: cause)
        }
        let sameName = trusted.contains { $0.subject.description == issuer } ? " (a CA of that name is trusted, but it is not the one that signed: was the CA made again?)" : ""
        return TLSError(.untrustedCertificate, "TLS: the certificate of \(at) ('\(s.subject)') was issued by '\(issuer)', which is not trusted by \(trustSource)\(sameName). \(fix)", cause: cause)
    }
}

/// Fetches the certificate chain a server presents, without trusting it and without sending anything
/// else: the handshake is failed as soon as the chain arrives. Only used to explain a refused certificate.
enum ServerChain {
    static func fetch(host: String, port: Int, timeout: Double) async -> [Certificate]? {
        var config = TLSConfiguration.makeClientConfiguration()
        config.certificateVerification = .noHostnameVerification
        guard let context = try? NIOSSLContext(configuration: config) else { return nil }
        let name = HostName.ipBytes(host) == nil ? host : nil
        let captured = Mutex<[NIOSSLCertificate]?>(nil)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(timeout * 1000)))
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: name) { chain, promise in
                            captured.withLock { $0 = chain }
                            promise.succeed(NIOSSLVerificationResult.failed)
                        }
                        try ch.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            return nil
        }
        let deadline = Date().addingTimeInterval(timeout)
        while channel.isActive, captured.withLock({ $0 }) == nil, Date() < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        try? await channel.close()
        return captured.withLock { $0 }?.compactMap(PEMFiles.parsed)
    }
}
