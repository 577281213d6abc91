import CASClient
import CEditLine
import CASWire
import Foundation
import Synchronization

/// Shows a call's log lines and progress frames. Log lines go to standard output, progress to standard error:
/// on a terminal one line redrawn in place (`[########------------]  42%  1.2 MB/s  ETA 0:03  loadTable 51234 rows`),
/// erased before each log line; elsewhere a plain `progress:` line at most once a second. Standard output is
/// flushed before progress is written, so in a log that captures both a progress line never splits a log line.
final class ProgressDisplay: Sendable {
    struct State {
        /// When the call started: rates count from there.
        var start: Date
        var lastWrite: Date?
        var shown = false
    }

    let terminal: Bool
    let width: Int
    private let state: Mutex<State>

    init(terminal: Bool = isatty(2) != 0, start: Date = Date()) {
        self.terminal = terminal
        self.state = Mutex(State(start: start))
        var size = winsize()
        self.width = terminal && ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) : 80
    }

    /// Makes standard output line-buffered, so every log line is written whole before any progress.
    static func lineBufferStandardOutput() { caslite_line_buffer_stdout() }

    /// Prints a log line (erasing the progress line first).
    func log(_ text: String) {
        erase()
        Swift.print(text)
    }

    /// Handles one event of a call: log lines printed, progress drawn. The response is left to the caller.
    func handle(_ event: CallEvent, now: Date = Date()) {
        switch event {
        case .log(let l): log(l.formatted)
        case .progress(let p): update(p, now: now)
        case .response: erase()
        }
    }

    func update(_ p: CASWire.Progress, now: Date = Date()) {
        let text: String? = state.withLock { s in
            if !terminal, let last = s.lastWrite, now.timeIntervalSince(last) < 1, p.total == 0 || p.done < p.total { return nil }
            if terminal, let last = s.lastWrite, now.timeIntervalSince(last) < 0.1 { return nil }
            s.lastWrite = now
            s.shown = terminal
            let line = Self.render(p, elapsed: now.timeIntervalSince(s.start), width: terminal ? width - 1 : 0)
            return terminal ? "\r\u{1B}[K" + line : "progress: " + line + "\n"
        }
        guard let text else { return }
        fflush(nil)  // standard output first
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Removes the progress line from the terminal.
    func erase() {
        let shown = state.withLock { s in
            defer { s.shown = false }
            return s.shown
        }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// One progress line: a bar and percentage when the total is known, the count, rate and ETA;
    /// `width` 0 leaves out the bar (plain lines).
    static func render(_ p: CASWire.Progress, elapsed: Double, width: Int) -> String {
        var parts: [String] = []
        let rate = elapsed > 0.05 ? Double(p.done) / elapsed : nil
        if p.total > 0 {
            let fraction = min(1, Double(p.done) / Double(p.total))
            if width > 0 {
                let n = 20, filled = Int((fraction * Double(n)).rounded(.down))
                parts.append("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: n - filled) + "]")
            }
            parts.append("\(Int((fraction * 100).rounded(.down)))%".leftPad(4))
            parts.append("\(amount(p.done, p.unit))/\(amount(p.total, p.unit))")
        } else {
            parts.append(amount(p.done, p.unit))
        }
        if let rate { parts.append(amount(Int64(rate), p.unit) + "/s") }
        if p.total > 0, let rate, rate > 0, p.done < p.total { parts.append("ETA " + duration(Double(p.total - p.done) / rate)) }
        if !p.message.isEmpty { parts.append(p.message) }
        let line = parts.joined(separator: "  ")
        return width > 0 && line.count > width ? String(line.prefix(width)) : line
    }

    /// `1.5 MB` for bytes, `65536 rows` otherwise.
    static func amount(_ n: Int64, _ unit: String) -> String {
        guard unit == "bytes" else { return "\(n) \(unit)" }
        return ByteFormatter.text(n)
    }

    /// `0:07`, `12:03`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        let body = "\(s / 60 % 60):" + String(s % 60).leftPad(2, "0")
        return s >= 3600 ? "\(s / 3600):" + String(s / 60 % 60).leftPad(2, "0") + ":" + String(s % 60).leftPad(2, "0") : body
    }
}

/// Byte counts for people: `512 B`, `1.5 KB`, `12.3 MB` (powers of 1000, as download tools show rates).
enum ByteFormatter {
    static func text(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n), i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[i]
    }
}
