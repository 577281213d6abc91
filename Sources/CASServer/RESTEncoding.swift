import CASWire
import Foundation

/// The response envelope swat reads: a disposition whose severity is the string "Normal", "Warning" or
/// "Error" (swat fails to connect on a number or a missing one) and whose reason is never null (swat
/// lower-cases it), `logEntries`, `changedResources`, camelCase `metrics`, and `results` written
/// with SWAT's missing-value rules (`_ctb` tables with widths, typed attributes, binary cells).
enum RESTEncoding {
    /// The whole envelope. `listForm` sends `results` as a JSON array of the result values (what swat
    /// needs from `builtins.reflect`); `minLevel` keeps only log lines at or above it (`_messageLevel`).
    static func envelope(_ r: Response, listForm: Bool, minLevel: LogLevel?) -> [UInt8] {
        var w = JSONWriter(reserve: 1024, missingStyle: .swat)
        w.raw("{\"disposition\":{\"severity\":")
        w.string(r.disposition.severity.rawValue)
        w.raw(",\"reason\":")
        w.string(r.disposition.reason.isEmpty ? "ok" : r.disposition.reason)
        w.raw(",\"statusCode\":")
        w.int(r.disposition.statusCode)
        w.raw(",\"formattedStatus\":")
        w.string(r.disposition.formattedStatus)
        w.raw(",\"debugInfo\":null},\"logEntries\":[")
        let logs = r.logs.filter { line in minLevel.map { line.level >= $0 } ?? false }
        for (i, line) in logs.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw("{\"level\":")
            w.string(level(line.level))
            w.raw(",\"message\":")
            w.string(line.formatted)
            w.byte(UInt8(ascii: "}"))
        }
        w.raw("],\"changedResources\":[],\"metrics\":")
        w.dict(metrics(r.performance))
        w.raw(",\"results\":")
        if listForm { w.value(.list(r.results.entries.map(\.value))) } else { w.dict(r.results) }
        w.byte(UInt8(ascii: "}"))
        return w.bytes
    }

    /// swat's `_messageLevel` option → the lowest level sent back; nil sends no log lines.
    static func minLevel(_ params: ValueDict) -> LogLevel? {
        guard let v = params["_messageLevel"]?.stringValue?.lowercased() else { return .note }
        switch v {
        case "none": return nil
        case "error", "severe": return .error
        case "warning": return .warning
        default: return .note
        }
    }

    static func level(_ l: LogLevel) -> String {
        switch l {
        case .note: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }

    static func metrics(_ p: Performance) -> ValueDict {
        [
            "elapsedTime": .double(p.elapsedTime), "cpuUserTime": .double(p.cpuUserTime), "cpuSystemTime": .double(p.cpuSystemTime),
            "systemTotalMemory": .int(Int64(ProcessInfo.processInfo.physicalMemory)), "systemNodes": 1,
            "systemCores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
            "dataMovementTime": 0.0, "dataMovementBytes": 0,
        ]
    }
}
