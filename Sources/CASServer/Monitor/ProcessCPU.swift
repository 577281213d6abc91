import CASCore
import CASWire
import Foundation
import Synchronization

/// The server process's CPU use for the monitor's Server page: CPU time (user + system, `getrusage`) over wall
/// time between two readings. A reading is kept at least `minInterval` apart from the one before
/// it (sooner requests get the last measurement); the first request measures over `firstInterval`.
final class ProcessCPU: Sendable {
    /// CPU time used by the process and when it was read (monotonic seconds).
    struct Sample: Equatable {
        var wall: Double
        var cpu: Double
    }

    /// One measurement.
    struct Use: Equatable {
        /// Cores' worth of CPU the process used over the interval (1.5: one and a half cores busy).
        var usedCores: Double
        /// Cores the process may run on.
        var cores: Int
        var interval: Double

        /// Share of all `cores`, in percent.
        var percent: Double { cores > 0 ? min(100, usedCores / Double(cores) * 100) : 0 }

        var json: Value {
            ["usedCores": .double(usedCores), "cores": .int(Int64(cores)), "percent": .double(percent), "intervalSeconds": .double(interval)]
        }
    }

    static let minInterval = 1.0
    static let firstInterval = Duration.milliseconds(250)
    private let last = Mutex<(sample: Sample?, use: Use?)>((nil, nil))

    /// The CPU use since the previous reading; nil where the process's CPU time cannot be read.
    func use() async -> Use? {
        guard var now = Self.read() else { return nil }
        let (previous, lastUse) = last.withLock { ($0.sample, $0.use) }
        if let p = previous, now.wall - p.wall < Self.minInterval, let lastUse { return lastUse }
        let base: Sample
        if let p = previous {
            base = p
        } else {
            base = now
            try? await Task.sleep(for: Self.firstInterval)
            guard let again = Self.read() else { return nil }
            now = again
        }
        let interval = max(now.wall - base.wall, 1e-3)
        let u = Use(usedCores: max(0, now.cpu - base.cpu) / interval, cores: ProcessInfo.processInfo.activeProcessorCount, interval: interval)
        last.withLock { $0 = (now, u) }
        return u
    }

    static func read() -> Sample? {
        cpuSeconds().map { Sample(wall: ServerClock.monotonic, cpu: $0) }
    }

    /// User + system CPU seconds the process has used (`getrusage`, microseconds; the same counters as the utime and
    /// stime fields of `/proc/self/stat`, without reading a file: files are reached only through CASCore/Access).
    static func cpuSeconds() -> Double? {
        var u = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &u) == 0 else { return nil }
        let seconds = { (t: timeval) in Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(u.ru_utime) + seconds(u.ru_stime)
    }
}
