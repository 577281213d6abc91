import CASTestSupport
import CASWire
import Testing

/// table.loadTable and table.upload read delimited text and caslite's saved tables, and refuse what
/// they cannot parse — by content and by name — saying what they do read.
@Suite("File types")
struct FileTypeTests {
    /// Files that are not delimited text: (name, bytes, what the message calls them).
    static let unreadable: [(String, [UInt8], String)] = [
        ("book.xlsx", Array("PK\u{3}\u{4}".utf8) + [UInt8](repeating: 7, count: 40), "ZIP archive"),
        ("old.xls", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0], "Excel 97-2003"),
        ("cars.parquet", Array("PAR1".utf8) + [1, 2, 3, 4] + Array("PAR1".utf8), "Parquet"),
        ("page.csv", Array("<!DOCTYPE html>\n<html><body>Not found</body></html>\n".utf8), "HTML page"),
        ("page.txt", Array("<html><body>hi</body></html>".utf8), "HTML page"),
        ("blob.dat", [0x41, 0x2C, 0x42, 0x0A, 0x00, 0x01, 0x02], "binary data"),
        ("picture.csv", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG image"),
        ("class.sas7bdat", Array("x,y\n1,2\n".utf8), "SAS data set"),
    ]

    /// How many tables the session has (table.tableInfo).
    func tableCount(_ c: any TestClient) async throws -> Int {
        try await ok(c, "table.tableInfo").results["TableInfo"]?.tableValue?.rowCount ?? 0
    }

