import Foundation
import X509

/// What a certificate says, for logs and error messages: whom it is for, who signed it, when it is valid.
public struct CertificateSummary: Sendable, Equatable, CustomStringConvertible {
    /// The subject, e.g. `CN=localhost`.
    public var subject: String
    /// The issuer, e.g. `CN=caslite CA (build-7)`.
    public var issuer: String
    /// The DNS names and IP addresses it is valid for (subject alternative names).
    public var names: [String]
    /// The first moment it is valid.
    public var notValidBefore: Date
    /// The last moment it is valid.
    public var notValidAfter: Date

    /// What `c` says.
    public init(_ c: Certificate) {
        subject = c.subject.description
        issuer = c.issuer.description
        names = Self.names(c)
        notValidBefore = c.notValidBefore
        notValidAfter = c.notValidAfter
    }

    /// `'CN=localhost' for localhost, 127.0.0.1, ::1, issued by 'CN=…', valid until 2027-05-01 10:00 UTC`
    public var description: String {
        let forNames = names.isEmpty ? "no subject alternative names" : names.joined(separator: ", ")
        return "'\(subject)' for \(forNames), issued by '\(issuer)', valid until \(Self.date(notValidAfter))"
    }

    /// Whether `now` is inside the validity window.
    public func isValid(at now: Date) -> Bool { notValidBefore <= now && now <= notValidAfter }

    /// `2027-05-01 10:00 UTC`
    public static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: d)
    }

    static func names(_ c: Certificate) -> [String] {
        guard let san = try? c.extensions.subjectAlternativeNames else { return [] }
        return san.compactMap { name -> String? in
            switch name {
            case .dnsName(let n): return n
            case .ipAddress(let bytes): return HostName.ipText(Array(bytes.bytes))
            default: return nil
            }
        }
    }
}
