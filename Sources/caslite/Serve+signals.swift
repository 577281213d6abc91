import Foundation

/// SIGTERM and SIGINT (stop) and SIGHUP (reload the TLS certificate) for `caslite serve`, handled in one place.
///
/// Why not `DispatchSource.makeSignalSource`: on Linux, libdispatch installs a process-wide handler
/// that forwards the signal to its manager thread's `signalfd`, and the source stops watching when
/// the source object is released. In an optimised build the sources were released right after they
/// were made (`_ = signals` is not a use), so every later SIGTERM was caught on the main thread —
/// the one thread that accepts signals, parked by `dispatch_main` in `sigsuspend` with an empty
/// mask — and left pending on the manager thread with no signalfd to read it: neither the orderly
/// stop nor the 10-second fallback ever ran. Blocking the signals and `sigwait`ing for them does not
/// work either, for the same `sigsuspend`: the main thread takes the signal first.
///
/// So: a plain `sigaction` handler (installed once, never released) writes the signal number to a
/// pipe, whichever thread it runs on; one thread of our own reads the pipe. A reload signal (SIGHUP)
/// is passed on and the thread reads on. After the first stop signal that thread gives the orderly
/// stop `deadline` seconds; a second stop signal, or the deadline, ends the process at once with
/// status 1 (a reload signal then is ignored).
enum StopSignals {
    /// The pipe the handler writes to (read end, write end), created before the handler is installed.
    nonisolated(unsafe) static var pipe: (read: Int32, write: Int32) = (-1, -1)

    /// The signals a running server reacts to: the first stop signal, and every reload signal.
    struct Streams {
        let stop: AsyncStream<Int32>
        let reload: AsyncStream<Void>
    }

    /// Installs the handler for `signals` and `reload` (a SIGINT that was ignored when the process started —
    /// a background job of a shell — stays ignored) and starts the waiting thread. `stop` yields the first
    /// stop signal; the deadline then runs on the waiting thread, independent of every queue and task pool
    /// the stop might be waiting for. `reload` yields each reload signal.
    static func install(_ signals: [Int32], reload: Int32? = nil, deadline: Double) throws -> Streams {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        pipe = (fds[0], fds[1])
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        let (reloads, reloadContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let all = signals + (reload.map { [$0] } ?? [])
        Thread {
            Thread.current.name = "caslite-signals"
            wait(all, reload: reload, deadline: deadline, first: continuation, reloads: reloadContinuation)
        }.start()
        for sig in all {
            var old = sigaction()
            sigaction(sig, nil, &old)
            let ignored = old.__sigaction_handler.sa_handler.map { unsafeBitCast($0, to: Int.self) } == 1  // SIG_IGN
            if sig == SIGINT && ignored { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                var byte = UInt8(truncatingIfNeeded: sig)
                _ = Glibc.write(StopSignals.pipe.write, &byte, 1)  // async-signal-safe
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(sig, &action, nil)
        }
        return Streams(stop: stream, reload: reloads)
    }

    /// The waiting thread: accepts the signals itself (so some thread always does), passes reload
    /// signals on, reads the first stop signal, then gives the stop `deadline` seconds.
    static func wait(_ signals: [Int32], reload: Int32?, deadline: Double, first: AsyncStream<Int32>.Continuation,
                     reloads: AsyncStream<Void>.Continuation) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        var byte: UInt8 = 0
        while true {
            guard Glibc.read(pipe.read, &byte, 1) == 1 else { continue }
            if let reload, Int32(byte) == reload { reloads.yield(); continue }
            break
        }
        first.yield(Int32(byte))
        var fd = pollfd(fd: pipe.read, events: Int16(POLLIN), revents: 0)
        let end = Date().addingTimeInterval(deadline)
        while true {
            let left = Int32(max(0, end.timeIntervalSinceNow) * 1000)
            let ready = poll(&fd, 1, left)
            if ready > 0 {
                if Glibc.read(pipe.read, &byte, 1) == 1, let reload, Int32(byte) == reload { continue }
                exitNow("caslite: a second signal; exiting now")
            }
            if ready == 0 || left == 0 { exitNow("caslite: stopping took over \(Int(deadline)) s; exiting now") }
        }
    }

    /// Leaves at once with status 1, without touching stdio buffers (a thread blocked writing to a
    /// full pipe holds their locks). `_exit`, not `exit`: exit handlers would run C++/OpenMP static
    /// destructors while oneDNN's and dispatch's worker threads still exist (seen: SIGSEGV in __run_exit_handlers).
    static func exitNow(_ message: String) -> Never {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        _exit(1)
    }
}
