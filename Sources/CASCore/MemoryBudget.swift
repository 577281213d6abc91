import CASWire
import Foundation
import Synchronization

/// Memory that tables, models, images and script values may use — for the whole server and for each
/// session — charged *before* the memory is used, so that an oversized request is refused with a
/// clear error instead of exhausting the machine. Limits come from `caslite serve --max-memory` and
/// `--max-session-memory` (defaults from physical memory, `MemoryBudget.defaults`).
///
/// What is charged: in-memory tables while they exist (session tables to their session and the
/// server, global tables to the server), and reservations an action makes for large temporary
/// allocations (`ActionContext.reserve`), released when the action ends.
public final class MemoryBudget: Sendable {
    /// Most bytes the server may hold in charged memory.
    public let serverLimit: Int
    /// Most bytes one session may hold.
    public let sessionLimit: Int
    private let state = Mutex<State>(State())

    struct State {
        var total = 0
        var bySession: [String: Int] = [:]
    }

    public init(serverLimit: Int, sessionLimit: Int) {
        self.serverLimit = max(0, serverLimit)
        self.sessionLimit = max(0, min(sessionLimit, serverLimit))
    }

    /// 75 % of physical memory for the server, half of that for one session.
    public static var defaults: (server: Int, session: Int) {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let server = physical / 4 * 3
        return (server, server / 2)
    }

    /// Charges `bytes` to `session` (nil: the server only, e.g. global tables) for `what`, or throws
    /// naming the limit and the flag that raises it; nothing is charged then.
    public func charge(_ bytes: Int, session: String?, for what: String) throws(ActionError) {
        guard bytes > 0 else { return }
        let refusal: String? = state.withLock { s in
            // the session's limit first: it is the one a user can do something about
            let mine = (s.bySession[session ?? ""] ?? 0).addingReportingOverflow(bytes)
            if session != nil, mine.overflow || mine.partialValue > sessionLimit {
                return Self.refusal(what, bytes, used: s.bySession[session!] ?? 0, limit: sessionLimit, scope: "this session", flag: "--max-session-memory")
            }
            let total = s.total.addingReportingOverflow(bytes)
            if total.overflow || total.partialValue > serverLimit {
                return Self.refusal(what, bytes, used: s.total, limit: serverLimit, scope: "the server", flag: "--max-memory")
            }
            if let session { s.bySession[session] = mine.partialValue }
            s.total = total.partialValue
            return nil
        }
        if let refusal { throw ActionError(.badInput, refusal) }
    }

    /// Charges without a limit (tables restored at start are already in memory).
    public func force(_ bytes: Int, session: String?) {
        state.withLock { s in
            s.total &+= bytes
            if let session { s.bySession[session, default: 0] &+= bytes }
        }
    }

    /// Gives back what `charge` took.
    public func release(_ bytes: Int, session: String?) {
        guard bytes > 0 else { return }
        state.withLock { s in
            s.total = max(0, s.total - bytes)
            if let session {
                let left = max(0, (s.bySession[session] ?? 0) - bytes)
                s.bySession[session] = left == 0 ? nil : left
            }
        }
    }

    /// Bytes charged to each session that holds any.
    public func bySession() -> [String: Int] { state.withLock { $0.bySession } }

    /// Bytes charged to the server, or to one session.
    public func used(session: String? = nil) -> Int {
        state.withLock { s in session.map { s.bySession[$0] ?? 0 } ?? s.total }
    }

    static func refusal(_ what: String, _ bytes: Int, used: Int, limit: Int, scope: String, flag: String) -> String {
        """
        \(what) needs \(ByteCount.text(bytes)), which would take the memory of \(scope) past its limit of \(ByteCount.text(limit)) \
        (\(ByteCount.text(used)) in use). Drop tables you no longer need, or ask the operator to raise the limit (caslite serve \(flag)).
        """
    }
}

/// Byte counts for people: `1.5 GiB`, `640 KiB`, `12 bytes`.
public enum ByteCount {
    public static func text(_ n: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var x = Double(n), u = 0
        while x >= 1024, u < units.count - 1 { x /= 1024; u += 1 }
        return u == 0 ? "\(n) bytes" : "\(Fixed.text(x, x < 10 ? 1 : 0)) \(units[u])"
    }

    /// `512M`, `8G`, `1.5g`, `1048576` → bytes (binary units), nil when not a size.
    public static func parse(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        let suffixes: [(String, Double)] = [("tib", 0x1p40), ("gib", 0x1p30), ("mib", 0x1p20), ("kib", 0x1p10), ("t", 0x1p40), ("g", 0x1p30),
                                            ("m", 0x1p20), ("k", 0x1p10), ("b", 1)]
        for (suffix, scale) in suffixes where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0, v * scale < 0x1p62 else { return nil }
            return Int(v * scale)
        }
        guard let v = Int(t), v >= 0 else { return nil }
        return v
    }
}
