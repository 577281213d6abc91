import Foundation
import Synchronization

/// Ctrl-C (SIGINT) in `call`, `shell` and `run`: the first press runs the current handler — cancel the running
/// call with `{"cancel": id}`, or clear the shell's input line — and a second press within a second leaves
/// (status 130, the terminal's settings restored).
///
/// As in `caslite serve` (StopSignals), a plain `sigaction` handler writes the signal to a pipe and one
/// thread of our own reads it, so the handler does nothing but an async-signal-safe `write`.
enum Interrupts {
    struct State {
        var handler: (@Sendable () -> Void)?
        var lastPress: Date?
        var terminal: termios?
    }

    static let state = Mutex(State())
    nonisolated(unsafe) static var pipe: (read: Int32, write: Int32) = (-1, -1)

    /// Installs the SIGINT handler and its reading thread (once per process); saves the terminal's settings
    /// (standard input) so a second Ctrl-C can restore them on the way out. `idle` answers a press while no
    /// call or prompt has a handler of its own (the shell between calls); without it such a press leaves.
    static func install(idle: (@Sendable () -> Void)? = nil) {
        state.withLock { $0.handler = idle }
        var fds: [Int32] = [0, 0]
        guard pipe.read < 0, Glibc.pipe(&fds) == 0 else { return }
        pipe = (fds[0], fds[1])
        var t = termios()
        if isatty(0) != 0, tcgetattr(0, &t) == 0 { state.withLock { $0.terminal = t } }
        Thread {
            Thread.current.name = "caslite-interrupts"
            var byte: UInt8 = 0
            while true {
                if Glibc.read(pipe.read, &byte, 1) == 1 { pressed() }
            }
        }.start()
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = Glibc.write(Interrupts.pipe.write, &byte, 1)  // async-signal-safe
        }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
    }

    /// One Ctrl-C: the second within a second leaves, otherwise the current handler runs.
    static func pressed(now: Date = Date()) {
        let (handler, leave, terminal) = state.withLock { s -> ((@Sendable () -> Void)?, Bool, termios?) in
            defer { s.lastPress = now }
            return (s.handler, s.lastPress.map { now.timeIntervalSince($0) < 1 } ?? false, s.terminal)
        }
        if leave || handler == nil {
            if var t = terminal { tcsetattr(0, TCSANOW, &t) }
            let line = Array("\ncaslite: interrupted\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            _exit(130)
        }
        handler?()
    }

    /// Runs `body` with `handler` answering Ctrl-C, then puts the previous handler back.
    static func with<T>(_ handler: @escaping @Sendable () -> Void, _ body: () async throws -> T) async rethrows -> T {
        let previous = swap(handler)
        defer { _ = swap(previous) }
        return try await body()
    }

    /// `with` for a blocking body (the shell's prompt).
    static func withHandler<T>(_ handler: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
        let previous = swap(handler)
        defer { _ = swap(previous) }
        return try body()
    }

    private static func swap(_ handler: (@Sendable () -> Void)?) -> (@Sendable () -> Void)? {
        state.withLock { s in
            defer { s.handler = handler }
            return s.handler
        }
    }
}
