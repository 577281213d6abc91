import CASCore
import CASStorage
import CASWire
import Foundation
import Logging

/// User-defined action sets on disk: one CASL file per set, `<dataRoot>/actionsets/<name>.casl`,
/// holding the `builtins.defineActionSet` call that recreates it (docs/decisions/004). The same
/// format is what `caslite serve --actionsets DIR` loads at start.
public enum UserActionSetStore {
    /// The folder under the data root where defined sets are kept.
    public static func directory(dataRoot: String) -> String { "\(dataRoot)/actionsets" }

    /// The definition file of a set the server stored.
    public static func file(setName: String, dataRoot: String) -> String { "\(directory(dataRoot: dataRoot))/\(setName).casl" }

    /// Removes a stored definition (no error when there is none, e.g. a set from an operator's folder).
    /// Also removes a differently-cased file of the same set name.
    public static func remove(setName: String, dataRoot: String) throws {
        let dir = directory(dataRoot: dataRoot)
        for f in files(in: dir) where (f as NSString).lastPathComponent.lowercased() == "\(setName.lowercased()).casl" {
            try TextFiles.remove(f)
        }
    }

    /// Writes the definition of a set (atomically, replacing an older one).
    public static func save(_ params: ValueDict, setName: String, dataRoot: String) throws {
        let dir = directory(dataRoot: dataRoot)
        try TextFiles.write(SourceWriter.defineActionSet(params), to: "\(dir)/\(setName).casl")
        // a set redefined under another spelling of its name keeps one file
        for f in files(in: dir) where (f as NSString).lastPathComponent.lowercased() == "\(setName.lowercased()).casl"
            && (f as NSString).lastPathComponent != "\(setName).casl" {
            try? TextFiles.remove(f)
        }
    }

    /// Loads `<dataRoot>/actionsets` (a bad file is logged and skipped), then each of `dirs` (a bad file
    /// stops the start: the operator asked for it). Returns the names of the sets defined.
    @discardableResult
    public static func loadAtStart(_ server: ServerContext, dirs: [String], logger: Logger) async throws -> [String] {
        var names: [String] = []
        let own = directory(dataRoot: server.caslibs.dataRoot)
        for file in files(in: own) {
            do { names += try await load(file: file, into: server, storedOwners: true) } catch { logger.error("skipping \(file): \(error)") }
        }
        for dir in dirs {
            guard TextFiles.isFolder(dir) else { throw LoadError(file: dir, message: "not a folder") }
            for file in files(in: dir) { names += try await load(file: file, into: server, storedOwners: false) }
        }
        if !names.isEmpty { logger.info("user-defined action sets loaded: \(names.joined(separator: ", "))") }
        return names
    }

    /// `*.casl` files of a folder, sorted by name; none when the folder does not exist.
    static func files(in dir: String) -> [String] { TextFiles.list(dir, suffix: ".casl") }

    /// Runs one definition file; only `builtins.defineActionSet` calls are allowed in it. With
    /// `storedOwners` (the server's own folder) each set's owner comes from server.sqlite; otherwise
    /// (an operator's folder) the sets have no owner and only administrators may change them.
    public static func load(file: String, into server: ServerContext, storedOwners: Bool) async throws(LoadError) -> [String] {
        guard let text = TextFiles.read(file) else { throw LoadError(file: file, message: "cannot be read") }
        let host = DefinitionHost(server: server, storedOwners: storedOwners)
        do {
            let program = try Parser.parse(text)
            try await Interpreter(host: host, limits: .small(steps: 100_000)).run(program)
        } catch {
            throw LoadError(file: file, message: error.description)
        }
        return host.defined.withLock { $0 }
    }

    /// A definition file that could not be loaded.
    public struct LoadError: Error, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }
}
