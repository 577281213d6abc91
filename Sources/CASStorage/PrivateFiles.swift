#if canImport(Glibc)
import Glibc
#endif

/// Files and folders the server creates are readable by the server account only: databases 0600
/// (they hold password hashes and users' data), folders 0700.
public enum PrivateFiles {
    /// Makes a SQLite database file (and its WAL and shared-memory files, when present) mode 0600.
    public static func makePrivate(_ databasePath: String) throws(StorageError) {
        for p in [databasePath, databasePath + "-wal", databasePath + "-shm"] where access(p, F_OK) == 0 {
            guard chmod(p, 0o600) == 0 else { throw StorageError(.io, "cannot make a database file private (chmod 600 failed)") }
        }
    }

    /// Makes a folder mode 0700.
    public static func makePrivateFolder(_ path: String) throws(StorageError) {
        guard chmod(path, 0o700) == 0 else { throw StorageError(.io, "cannot make a folder private (chmod 700 failed)") }
    }

    /// From now on, files this process creates are private unless made otherwise (umask 077).
    public static func restrictNewFiles() { umask(0o077) }
}