    @Test(arguments: Transport.allCases)
    func loadTableAndUploadRefuseWhatTheyCannotParse(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            for (name, bytes, what) in Self.unreadable {
                try s.write(bytes, to: "in/\(name)")
                try await fails(c, "table.loadTable", ["path": .string("in/\(name)")], what, "caslite reads CSV, TSV and other delimited text", "JSON records", "saved tables", "path")
                try await fails(c, "table.upload", ["data": .blob(bytes), "fileName": .string(name)], what, "caslite reads CSV", "data")
            }
            #expect(try await tableCount(c) == 0, "nothing half-read was kept")
        }
    }

    @Test(arguments: Transport.allCases)
    func casFileTypesCaslitDoesNotReadAreRefusedByName(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try s.write("x,y\n1,2\n", to: "t.csv")
            for type in ["EXCEL", "sashdat", "PARQUET", "hdat", "BASESAS"] {
                try await fails(c, "table.loadTable", ["path": "t.csv", "importOptions": ["fileType": .string(type)]],
                                "is a CAS file type that caslite does not support", "importOptions.fileType")
                try await fails(c, "table.upload", ["data": .blob(Array("x\n1\n".utf8)), "importOptions": ["fileType": .string(type)]], "does not support")
            }
            try await fails(c, "table.loadTable", ["path": "t.csv", "importOptions": ["fileType": "WORD"]], "importOptions.fileType")
        }
    }

    @Test(arguments: Transport.allCases)
    func delimitedTextLoadsByTypeAndExtension(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            try s.write("a\tb\n1\tx y\n2\tz\n", to: "t.tsv")
            try s.write("a;b\n1;x\n", to: "semi.txt")
            try s.write("PAR1,PAR2\n1,2\n", to: "par.csv")
            try await ok(c, "table.loadTable", ["path": "t.tsv", "casOut": "tsv"])  // AUTO: tab-separated for .tsv
            #expect(try await fetchAll(c, "tsv").strings("b") == ["x y", "z"])
            try await ok(c, "table.loadTable", ["path": "semi.txt", "casOut": "semi", "importOptions": ["fileType": "DELIMITED", "delimiter": ";"]])
            #expect(try await fetchAll(c, "semi").strings("b") == ["x"])
            try await ok(c, "table.loadTable", ["path": "par.csv", "casOut": "par", "importOptions": ["fileType": "csv"]])
            #expect(try await fetchAll(c, "par").column("PAR2") != nil, "a CSV may start with the letters PAR1")
            try await ok(c, "table.upload", ["data": .blob(Array("a\tb\n3\tw\n".utf8)), "fileName": "up.tsv", "casOut": "up"])
            #expect(try await fetchAll(c, "up").strings("b") == ["w"])
            // fileType AUTO: a first line with '|' and no commas or tabs is pipe-delimited (CSV keeps the comma)
            try s.write("a|b\n1|x\n", to: "pipe.txt")
            try await ok(c, "table.loadTable", ["path": "pipe.txt", "casOut": "pipe"])
            #expect(try await fetchAll(c, "pipe").strings("b") == ["x"])
            try await ok(c, "table.upload", ["data": .blob(Array("a|b\n1|y\n".utf8)), "casOut": "pipe2"])
            #expect(try await fetchAll(c, "pipe2").strings("b") == ["y"])
            try await ok(c, "table.upload", ["data": .blob(Array("a|b\n1|y\n".utf8)), "casOut": "one", "importOptions": ["fileType": "CSV"]])
            #expect(try await fetchAll(c, "one").columns.map(\.name) == ["a|b"])
        }
    }

    /// JSON records load by content as well as by extension, on loadTable and upload (swat sends no fileType for .json).
    @Test(arguments: Transport.allCases)
    func jsonRecordsAndJSONLinesLoadByContentAndExtension(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let records = Array(#"[{"a": 1, "b": "x"}, {"a": 2.5, "c": true}, {"b": null, "a": null}]"#.utf8)
            let lines = Array("{\"a\": 1, \"b\": \"x\"}\n\n{\"a\": 2.5, \"c\": true}\r\n{\"b\": null}\n".utf8)
            try s.write(records, to: "recs.dat")
            try s.write(lines, to: "lines.txt")
            let loads: [(String, ValueDict)] = [
                ("t1", ["path": "recs.dat"]), ("t2", ["path": "lines.txt"]),
                ("t3", ["data": .blob(records), "fileName": "recs.json"]), ("t4", ["data": .blob(lines)]),
                ("t5", ["data": .blob(Array("\u{FEFF}".utf8) + records), "fileName": "bom.csv"]),
            ]
            for (name, params) in loads {
                var p = params
                p["casOut"] = .string(name)
                try await ok(c, params["path"] == nil ? "table.upload" : "table.loadTable", p)
                let t = try await fetchAll(c, name)
                #expect(t.columns.map(\.name) == ["a", "b", "c"], "\(name)")
                #expect(t.column("a")?.type == .double && t.column("c")?.type == .double, "\(name)")
                #expect(t.column("a")?.data == .double([1, 2.5, .nan]), "\(name)")
                #expect(t.strings("b").map { $0 ?? "" } == ["x", "", ""], "\(name): missing (REST sends missing text as '')")
                #expect(t.column("c")?.data == .double([.nan, 1, .nan]), "\(name)")
            }
        }
    }

    /// JSON that is not records is refused, saying which JSON shapes are read; nothing is kept.
    @Test(arguments: Transport.allCases)
    func jsonThatIsNotRecordsIsRefused(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            let cases: [(String, String, String)] = [
                ("arr.json", "[1,2,3]\n", "item 1 of the array is a integer"), ("arr.dat", "[1,2,3]\n", "not records"),
                ("nested.json", #"[{"a": {"b": 1}}]"#, "is a dictionary"), ("s.json", #""text""#, "single string"),
                ("mixed.jsonl", "{\"a\": 1}\n[2]\n", "line 2 holds a list"), ("broken.json", "{\"a\": 1,\n", "not valid JSON (line 1"),
                ("none.json", "[]", "no records"),
            ]
            for (name, text, what) in cases {
                try s.write(text, to: name)
                try await fails(c, "table.loadTable", ["path": .string(name)], what, "array of objects", "JSON lines", "path")
                try await fails(c, "table.upload", ["data": .blob(Array(text.utf8)), "fileName": .string(name)], what, "array of objects", "data")
            }
            try await fails(c, "table.upload", ["data": .blob(Array("[{\"a\": 1}]".utf8)), "importOptions": ["delimiter": ";"]],
                            "holds JSON", "importOptions.delimiter")
            try await ok(c, "table.upload", ["data": .blob(Array("[a],b\n1,2\n".utf8)), "casOut": "csv"])
            #expect(try await fetchAll(c, "csv").columns.map(\.name) == ["[a]", "b"], "a CSV header may start with '['")
            #expect(try await tableCount(c) == 1, "only the CSV was kept")
        }
    }

    /// An empty file is refused; a header the delimiter did not split, or one too long, blames the file or the delimiter, not casOut.
    @Test(arguments: Transport.allCases)
    func emptyFilesAndBadHeadersBlameTheFile(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            for (name, text) in [("empty.csv", ""), ("blank.csv", "\n\n\n"), ("spaces.json", "  \r\n")] {
                try s.write(text, to: name)
                try await fails(c, "table.loadTable", ["path": .string(name)], "is empty", "path")
                try await fails(c, "table.upload", ["data": .blob(Array(text.utf8)), "fileName": .string(name)], "is empty", "data")
            }
            try s.write("a\tb\n1\t2\n", to: "x.tsv")
            let r = try await fails(c, "table.loadTable", ["path": "x.tsv", "importOptions": ["fileType": "DELIMITED"]], "holds tabs", "importOptions.delimiter")
            #expect(!r.errorText.contains("casOut"), "\(r.errorText)")
            let long = String(repeating: "n", count: 100_000) + "\n1\n"
            try s.write(long, to: "long.csv")
            let l = try await fails(c, "table.loadTable", ["path": "long.csv"], "The file 'long.csv'", "longer than", "(parameter path)")
            #expect(!l.errorText.contains("casOut"), "\(l.errorText)")
            try await fails(c, "table.upload", ["data": .blob(Array(long.utf8))], "The upload", "longer than", "(parameter data)")
        }
    }

    /// A new key on every line: 20 000 records × 20 000 columns (6 GB of cells) from a 300 KB file. Each
    /// column is charged before it is made, so the session's memory limit stops it.
    @Test func recordsThatShareNoKeysStopAtTheMemoryLimit() async throws {
        try await TestServer.start(maxSessionMemory: 64 << 20).run { s in
            let c = try await s.client(.jsonLines)
            let sparse = (0..<20_000).map { "{\"k\($0)\": 1}" }.joined(separator: "\n")
            try await fails(c, "table.upload", ["data": .blob(Array(sparse.utf8)), "fileName": "sparse.jsonl"],
                            "the columns of the JSON records", "--max-session-memory")
            try await ok(c, "table.upload", ["data": .blob(Array("{\"a\": 1}\n{\"b\": 2}".utf8)), "fileName": "two.jsonl", "casOut": "two"])
            #expect(try await fetchAll(c, "two").columns.map(\.name) == ["a", "b"])
        }
    }
}
