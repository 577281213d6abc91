import CASCore
import CASWire
import Foundation
import Logging

/// User-defined action sets on disk: one CASL file per set, `<dataRoot>/actionsets/<name>.casl`,
/// holding the `builtins.defineActionSet` call that recreates it (docs/decisions/004). The same
/// format is what `caslite serve --actionsets DIR` loads at start.
public enum UserActionSetStore {
    /// The folder under the data root where defined sets are kept.
    public static func directory(dataRoot: String) -> String { "\(dataRoot)/actionsets" }

    /// Writes the definition of a set (atomically, replacing an older one).
    public static func save(_ params: ValueDict, setName: String, dataRoot: String) throws {
        let dir = directory(dataRoot: dataRoot)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try SourceWriter.defineActionSet(params).write(toFile: "\(dir)/\(setName).casl", atomically: true, encoding: .utf8)
    }

    /// Loads `<dataRoot>/actionsets` (a bad file is logged and skipped), then each of `dirs` (a bad file
    /// stops the start: the operator asked for it). Returns the names of the sets defined.
    @discardableResult
    public static func loadAtStart(_ server: ServerContext, dirs: [String], logger: Logger) async throws -> [String] {
        var names: [String] = []
        let own = directory(dataRoot: server.caslibs.dataRoot)
        for file in files(in: own) {
            do { names += try await load(file: file, into: server) } catch { logger.error("skipping \(file): \(error)") }
        }
        for dir in dirs {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw LoadError(file: dir, message: "not a folder")
            }
            for file in files(in: dir) { names += try await load(file: file, into: server) }
        }
        if !names.isEmpty { logger.info("user-defined action sets loaded: \(names.joined(separator: ", "))") }
        return names
    }

    /// `*.casl` files of a folder, sorted by name; none when the folder does not exist.
    static func files(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".casl") }.sorted().map { "\(dir)/\($0)" }
    }

    /// Runs one definition file; only `builtins.defineActionSet` calls are allowed in it.
    public static func load(file: String, into server: ServerContext) async throws(LoadError) -> [String] {
        guard let data = FileManager.default.contents(atPath: file) else { throw LoadError(file: file, message: "cannot be read") }
        let host = DefinitionHost(server: server)
        do {
            let program = try Parser.parse(String(decoding: data, as: UTF8.self))
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
