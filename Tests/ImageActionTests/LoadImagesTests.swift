import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

@Suite("image.loadImages")
struct LoadImagesTests {
    /// Every PNG/JPEG variant ImageCodec reads, with the BGR pixels decode=True must store.
    static func variants() -> [(name: String, bytes: [UInt8], expected: Image?, exact: Bool)] {
        let rgb = Fixture.image(12, 9, .rgb)
        let pal = Fixture.palettePNG(6, 5)
        return [
            ("gray.png", Fixture.png(Fixture.image(12, 9, .gray)), Fixture.image(12, 9, .gray).converted(to: .bgr), true),
            ("graya.png", Fixture.png(Fixture.image(12, 9, .grayAlpha)), Fixture.image(12, 9, .grayAlpha).converted(to: .bgr), true),
            ("rgb.png", Fixture.png(rgb), Fixture.bgr(rgb), true),
            ("rgba.png", Fixture.png(Fixture.image(12, 9, .rgba)), Fixture.image(12, 9, .rgba).converted(to: .bgr), true),
            ("rgb16.png", Fixture.png16(rgb), Fixture.bgr(rgb), true),
            ("palette.png", pal.bytes, try! Image(width: 6, height: 5, format: .rgb, pixels: pal.rgb).converted(to: .bgr), true),
            ("baseline.jpg", Fixture.jpeg(rgb), Fixture.bgr(rgb), false),
            ("progressive.jpg", Fixture.jpeg(rgb, progressive: true), Fixture.bgr(rgb), false),
            ("gray.jpg", Fixture.jpeg(Fixture.image(12, 9, .gray)), Fixture.image(12, 9, .gray).converted(to: .bgr), false),
        ]
    }

