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
        ("rows.json", Array(#"  {"a": 1}"#.utf8), "JSON"),
        ("list.json", Array(#"[{"a": 1}]"#.utf8), "JSON"),
        ("blob.dat", [0x41, 0x2C, 0x42, 0x0A, 0x00, 0x01, 0x02], "binary data"),
        ("picture.csv", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG image"),
        ("class.sas7bdat", Array("x,y\n1,2\n".utf8), "SAS data set"),
    ]

    @Test(arguments: Transport.allCases)
    func loadTableAndUploadRefuseWhatTheyCannotParse(_ transport: Transport) async throws {
        try await TestServer.start(http: true).run { s in
            let c = try await s.client(transport)
            for (name, bytes, what) in Self.unreadable {
                try s.write(bytes, to: "in/\(name)")
                try await fails(c, "table.loadTable", ["path": .string("in/\(name)")], what, "caslite reads CSV, TSV and other delimited text", "saved tables", "path")
                try await fails(c, "table.upload", ["data": .blob(bytes), "fileName": .string(name)], what, "caslite reads CSV", "data")
            }
            let tables = try await ok(c, "table.tableInfo").results["TableInfo"]?.tableValue
            #expect((tables?.rowCount ?? 0) == 0, "nothing half-read was kept")
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
        }
    }
}
