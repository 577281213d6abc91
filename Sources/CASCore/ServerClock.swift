#if canImport(Glibc)
import Glibc
#endif

/// The server's time readings in seconds as `Double`s: wall clock (table and session stamps),
/// monotonic (elapsed times, throttles) and process CPU time (an action's performance).
/// Named so that it does not shadow the standard library's `Clock` protocol.
public enum ServerClock {
    /// Seconds since 1970.
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Monotonic seconds.
    public static var monotonic: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Process CPU time (user, system) in seconds.
    public static var cpu: (user: Double, system: Double) {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return (Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6,
                Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6)
    }
}
