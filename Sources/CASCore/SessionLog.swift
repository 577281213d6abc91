import CASWire
import Synchronization

/// One line an action of the session logged, with when and which action.
public struct SessionLogLine: Sendable {
    public var time: Double
    public var action: String
    public var line: LogLine
}

/// The last `kept` NOTE/WARNING/ERROR lines of a session's actions, whatever its log level streams (the
/// web monitor's Log page). Kept in memory with the session; a line longer than `maxMessage` characters is cut.
public final class SessionLog: Sendable {
    public static let kept = 1000
    public static let maxMessage = 4096
    private let lines = Mutex<[SessionLogLine]>([])

    public init() {}

    func append(_ action: String, _ line: LogLine) {
        var line = line
        if line.message.count > Self.maxMessage { line.message = String(line.message.prefix(Self.maxMessage)) + " …" }
        let entry = SessionLogLine(time: ServerClock.now, action: action, line: line)
        lines.withLock { l in
            l.append(entry)
            if l.count > Self.kept { l.removeFirst(l.count - Self.kept) }
        }
    }

    /// The kept lines at `minLevel` or above, oldest first.
    public func lines(minLevel: LogLevel = .note) -> [SessionLogLine] {
        lines.withLock { $0.filter { $0.line.level >= minLevel } }
    }
}
