#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// One server per data folder: `CASServer.start` holds an exclusive `flock` on `<data>/.caslite.lock`
/// until `stop` (or the process ends, when the kernel drops it). Two servers on one folder would each
/// keep their own global tables, sessions' caslibs and memory budget while writing the same files.
/// `caslite users`/`groups` do not take it: they change `server.sqlite` under a running server on purpose.
public final class DataFolderLock: Sendable {
    private let fd: Int32
    private let released = Atomic<Bool>(false)

    public init(dataRoot: String) throws(ActionError) {
        try? FileManager.default.createDirectory(atPath: dataRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = dataRoot + "/.caslite.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ActionError(.badInput, "Cannot open the lock file of the data folder \(dataRoot): \(String(cString: strerror(errno))).")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, 31)
            let pid = n > 0 ? String(decoding: buffer[0..<n].filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self) : "?"
            close(fd)
            throw ActionError(.alreadyExists, "Another caslite server (process \(pid)) is serving the data folder \(dataRoot): stop it first, or give this one another --data folder.")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        self.fd = fd
    }

    /// Gives the folder up (once; later calls do nothing).
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}
