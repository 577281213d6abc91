/// Protocol version spoken by this build (docs/protocol.md).
public let protocolVersion: Int64 = 1

/// Severity of an action's outcome, as CAS reports it.
public enum Severity: String, Sendable, Comparable {
    case normal = "Normal", warning = "Warning", error = "Error"

    public var code: Int { switch self { case .normal: 0; case .warning: 1; case .error: 2 } }
    public static func < (a: Severity, b: Severity) -> Bool { a.code < b.code }
}

/// Level of a log line.
public enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case note = "NOTE", warning = "WARNING", error = "ERROR"
    private var rank: Int { switch self { case .note: 0; case .warning: 1; case .error: 2 } }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

/// The outcome of an action call.
public struct Disposition: Sendable, Equatable {
    public var severity: Severity
    public var reason: String
    public var statusCode: Int64
    public var formattedStatus: String

    public init(severity: Severity = .normal, reason: String = "ok", statusCode: Int64 = 0, formattedStatus: String = "") {
        self.severity = severity
        self.reason = reason
        self.statusCode = statusCode
        self.formattedStatus = formattedStatus
    }

    public static let ok = Disposition()
}

/// A log line streamed while an action runs.
public struct LogLine: Sendable, Equatable {
    public var level: LogLevel
    public var message: String
    public init(_ level: LogLevel, _ message: String) {
        self.level = level
        self.message = message
    }
    /// `NOTE: message`, the way CAS prints it.
    public var formatted: String { "\(level.rawValue): \(message)" }
}

/// A progress report from a long action.
public struct Progress: Sendable, Equatable {
    public var done: Int64
    public var total: Int64
    public var unit: String
    public var message: String
    public init(done: Int64, total: Int64, unit: String, message: String = "") {
        self.done = done
        self.total = total
        self.unit = unit
        self.message = message
    }
}

/// Timing of an action call.
public struct Performance: Sendable, Equatable {
    public var elapsedTime: Double
    public var cpuUserTime: Double
    public var cpuSystemTime: Double
    public init(elapsedTime: Double = 0, cpuUserTime: Double = 0, cpuSystemTime: Double = 0) {
        self.elapsedTime = elapsedTime
        self.cpuUserTime = cpuUserTime
        self.cpuSystemTime = cpuSystemTime
    }
}

/// The final answer to an action call.
public struct Response: Sendable, Equatable {
    public var disposition: Disposition
    public var results: ValueDict
    public var performance: Performance
    /// Log lines of the call (filled by clients from the streamed `log` frames).
    public var logs: [LogLine]

    public init(disposition: Disposition = .ok, results: ValueDict = ValueDict(), performance: Performance = Performance(), logs: [LogLine] = []) {
        self.disposition = disposition
        self.results = results
        self.performance = performance
        self.logs = logs
    }
}

/// A frame sent by a client.
public enum ClientFrame: Sendable, Equatable {
    case hello(user: String, password: String?, session: String?, protocolVersion: Int64)
    case request(id: Int64, action: String, params: ValueDict)
    case cancel(id: Int64)
}

/// A frame sent by the server.
public enum ServerFrame: Sendable, Equatable {
    case welcome(session: String, user: String, server: String, protocolVersion: Int64)
    case log(id: Int64?, LogLine)
    case progress(id: Int64, Progress)
    case response(id: Int64, Response)
    /// A connection-level error (bad handshake, malformed line); the connection stays open.
    case error(id: Int64?, message: String)
}

/// A frame that could not be understood.
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var id: Int64?
    public init(_ message: String, id: Int64? = nil) {
        self.message = message
        self.id = id
    }
    public var description: String { message }
}
