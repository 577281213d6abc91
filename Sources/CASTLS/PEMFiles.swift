import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Reads the PEM files of `serve --tls-cert/--tls-key/--tls-ca` and the client's CA file, with errors that
/// name the file and say what is wrong with it. Certificates are parsed by swift-certificates (for the
/// checks and messages) and handed to BoringSSL as DER.
enum PEMFiles {
    /// The text of a PEM file.
    static func text(_ path: String, _ what: String) throws(TLSError) -> String {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw TLSError(.badFile, "the \(what) \(path) is a folder; give the PEM file inside it")
        }
        // a PEM file is a few KB: refuse devices and huge files before reading them
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let type = attributes?[.type] as? FileAttributeType, type != .typeRegular, type != .typeSymbolicLink {
            throw TLSError(.badFile, "the \(what) \(path) is not a regular file")
        }
        if let size = attributes?[.size] as? Int, size > 1 << 20 {
            throw TLSError(.badFile, "the \(what) \(path) has \(size) bytes, too many for a PEM file")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TLSError(.badFile, "cannot read the \(what) \(path): \(Self.reason(error))", cause: error)
        }
        guard let text = String(data: data, encoding: .utf8), text.contains("-----BEGIN ") else {
            throw TLSError(.badFile, "the \(what) \(path) is not a PEM file (expected '-----BEGIN …-----' blocks; convert DER with `openssl x509 -inform der`)")
        }
        return text
    }

    /// Every certificate of a PEM file (at least one).
    static func certificates(_ path: String, _ what: String) throws(TLSError) -> [Certificate] {
        let text = try text(path, what)
        do {
            let docs = try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }
            guard !docs.isEmpty else { throw TLSError(.badFile, "the \(what) \(path) holds no CERTIFICATE block") }
            return try docs.map { try Certificate(pemDocument: $0) }
        } catch let e as TLSError {
            throw e
        } catch {
            throw TLSError(.badFile, "the \(what) \(path) is not a valid PEM certificate: \(Self.parseReason(error))")
        }
    }

    /// The private key of a PEM file (PKCS#8, SEC1 EC or PKCS#1 RSA; not encrypted).
    static func privateKey(_ path: String) throws(TLSError) -> (Certificate.PrivateKey, NIOSSLPrivateKey) {
        let text = try text(path, "private key")
        if text.contains("ENCRYPTED") {
            throw TLSError(.badFile, "the private key \(path) is encrypted; caslite needs it unencrypted and readable by the server account only (openssl pkey -in \(path) -out key.pem; chmod 600 key.pem)")
        }
        do {
            return (try Certificate.PrivateKey(pemEncoded: text), try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem))
        } catch {
            throw TLSError(.badFile, "the private key \(path) is not a valid PEM private key: \(Self.parseReason(error))")
        }
    }

    /// A certificate as BoringSSL's type.
    static func nio(_ c: Certificate) throws(TLSError) -> NIOSSLCertificate {
        do {
            var s = DER.Serializer()
            try s.serialize(c)
            return try NIOSSLCertificate(bytes: s.serializedBytes, format: .der)
        } catch {
            throw TLSError(.badFile, "cannot use the certificate \(c.subject): \(Self.parseReason(error))")
        }
    }

    /// A certificate from BoringSSL, parsed (nil when it cannot be).
    static func parsed(_ c: NIOSSLCertificate) -> Certificate? {
        (try? c.toDERBytes()).flatMap { try? Certificate(derEncoded: $0) }
    }

    /// Why a PEM or DER document could not be parsed, in words, never quoting it: the parsers' own
    /// descriptions carry the document (a private key, into the log) and their internals. The cause is
    /// not kept either, for the same reason.
    static func parseReason(_ error: any Error) -> String {
        if let asn1 = error as? ASN1Error {
            if asn1.code == .invalidPEMDocument { return "the PEM block is malformed (a missing BEGIN/END line or bad base64)" }
            if asn1.code == .truncatedASN1Field { return "the document is truncated" }
            return "the document is not valid DER (\(asn1.code))"
        }
        return "it cannot be parsed (\(type(of: error)))"
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoSuchFileError { return "no such file" }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoPermissionError { return "permission denied" }
        return ns.localizedDescription
    }
}
