import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A listener could not bind its address: says which port, which flag picks another, and why.
public struct BindError: Error, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// `--port` or `--http-port`.
    public var flag: String
    public var cause: String

    public var description: String {
        "cannot listen on \(host):\(port) (\(flag)): \(cause). Stop what uses the port, or pick another with \(flag) PORT (0: any free port)."
    }

    /// Runs `bind`, turning its failure into a `BindError` (an address in use is said in words).
    static func binding<T>(host: String, port: Int, flag: String, _ bind: () async throws -> T) async throws -> T {
        do {
            return try await bind()
        } catch let e as IOError {
            let cause = e.errnoCode == EADDRINUSE ? "the address is already in use" : e.errnoCode == EACCES ? "permission denied" : "\(e)"
            throw BindError(host: host, port: port, flag: flag, cause: cause)
        }
    }
}
