import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

@Suite("image.summarizeImages, fetchImages, saveImages")
struct SummarizeFetchSaveTests {
    static let sources = [Fixture.image(10, 6, .rgb, seed: 1), Fixture.image(14, 8, .rgb, seed: 2), Fixture.image(6, 12, .gray, seed: 3)]

    static func load(_ s: TestServer, _ c: CASConnection) async throws {
        try s.write(Fixture.png(sources[0]), to: "img/cats/1.png")
        try s.write(Fixture.png(sources[1]), to: "img/dogs/2.png")
        try s.write(Fixture.png(sources[2]), to: "img/dogs/3.png")
        try await ok(c, "image.loadImages", ["path": "img", "casOut": "images"])
    }

    @Test func summaryMatchesIndependentlyComputedValues() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            let r = try await ok(c, "image.summarizeImages", ["table": "images"])
            let t = try #require(r.table("Summary"))
            func v(_ n: String) -> Double? { t.column(n)?.data.double(at: 0) }
            #expect(t.column("Column")?.data.value(at: 0).stringValue == "_image_")
            #expect(v("count") == 3 && v("png") == 3)
            #expect(v("minWidth") == 6 && v("maxWidth") == 14 && v("minHeight") == 6 && v("maxHeight") == 12)
            #expect(abs(v("meanWidth")! - 10) < 1e-12 && abs(v("meanHeight")! - 26.0 / 3) < 1e-12)
            // independent reference: BGR samples of every pixel, plain loops in Double
            var samples: [[Double]] = [[], [], []]
            for img in Self.sources {
                let bgr = img.converted(to: .bgr)
                for i in 0..<(bgr.width * bgr.height) { for k in 0..<3 { samples[k].append(Double(bgr.pixels[i * 3 + k])) } }
            }
            for (k, o) in ["1st", "2nd", "3rd"].enumerated() {
                let xs = samples[k]
                let mean = xs.reduce(0, +) / Double(xs.count)
                let std = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)).squareRoot()
                #expect(abs(v("mean\(o)Channel")! - mean) < 1e-9, "\(o)")
                #expect(abs(v("std\(o)Channel")! - std) < 1e-6, "\(o)")
                #expect(v("min\(o)Channel") == xs.min() && v("max\(o)Channel") == xs.max())
            }
        }
    }

    @Test func meanImageOfSameSizedImages() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let a = Fixture.image(5, 4, .rgb, seed: 1), b = Fixture.image(5, 4, .rgb, seed: 5)
            try s.write(Fixture.png(a), to: "m/x/a.png")
            try s.write(Fixture.png(b), to: "m/x/b.png")
            try await ok(c, "image.loadImages", ["path": "m", "casOut": "images"])
            let r = try await ok(c, "image.summarizeImages", ["table": "images", "meanImage": true])
            let m = try #require(r.table("MeanImage"))
            guard case .float32(let f) = try RawImage.decode(try #require(m.blobs("_image_")[0])) else { Issue.record("not float"); return }
            let (ba, bb) = (a.converted(to: .bgr), b.converted(to: .bgr))
            for i in 0..<f.pixels.count { #expect(f.pixels[i] == (Float(ba.pixels[i]) + Float(bb.pixels[i])) / 2) }
            #expect(m.column("Image")?.attributes["MIMEType"]?.stringValue == "image/png")
            try await ok(c, "image.loadImages", ["path": "m", "casOut": "mixed"])
            try s.write(Fixture.png(Fixture.image(3, 3)), to: "m/x/c.png")
            try await ok(c, "image.loadImages", ["path": "m", "casOut": ["name": "mixed", "replace": true]])
            try await fails(c, "image.summarizeImages", ["table": "mixed", "meanImage": true], "equal sizes", "meanImage")
        }
    }

    @Test func fetchImagesReturnsDecodablePNGs() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            try await ok(c, "image.processImages", ["table": "images", "casOut": "p", "steps": [["step": ["stepType": "RESIZE", "width": 9, "height": 7]]]])
            for name in ["images", "p"] {
                let r = try await ok(c, "image.fetchImages", ["imageTable": .string(name), "fetchImagesVars": ["_filename_0"], "to": 2,
                                                               "sortBy": [["name": "_id_", "order": "DESCENDING"]]])
                let t = try #require(r.table("Images"))
                #expect(t.columns.map(\.name) == ["Image", "Label", "_label_", "_id_", "_path_", "_filename_0"])
                #expect(t.column("Image")?.attributes["MIMEType"]?.stringValue == "image/png")
                #expect(t.ints("_id_") == [3, 2])
                #expect(t.strings("Label") == ["dogs", "dogs"])
                for (i, b) in t.blobs("Image").enumerated() {
                    let bytes = try #require(b)
                    #expect(ImageFormat.sniff(bytes) == .png)
                    let img = try ImageCodec.decode(bytes, as: .rgb)
                    if name == "images" { #expect(img == Self.sources[2 - i].converted(to: .rgb)) } else { #expect(img.width == 9) }
                }
            }
            let w = try await ok(c, "image.fetchImages", ["table": ["name": "images", "where": "_label_ = 'cats'"]])
            #expect(w.table("Images")?.rowCount == 1)
        }
    }

    @Test func saveImagesWritesFilesThatDecodeToTheSamePixels() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            let r = try await ok(c, "image.saveImages", ["table": "images", "subDirectory": "out/png"])
            #expect(r.results["saved"]?.intValue == 3)
            for (i, (label, id)) in [("cats", 1), ("dogs", 2), ("dogs", 3)].enumerated() {
                let data = try #require(FileManager.default.contents(atPath: "\(s.casuser())/out/png/\(label)/\(id).png"))
                let img = try ImageCodec.decode([UInt8](data), as: .rgb)
                #expect(img == Self.sources[i].converted(to: .rgb), "\(label)/\(id)")
            }
            try await ok(c, "image.saveImages", ["table": "images", "subDirectory": "out/jpg", "type": "JPG", "naming": "FILENAME"])
            let jpg = try #require(FileManager.default.contents(atPath: "\(s.casuser())/out/jpg/cats/1.jpg"))
            #expect(ImageFormat.sniff([UInt8](jpg)) == .jpeg)
            try await fails(c, "image.saveImages", ["table": "images", "subDirectory": "../../escape"], "subDirectory", "escapes")
            try await fails(c, "image.saveImages", ["table": "images", "type": "GIF"], "type", "PNG")
        }
    }
}
