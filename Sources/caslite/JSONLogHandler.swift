import CASWire
import Foundation
import Logging
import Synchronization

/// `caslite serve --log-format json`: one JSON object per line on standard error, for log shippers:
/// `time` (ISO 8601, UTC, milliseconds), `level`, `label`, `message`, and the metadata the server attaches
/// (`session`, `user`, `action`, `request`, `elapsed`, `severity` on the line each finished call writes).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    /// One lock for every handler, so lines from several threads never interleave.
    static let output = Mutex(())

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: ValueDict = [
            "time": .string(Self.time(Date())), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description),
        ]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where fields[k] == nil {
            fields[k] = Self.value(k, v)
        }
        let line = Array((Value.dict(fields).jsonString + "\n").utf8)
        Self.output.withLock { _ in _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) } }
    }

    /// Numbers stay numbers (`elapsed`); everything else is text.
    static func value(_ key: String, _ v: Logger.MetadataValue) -> Value {
        if key == "elapsed", case .string(let s) = v, let d = Double(s) { return .double(d) }
        return .string(v.description)
    }

    static func time(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}
