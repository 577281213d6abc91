import CASCore
import CASWire
import Foundation
import Synchronization

/// The server process's CPU use for the monitor's Server page: CPU time (`/proc/self/stat`, user + system)
/// over wall time between two readings. A reading is kept at least `minInterval` apart from the one before
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

    /// The CPU use since the previous reading; nil where `/proc/self/stat` cannot be read.
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
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let cpu = cpuSeconds(stat: text) else { return nil }
        return Sample(wall: ServerClock.monotonic, cpu: cpu)
    }

    /// User + system CPU seconds from a `/proc/<pid>/stat` line: fields 14 and 15, in clock ticks, counted after the
    /// command name's closing parenthesis (the name itself may hold spaces and parentheses).
    static func cpuSeconds(stat: String, ticksPerSecond: Double = Double(sysconf(Int32(_SC_CLK_TCK)))) -> Double? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state): utime is field 14, stime field 15
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}
