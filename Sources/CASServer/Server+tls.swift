import CASTLS
import Foundation
import Logging

extension CASServer {
    /// Reads the certificate and key files again and presents them to new connections on both front
    /// ends; established connections keep theirs. A failure is logged as an ERROR and thrown, and the
    /// current certificate stays. Nil (and nothing happens) for a server without TLS.
    @discardableResult
    public func reloadTLS() throws(TLSError) -> CertificateSummary? {
        guard let tls else { return nil }
        do {
            let c = try tls.reload()
            logger.notice("TLS certificate reloaded")
            Self.logCertificate(c, logger: logger)
            return c
        } catch {
            logger.error("TLS reload failed; the current certificate stays in use: \(error)")
            throw error
        }
    }

    /// Logs the certificate in use, with a WARNING when it has expired or expires within 30 days.
    static func logCertificate(_ c: CertificateSummary, logger: Logger, now: Date = Date()) {
        logger.info("TLS certificate \(c)")
        if now > c.notValidAfter {
            logger.warning("the TLS certificate '\(c.subject)' expired on \(CertificateSummary.date(c.notValidAfter)): clients will refuse it; renew it and send SIGHUP")
        } else if now < c.notValidBefore {
            logger.warning("the TLS certificate '\(c.subject)' is not valid before \(CertificateSummary.date(c.notValidBefore)): clients will refuse it until then")
        } else if c.notValidAfter.timeIntervalSince(now) < 30 * 86400 {
            logger.warning("the TLS certificate '\(c.subject)' expires on \(CertificateSummary.date(c.notValidAfter)): renew it and send SIGHUP")
        }
    }
}
