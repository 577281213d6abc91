@testable import CASCore
import CASWire
import Foundation
import Testing

/// The file gate's path rules and the caslib placement rules, without a server (the end-to-end
/// attacks are in CASServerTests/SafeToShareTests).
@Suite("Caslib paths and placement")
struct CaslibPathTests {
    let root = "/tmp/caslite-test-\(UInt32.random(in: 0...UInt32.max))"
    var catalog: CaslibCatalog { CaslibCatalog(dataRoot: root) }
    var lib: Caslib { catalog.builtins(for: "u")[0] }

    func path(_ p: String, _ access: FileAccess = .read) throws(ActionError) -> CaslibPath {
        try CaslibPath(caslib: lib, relative: p, access: access, parameter: "path")
    }

    @Test func pathsCannotEscape() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try path("a/b.csv").normalized == "a/b.csv")
        #expect(try path("a/../b.csv").normalized == "b.csv")
        for bad in ["../x", "a/../../x", "/etc/passwd", "..", "a\u{0}b", "x\ny"] {
            #expect(throws: ActionError.self, "\(bad.debugDescription)") { try path(bad) }
        }
        // A symlink inside the caslib that points outside is refused, also for files that do not exist yet.
        try FileManager.default.createSymbolicLink(atPath: lib.path + "/escape", withDestinationPath: "/tmp")
        #expect(throws: ActionError.self) { try path("escape/anything.csv") }
        #expect(throws: ActionError.self) { try path("escape/new/deeper/file.csv") }
        try FileManager.default.createSymbolicLink(atPath: lib.path + "/inside", withDestinationPath: lib.path + "/a")
        #expect(try path("inside/x.csv").normalized == "a/x.csv", "a dangling link inside the caslib is followed")
        try FileManager.default.createSymbolicLink(atPath: lib.path + "/dangling", withDestinationPath: "/nonexistent-\(UInt32.random(in: 0...UInt32.max))/dir")
        #expect(throws: ActionError.self) { try path("dangling/file.csv") }
    }

    @Test func theTableDatabaseAndHiddenNamesAreOffLimits() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        for access in [FileAccess.read, .write, .delete] {
            for p in [".caslite.sqlite", "sub/.caslite.sqlite-wal", "./.caslite.sqlite"] {
                let e = try #require(throws: ActionError.self) { try path(p, access) }
                #expect(e.message.contains("table database"), "\(p) \(access): \(e.message)")
            }
        }
        #expect(throws: ActionError.self) { try path(".bashrc", .write) }
        #expect(throws: ActionError.self) { try path("d/.profile", .delete) }
        #expect(try path(".seen", .read).relative == ".seen", "hidden files may be read by name")
    }

    @Test func deletesNameOneFile() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        for bad in ["", ".", "..", "dir/", "a/.."] {
            #expect(throws: ActionError.self, "\(bad.debugDescription)") { try path(bad, .delete) }
        }
        try FileManager.default.createDirectory(atPath: lib.path + "/dir/deeper", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: lib.path + "/dir/deeper/f.csv"))
        let e = try #require(throws: ActionError.self) { try path("dir", .delete).delete() }
        #expect(e.message.contains("never a folder"))
        #expect(FileManager.default.fileExists(atPath: lib.path + "/dir/deeper/f.csv"))
        try path("dir/deeper/f.csv", .delete).delete()
        #expect(!FileManager.default.fileExists(atPath: lib.path + "/dir/deeper/f.csv"))
        #expect(FileManager.default.fileExists(atPath: lib.path + "/dir/deeper"), "only the file goes")
    }

    @Test func writesArePrivateAndStayInside() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try path("new/folder/x.png", .write).write([1, 2, 3], replace: false)
        #expect(FileManager.default.contents(atPath: lib.path + "/new/folder/x.png") == Data([1, 2, 3]))
        let mode = try FileManager.default.attributesOfItem(atPath: lib.path + "/new/folder")[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(throws: ActionError.self) { try path("new", .write).write([1], replace: true) }
        #expect(throws: ActionError.self, "an access the path was not approved for") { try path("x", .read).write([1], replace: true) }
    }

    /// The one "create or replace" rule: an existing file only with replace, never a folder or "x/".
    @Test func writesCreateUnlessToldToReplace() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        try path("m.dlew", .write).write([1], replace: false)
        let again = #expect(throws: ActionError.self) { try path("m.dlew", .write).write([2], replace: false) }
        #expect(again?.message.contains("replace=True") == true)
        #expect(FileManager.default.contents(atPath: lib.path + "/m.dlew") == Data([1]))
        try path("m.dlew", .write).write([3], replace: true)
        #expect(FileManager.default.contents(atPath: lib.path + "/m.dlew") == Data([3]))
        for p in ["y.dlew/", "sub/..", "."] {
            #expect(throws: ActionError.self, "\(p)") { try path(p, .write).write([1], replace: true) }
        }
        #expect(!FileManager.default.fileExists(atPath: lib.path + "/y.dlew"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: lib.path).allSatisfy { !$0.hasPrefix(".caslite-writing") })
    }

    @Test func whereCaslibsMayPoint() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        _ = catalog.builtins(for: "bob")
        func place(_ p: String, user: String = "bob", admin: Bool = false, global: Bool = false) throws(ActionError) -> String {
            try CaslibPlacement.folder(p, owner: user, isAdmin: admin, global: global, catalog: catalog)
        }
        #expect(try place("casuser/bob/images").hasSuffix("/casuser/bob/images"))
        for bad in ["casuser/u", "casuser", ".", "public", "/etc", "casuser/bob/../u", "", "a\u{0}"] {
            #expect(throws: ActionError.self, "\(bad.debugDescription)") { try place(bad) }
        }
        #expect(throws: ActionError.self, "global caslibs need an administrator") { try place("casuser/bob/x", global: true) }
        #expect(try place("public/shared", user: "root", admin: true, global: true).hasSuffix("/public/shared"))
        #expect(try place("/srv/images-\(UInt32.random(in: 0...UInt32.max))", user: "root", admin: true, global: true).hasPrefix("/srv/"))
        for bad in [".", "/", "casuser", "casuser/bob", "actionsets", (root as NSString).deletingLastPathComponent] {
            #expect(throws: ActionError.self, "admin: \(bad)") { try place(bad, user: "root", admin: true, global: true) }
        }
    }
}

@Suite("Error messages never show server paths")
struct PathRedactionTests {
    @Test func serverFoldersBecomeCaslibNames() {
        let libs = [Caslib(name: "CASUSER(al)", path: "/srv/data/casuser/al", description: "", scope: .personal, owner: "al"),
                    Caslib(name: "Public", path: "/srv/data/public", description: "", scope: .global, owner: "")]
        let r = PathRedaction(dataRoot: "/srv/data", caslibs: libs)
        #expect(r.redact("cannot open /srv/data/casuser/al/x/.caslite.sqlite: bad") == "cannot open caslib CASUSER(al):x/.caslite.sqlite: bad")
        #expect(r.redact("SQLite error on /srv/data/server.sqlite") == "SQLite error on <data>/server.sqlite")
        #expect(r.redact("in /srv/data/public") == "in caslib Public")
        #expect(r.redact("no paths here") == "no paths here")
    }
}
