import CASWire

/// The text a script run shows: its log lines as they came, then the results (what
/// `send_response` sent) and, on failure, the disposition. `caslite run` prints it and the
/// golden-output tests compare it.
public enum Transcript {
    /// One streamed log line (`NOTE: …`).
    public static func line(_ l: LogLine) -> String { l.formatted }

    /// The lines after the log: results, then the disposition unless it is Normal.
    public static func trailer(_ r: Response) -> [String] {
        var out: [String] = []
        for (key, v) in r.results {
            var f = ValueFormatter(limit: 200_000)
            f.append("[\(key)] ")
            if case .table = v { f.append("\n") }
            f.display(v)
            out += f.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        if r.disposition.severity != .normal {
            let status = r.disposition.formattedStatus.isEmpty ? "" : ": " + r.disposition.formattedStatus
            out.append("[\(r.disposition.severity.rawValue)] \(r.disposition.reason) (status \(r.disposition.statusCode))\(status)")
        }
        return out
    }
}
