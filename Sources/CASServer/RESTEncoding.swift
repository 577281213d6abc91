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
        // as CAS: no status text on a call that has none (swat's `r.status` is then None, not '')
        if r.disposition.formattedStatus.isEmpty { w.raw("null") } else { w.string(r.disposition.formattedStatus) }
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
        let results = casShaped(r.results)
        if listForm { w.value(.list(results.entries.map(\.value))) } else { w.dict(results) }
        w.byte(UInt8(ascii: "}"))
        return w.bytes
    }

    /// `results` with every nested empty dictionary written as an empty list: CAS has one empty
    /// collection, which swat shows as `[]` (`builtins.echo(x={})` returns `{'x': []}`).
    static func casShaped(_ results: ValueDict) -> ValueDict {
        var out = ValueDict()
        for (k, v) in results.entries { out.appendUnchecked(k, casShaped(v)) }
        return out
    }

    static func casShaped(_ v: Value) -> Value {
        switch v {
        case .dict(let d): d.entries.isEmpty ? .list([]) : .dict(casShaped(d))
        case .list(let items): .list(items.map(casShaped))
        default: v
        }
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
