import ActionSetImage
import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// "Safe to share", files: writes that replaced other users' files, caslib folders that broke their
/// parent's table database, and file names and options that went through unchecked — over a real
/// server, on both front ends.
@Suite("Safe to share: files, folders and file names", .serialized)
struct HostileFilesTests {
    func withUsers(_ transport: Transport, _ body: (TestServer, any TestClient, any TestClient) async throws -> Void) async throws {
        try await TestServer.start(sets: TestServer.coreSets + [imageActionSet], http: true).run { s in
            try await body(s, try await s.client(transport, "alice"), try await s.client(transport, "bob"))
        }
    }

    /// Every action that writes files goes through one rule (`CaslibPath.checkWritable`): an existing
    /// file is replaced only with replace=True, a path ending in '/' is not a file name.
    @Test(arguments: Transport.allCases)
    func writesNeverReplaceAFileUnlessAsked(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, bob in
            let png = try ImageCodec.encodePNG(try Image(width: 4, height: 4, format: .rgb, fill: 9))
            try FileManager.default.createDirectory(atPath: s.dataRoot + "/public", withIntermediateDirectories: true)
            try "crop,yield\ntomato,3\n".write(toFile: s.dataRoot + "/public/greenhouse.csv", atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: s.dataRoot + "/public/shots", withIntermediateDirectories: true)
            try Data("keep".utf8).write(to: URL(fileURLWithPath: s.dataRoot + "/public/shots/1.png"))
            try await ok(bob, "builtins.loadActionSet", ["actionSet": "image"])
            try await ok(bob, "table.addTable", ["table": "imgs", "vars": [["name": "_id_", "type": "int64"], ["name": "_image_", "type": "varbinary"]],
                                                 "rows": [[1, .blob(png)]]])
            let r = try await fails(bob, "image.saveImages", ["table": "imgs", "caslib": "Public", "subDirectory": "shots", "labelFolders": false],
                                    "Public:shots/1.png", "already exists", "replace=True")
            #expect(r.warnings.isEmpty)
            #expect(try String(contentsOfFile: s.dataRoot + "/public/shots/1.png", encoding: .utf8) == "keep")
            try await ok(bob, "image.saveImages", ["table": "imgs", "caslib": "Public", "subDirectory": "shots", "labelFolders": false, "replace": true])
            #expect(try Data(contentsOf: URL(fileURLWithPath: s.dataRoot + "/public/shots/1.png")) == Data(png))
            // two rows that would be written to one file refuse the call before anything is written
            try await ok(bob, "table.addTable", ["table": "twins", "vars": [["name": "_id_", "type": "int64"], ["name": "_image_", "type": "varbinary"]],
                                                 "rows": [[7, .blob(png)], [7, .blob(png)]]])
            try await fails(bob, "image.saveImages", ["table": "twins", "caslib": "Public", "subDirectory": "twins", "labelFolders": false], "7.png", "Two outputs")
            #expect(!FileManager.default.fileExists(atPath: s.dataRoot + "/public/twins/7.png"))
            // table.save keeps its own rule (replace=False refuses a saved table of the same name)
            try await ok(alice, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            try await ok(alice, "table.save", ["table": "t", "caslib": "Public"])
            try await fails(alice, "table.save", ["table": "t", "caslib": "Public"], "replace")
            #expect(try String(contentsOfFile: s.dataRoot + "/public/greenhouse.csv", encoding: .utf8) == "crop,yield\ntomato,3\n")
        }
    }

    /// A caslib folder named like its parent's table database (or any hidden name) is refused, so the
    /// personal caslib keeps working; its errors are readable.
    @Test(arguments: Transport.allCases)
    func caslibFoldersCannotBeHiddenOrShadowTheTableDatabase(_ transport: Transport) async throws {
        try await withUsers(transport) { s, _, bob in
            for path in ["casuser/bob/.caslite.sqlite", "casuser/bob/.hidden", "casuser/bob/sub/.x/y", "casuser/bob/.caslite-wal"] {
                let r = try await fails(bob, "table.addCaslib", ["caslib": "x", "path": .string(path), "createDirectory": true], "'.'")
                #expect(!r.errorText.contains(s.dataRoot))
            }
            #expect(!FileManager.default.fileExists(atPath: s.casuser("bob") + "/.caslite.sqlite"))
            #expect(!FileManager.default.fileExists(atPath: s.casuser("bob") + "/.hidden"))
            try await ok(bob, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            try await ok(bob, "table.save", ["table": "t", "caslib": "CASUSER(bob)"])
            try await ok(bob, "table.fileInfo", ["caslib": "CASUSER(bob)"])
            try await ok(bob, "table.addCaslib", ["caslib": "imgs", "path": "casuser/bob/images", "createDirectory": true])
            // a file in the way of a folder: a sentence, not "file-system error 512"
            try s.write("x", to: "afile", user: "bob")
            let r = try await fails(bob, "table.addCaslib", ["caslib": "y", "path": "casuser/bob/afile/sub", "createDirectory": true], "Cannot create the folder")
            #expect(!r.errorText.contains("error 512"), "\(r.errorText)")
            // a folder left where the table database belongs (older versions allowed it): one readable sentence
            try FileManager.default.createDirectory(atPath: s.casuser("alice") + "/.caslite.sqlite", withIntermediateDirectories: true)
            let alice = try await s.client(transport, "alice")
            try await ok(alice, "table.addTable", ["table": "t", "vars": [["name": "x"]], "rows": [[1]]])
            let bad = try await fails(alice, "table.save", ["table": "t"], "its table database")
            #expect(!bad.errorText.contains("SQLite database the table"), "\(bad.errorText)")
        }
    }

    @Test(arguments: Transport.allCases)
    func fileInfoUploadNamesAndDelimitersAreChecked(_ transport: Transport) async throws {
        try await withUsers(transport) { s, alice, _ in
            try s.write("a\n1\n", to: "sub/x.csv")
            try await fails(alice, "table.fileInfo", ["path": "missing"], "There is no file or folder", "missing")
            try await fails(alice, "table.fileInfo", ["path": "sub/missing.csv"], "There is no file or folder")
            let one = try await ok(alice, "table.fileInfo", ["path": "sub/x.csv"])
            #expect(one.results["FileInfo"]?.tableValue?.strings("Name") == ["x.csv"])
            let folder = try await ok(alice, "table.fileInfo", ["path": "sub"])
            #expect(folder.results["FileInfo"]?.tableValue?.strings("Name") == ["x.csv"])
            let csv = Value.blob(Array("a,b\n1,2\n".utf8))
            for (file, table) in [("../../x.csv", "X"), ("/etc/passwd", "PASSWD"), ("C:\\data\\cars.csv", "CARS"), ("..", "UPLOAD"), ("dir/.csv", "CSV")] {
                let r = try await ok(alice, "table.upload", ["data": csv, "fileName": .string(file)])
                #expect(r.results["tableName"]?.stringValue == table, "\(file)")
                try await ok(alice, "table.dropTable", ["name": .string(table)])
            }
            for delimiter in ["\u{0}", "\n", "\r", "\""] {
                try await fails(alice, "table.upload", ["data": csv, "importOptions": ["fileType": "CSV", "delimiter": .string(delimiter)]],
                                "importOptions.delimiter")
            }
            try await ok(alice, "table.upload", ["data": .blob(Array("a\tb\n1\t2\n".utf8)), "importOptions": ["fileType": "CSV", "delimiter": "\t"]])
        }
    }
}
