import CASCore
import CASTestSupport
import CASWire
import Foundation
import Testing

/// `addCaslib subDirectories=` (CAS's meaning): False, the default, reaches only the files directly in
/// the caslib's folder; True also those in its subfolders. One rule in `CaslibPath`, for every action
/// that touches files; a global caslib keeps the setting across a restart.
@Suite("addCaslib subDirectories")
struct SubDirectoriesTests {
    static func files(_ s: TestServer) throws {
        try s.write("x\n1\n", to: "proj/top.csv")
        try s.write("x\n2\n", to: "proj/sub/deep.csv")
    }

    @Test(arguments: Transport.allCases)
    func withoutSubDirectoriesOnlyTheFolderItselfIsReachable(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            try Self.files(s)
            let c = try await s.client(transport)
            let add = try await ok(c, "table.addCaslib", ["caslib": "flat", "path": "casuser/alice/proj"])
            #expect(add.results["CASLibInfo"]?.tableValue?.column("Subdirs")?.data.double(at: 0) == 0)
            try await ok(c, "table.loadTable", ["caslib": "flat", "path": "top.csv", "casOut": "top"])
            for path in ["sub/deep.csv", "sub/../sub/deep.csv", "./sub/deep.csv"] {
                try await fails(c, "table.loadTable", ["caslib": "flat", "path": .string(path), "casOut": "deep"],
                                "subfolder of caslib flat", "subDirectories=False", "path")
            }
            try await fails(c, "table.fileInfo", ["caslib": "flat", "path": "sub"], "subDirectories")
            // listings do not descend; "sub" itself is visible as a folder of the caslib
            let listed = try await ok(c, "table.fileInfo", ["caslib": "flat", "allFiles": true])
            let names = try #require(listed.results["FileInfo"]?.tableValue).strings("Name").compactMap { $0 }
            #expect(names.contains("top.csv") && !names.contains { $0.contains("deep.csv") }, "\(names)")
            // a link at the top that leads into a subfolder is out of reach too: not listed, not loaded
            try FileManager.default.createSymbolicLink(atPath: s.casuser() + "/proj/link.csv", withDestinationPath: "sub/deep.csv")
            let again = try await ok(c, "table.fileInfo", ["caslib": "flat", "allFiles": true])
            #expect(!(try #require(again.results["FileInfo"]?.tableValue).strings("Name").contains("link.csv")))
            try await fails(c, "table.loadTable", ["caslib": "flat", "path": "link.csv", "casOut": "l"], "subDirectories=False")
            // the same folder with subDirectories=True
            try await ok(c, "table.addCaslib", ["caslib": "deep", "path": "casuser/alice/proj", "subDirectories": true])
            try await ok(c, "table.loadTable", ["caslib": "deep", "path": "sub/deep.csv", "casOut": "deep"])
            let info = try await ok(c, "table.caslibInfo", ["caslib": "deep"])
            #expect(info.results["CASLibInfo"]?.tableValue?.column("Subdirs")?.data.double(at: 0) == 1)
            // built-in caslibs reach their subfolders
            try await ok(c, "table.loadTable", ["caslib": "casuser", "path": "proj/sub/deep.csv", "casOut": "deep2"])
        }
    }

    @Test func aGlobalCaslibKeepsTheSettingAcrossARestart() async throws {
        let root = NSTemporaryDirectory() + "caslite-subdirs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try await TestServer.start(admins: ["root"], dataRoot: root).run(keepData: true) { s in
            let c = try await s.client(.jsonLines, "root")
            try FileManager.default.createDirectory(atPath: "\(root)/public/shared/sub", withIntermediateDirectories: true)
            try "x\n3\n".write(toFile: "\(root)/public/shared/sub/in.csv", atomically: true, encoding: .utf8)
            try await ok(c, "table.addCaslib", ["caslib": "team", "path": "public/shared", "session": false])
            try await ok(c, "table.addCaslib", ["caslib": "teamdeep", "path": "public/shared", "session": false, "subDirectories": true])
        }
        try await TestServer.start(admins: ["root"], dataRoot: root).run { s in
            let c = try await s.client(.jsonLines, "root")
            try await fails(c, "table.loadTable", ["caslib": "team", "path": "sub/in.csv", "casOut": "t"], "subDirectories=False")
            try await ok(c, "table.loadTable", ["caslib": "teamdeep", "path": "sub/in.csv", "casOut": "t"])
        }
    }
}
