@preconcurrency import CEditLine
import Foundation
import Synchronization

/// `caslite shell`'s prompt on a terminal, through libedit's readline interface: Emacs-style editing,
/// Up/Down and Ctrl-R through a history kept in a file (`~/.caslite_history`), and Tab completing what
/// `completion` offers. Ctrl-C at the prompt clears the line (``Interrupts`` wakes the reader).
///
/// libedit keeps its state in globals, so there is one editor per process; `read` runs on a thread of its own.
final class LineEditor: Sendable {
    enum Input: Equatable {
        case line(String)
        case interrupted
        case end
    }

    /// What Tab offers; replaced between prompts, read by libedit's completion callback during `read`.
    static let completion = Mutex(Completion())
    /// Set by Ctrl-C during `read`; the reader then returns `.interrupted` whatever libedit returned.
    private static let interrupted = Atomic<Bool>(false)
    nonisolated(unsafe) private static var wake: (read: Int32, write: Int32) = (-1, -1)
    nonisolated(unsafe) private static var matches: [String] = []  // the completion callbacks' state: the reading thread only
    nonisolated(unsafe) private static var next = 0

    let historyFile: String

    init(historyFile: String) {
        self.historyFile = historyFile
        var fds: [Int32] = [0, 0]
        if Glibc.pipe(&fds) == 0 { Self.wake = (fds[0], fds[1]) }
        rl_readline_name = UnsafePointer(strdup("caslite"))
        rl_catch_signals = 0
        rl_getc_function = LineEditor.getc
        rl_attempted_completion_function = LineEditor.complete
        rl_completer_word_break_characters = strdup(" \t")
        rl_basic_word_break_characters = UnsafePointer(strdup(" \t"))  // the one libedit reads: `table.name=gr` is one word
        using_history()
        stifle_history(1000)
        _ = read_history(historyFile)
    }

    /// Reads one line with `prompt`, on a thread of its own (never a cooperative one, which the embedded server needs).
    func read(prompt: String) async -> Input {
        await withCheckedContinuation { c in
            Thread { c.resume(returning: self.readBlocking(prompt: prompt)) }.start()
        }
    }

    private func readBlocking(prompt: String) -> Input {
        Self.drainWake()
        Self.interrupted.store(false, ordering: .sequentiallyConsistent)
        let line = Interrupts.withHandler({
            LineEditor.interrupted.store(true, ordering: .sequentiallyConsistent)
            var byte: UInt8 = 1
            _ = Glibc.write(LineEditor.wake.write, &byte, 1)
        }) { readline(prompt) }
        defer { free(line) }
        if Self.interrupted.load(ordering: .sequentiallyConsistent) {
            FileHandle.standardOutput.write(Data("^C\n".utf8))
            return .interrupted
        }
        guard let line else { return .end }
        return .line(String(cString: line))
    }

    /// Adds `line` to the history and rewrites the history file (the last 1000 lines), readable by its owner only.
    func remember(_ line: String) {
        add_history(line)
        _ = write_history(historyFile)
        chmod(historyFile, 0o600)
    }

    /// libedit's input: a byte of standard input, or -1 (end of the line) when Ctrl-C writes to the wake pipe.
    /// Reads only bytes that are there (`FIONREAD`): a Ctrl-C makes the terminal discard its pending input, so a
    /// blocking read after `poll` could wait for ever. A Ctrl-C that arrives as a byte (no ISIG) counts as well.
    private static let getc: @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32 = { _ in
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: LineEditor.wake.read, events: Int16(POLLIN), revents: 0)]
        while true {
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return -1 }
            if fds[1].revents != 0 {
                var byte: UInt8 = 0
                _ = Glibc.read(LineEditor.wake.read, &byte, 1)
                return -1
            }
            guard fds[0].revents != 0 else { continue }
            var available: Int32 = 0
            if fds[0].revents & Int16(POLLIN) != 0, ioctl(0, UInt(FIONREAD), &available) == 0, available == 0 { continue }
            var byte: UInt8 = 0
            guard Glibc.read(0, &byte, 1) == 1 else { return -1 }
            if byte == 3 { Interrupts.pressed() }  // then the wake pipe ends the line
            else { return Int32(byte) }
        }
    }

    /// Drops a wake-up left from an earlier Ctrl-C.
    private static func drainWake() {
        var fd = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        while poll(&fd, 1, 0) > 0 { _ = Glibc.read(wake.read, &byte, 1) }
    }

    /// libedit's completion callback: the candidates for the word at `start` of the line typed so far.
    private static let complete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
        rl_attempted_completion_over = 1  // no file-name completion
        guard let text, let buffer = rl_line_buffer else { return nil }
        let before = String(String(cString: buffer).utf8.prefix(Int(start))) ?? ""
        LineEditor.matches = LineEditor.completion.withLock { $0.candidates(before: before, word: String(cString: text)) }
        rl_completion_append_character = LineEditor.matches.allSatisfy { $0.hasSuffix("=") || $0.hasSuffix(".") } ? 0 : 32
        return rl_completion_matches(text) { _, state in
            if state == 0 { LineEditor.next = 0 }  // readline's protocol: 0 starts over, then one match per call
            defer { LineEditor.next += 1 }
            return LineEditor.next < LineEditor.matches.count ? strdup(LineEditor.matches[LineEditor.next]) : nil
        }
    }
}