    @Test func everyVariantLoadsAndDecodes() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for v in Self.variants() { try s.write(v.bytes, to: "v/cls/\(v.name)") }
            try await ok(c, "image.loadImages", ["path": "v", "casOut": ["name": "raw"], "decode": false])
            let raw = try await fetchAll(c, "raw")
            #expect(raw.rowCount == 9)
            try await ok(c, "image.loadImages", ["path": "v", "casOut": ["name": "dec"], "decode": true, "addColumns": ["width", "HEIGHT", "channelType"]])
            let dec = try await fetchAll(c, "dec")
            let byName = Dictionary(uniqueKeysWithValues: Self.variants().map { ($0.name, $0) })
            for r in 0..<dec.rowCount {
                let name = try #require(dec.strings("_filename_0")[r])
                let v = try #require(byName[name])
                // decode=False keeps the file's bytes; decode=True stores CLRI BGR pixels
                #expect(raw.blobs("_image_")[raw.strings("_filename_0").firstIndex(of: name)!] == v.bytes, "\(name)")
                guard case .uint8(let img) = try RawImage.decode(try #require(dec.blobs("_image_")[r])) else { Issue.record("float"); continue }
                let want = try #require(v.expected)
                #expect(img.format == .bgr && img.width == want.width && img.height == want.height, "\(name)")
                let diffs = zip(img.pixels, want.pixels).map { abs(Int($0) - Int($1)) }
                let mean = Double(diffs.reduce(0, +)) / Double(diffs.count)
                // JPEG is lossy (and the fixture has sharp edges): compare the mean error
                #expect(v.exact ? diffs.max() == 0 : mean < 8, "\(name): max diff \(diffs.max() ?? 0), mean \(mean)")
                #expect(dec.ints("_width_")[r] == want.width && dec.ints("_height_")[r] == want.height)
                #expect(dec.strings("_channelType_")[r] == "CV_8UC3")
            }
            #expect(dec.column("_image_")?.attributes["MIMEType"]?.stringValue == "application/x-caslite-raw-image")
        }
    }

    @Test func columnsAsCASNamesThem() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let png = Fixture.png(Fixture.image(8, 8))
            let jpg = Fixture.jpeg(Fixture.image(8, 8))
            try s.write(png, to: "ct/covid/a.png")
            try s.write(jpg, to: "ct/covid/b.jpg")
            try s.write(png, to: "ct/normal/c.png")
            let r = try await ok(c, "image.loadImages", ["path": "ct", "casOut": ["name": "images", "replace": true], "recurse": true, "labelLevels": 1])
            #expect(r.results["tableName"]?.stringValue == "images")
            #expect(r.results["caslib"]?.stringValue == "CASUSER(alice)")
            #expect(r.notes.contains { $0.contains("Loaded 3 images") })
            let t = try await fetchAll(c, "images")
            #expect(t.columns.map(\.name) == ["_image_", "_label_", "_path_", "_filename_0", "_id_", "_size_", "_type_"])
            #expect(t.column("_image_")?.type == .varbinary)
            #expect(t.column("_image_")?.attributes["MIMEType"]?.stringValue == "image/png")
            #expect(t.strings("_label_") == ["covid", "covid", "normal"])
            #expect(t.strings("_path_") == ["ct/covid/a.png", "ct/covid/b.jpg", "ct/normal/c.png"])
            #expect(t.ints("_id_") == [1, 2, 3])
            #expect(t.ints("_size_") == [png.count, jpg.count, png.count])
            #expect(t.strings("_type_") == ["png", "jpg", "png"])
        }
    }

    @Test func brokenFilesAreSkippedWithOneWarning() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let good = Fixture.png(Fixture.image(8, 8))
            try s.write(good, to: "mix/a/good1.png")
            try s.write(Fixture.jpeg(Fixture.image(8, 8)), to: "mix/a/good2.jpg")
            try s.write([], to: "mix/a/empty.png")
            try s.write(Array("hello, not an image".utf8), to: "mix/b/notes.txt")
            try s.write(Array(good.prefix(20)), to: "mix/b/truncated.png")
            var corrupt = good
            for i in 12..<30 { corrupt[i] ^= 0x5A }
            try s.write(corrupt, to: "mix/b/corrupt.png")
            for decode in [false, true] {
                let r = try await ok(c, "image.loadImages", ["path": "mix", "casOut": ["name": "m", "replace": true], "decode": .bool(decode)])
                #expect(r.disposition.severity == .warning)
                #expect(r.warnings.count == 1)
                let w = try #require(r.warnings.first)
                #expect(w.hasPrefix("4 files"), "\(w)")
                for n in ["empty.png", "notes.txt", "truncated.png", "corrupt.png"] { #expect(w.contains(n), "\(n) not named in \(w)") }
                #expect(try await fetchAll(c, "m").rowCount == 2)
            }
        }
    }

    @Test func labelLevelsOnNestedTrees() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let png = Fixture.png(Fixture.image(4, 4))
            try s.write(png, to: "data/train/covid/ct1/x.png")
            try s.write(png, to: "data/train/normal/y.png")
            try s.write(png, to: "data/z.png")
            func labels(_ levels: Int, recurse: Bool = true) async throws -> [String?] {
                try await ok(c, "image.loadImages", ["path": "data", "casOut": ["name": "l", "replace": true], "labelLevels": .int(Int64(levels)),
                                                     "recurse": .bool(recurse)])
                return try await fetchAll(c, "l").strings("_label_")
            }
            // sorted paths: data/train/covid/ct1/x.png, data/train/normal/y.png, data/z.png
            #expect(try await labels(1) == ["ct1", "normal", "data"])
            #expect(try await labels(2) == ["covid/ct1", "train/normal", "data"])
            #expect(try await labels(-1) == ["train", "train", nil])
            #expect(try await labels(-2) == ["train/covid", "train/normal", nil])
            #expect(try await labels(0) == [nil, nil, nil])
            #expect(try await labels(1, recurse: false) == ["data"])
        }
    }

    @Test func singleFileAndBadParameters() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(Fixture.png(Fixture.image(4, 4)), to: "one/a.png")
            try await ok(c, "image.loadImages", ["path": "one/a.png", "casOut": "single"])
            #expect(try await fetchAll(c, "single").strings("_label_") == ["one"])
            try await fails(c, "image.loadImages", ["path": "nope", "casOut": "x"], "nope", "does not exist")
            try await fails(c, "image.loadImages", ["path": "../../..", "casOut": "x"], "escapes")
            try await fails(c, "image.loadImages", ["path": "one", "casOut": "x", "addColumns": ["WIDHT"]], "addColumns[1]", "WIDTH")
            try await fails(c, "image.loadImages", ["path": "one"], "casOut")
            try await fails(c, "image.loadImages", ["path": "one", "casOut": "single"], "already exists")
        }
    }

    @Test func symlinksNeverLeadOutOfTheCaslib() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let png = Fixture.png(Fixture.image(4, 4))
            try s.write(png, to: "links/a/in.png")
            try Data(png).write(to: URL(fileURLWithPath: "\(s.dataRoot)/outside.png"))
            let fm = FileManager.default
            try fm.createSymbolicLink(atPath: "\(s.casuser())/links/a/out.png", withDestinationPath: "\(s.dataRoot)/outside.png")
            try fm.createSymbolicLink(atPath: "\(s.casuser())/links/a/same.png", withDestinationPath: "\(s.casuser())/links/a/in.png")
            try fm.createSymbolicLink(atPath: "\(s.casuser())/links/a/loop", withDestinationPath: "\(s.casuser())/links")
            try await ok(c, "image.loadImages", ["path": "links", "casOut": "l"])
            #expect(try await fetchAll(c, "l").strings("_filename_0") == ["in.png", "same.png"])
            try await fails(c, "image.loadImages", ["path": "links/a/out.png", "casOut": "m"], "escapes")
        }
    }
}
