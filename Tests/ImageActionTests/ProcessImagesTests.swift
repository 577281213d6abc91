import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

@Suite("image.processImages")
struct ProcessImagesTests {
    /// Writes a small class tree and loads it with decode=False as table `images`.
    static func load(_ s: TestServer, _ c: CASConnection) async throws {
        try s.write(Fixture.png(Fixture.image(40, 30, .rgb, seed: 1)), to: "ct/covid/a.png")
        try s.write(Fixture.jpeg(Fixture.image(50, 20, .rgb, seed: 2)), to: "ct/covid/b.jpg")
        try s.write(Fixture.png(Fixture.image(33, 33, .gray, seed: 3)), to: "ct/normal/c.png")
        try await ok(c, "image.loadImages", ["path": "ct", "casOut": ["name": "images"], "decode": false])
    }

    static let resizeMinMax: Value = [
        ["step": ["stepType": "RESIZE", "type": "TO_FIXED_SIZE", "width": 24, "height": 16]],
        ["step": ["stepType": "NORMALIZE", "type": "MINMAX", "alpha": 10, "beta": 200]],
    ]

    @Test func resizeAndMinMaxGiveExactSizesAndBounds() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            let r = try await ok(c, "image.processImages", ["table": ["name": "images"], "casOut": ["name": "p"], "steps": Self.resizeMinMax])
            #expect(r.notes.contains("3 of 3 images were processed successfully."))
            let t = try await fetchAll(c, "p")
            #expect(t.column("_image_")?.attributes["MIMEType"]?.stringValue == "application/x-caslite-raw-image")
            for b in t.blobs("_image_") {
                let bytes = try #require(b)
                #expect(bytes.count == 16 + 24 * 16 * 3)
                guard case .uint8(let img) = try RawImage.decode(bytes) else { Issue.record("float"); continue }
                #expect(img.width == 24 && img.height == 16 && img.format == .bgr)
                #expect(img.pixels.min() == 10 && img.pixels.max() == 200)
            }
            // columns carried through without copyVars
            #expect(t.strings("_label_") == ["covid", "covid", "normal"])
            #expect(t.ints("_id_") == [1, 2, 3])
            #expect(t.strings("_filename_0") == ["a.png", "b.jpg", "c.png"])
        }
    }

    @Test func matchesTheCodecPipelineExactly() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            try await ok(c, "image.processImages", ["table": "images", "casOut": "p", "steps": Self.resizeMinMax])
            let t = try await fetchAll(c, "p")
            let src = Fixture.png(Fixture.image(40, 30, .rgb, seed: 1))
            let want = try ImageCodec.decode(src, as: .bgr).resized(width: 24, height: 16).normalizedMinMax(alpha: 10, beta: 200)
            #expect(t.blobs("_image_")[0] == want.rawBytes())
        }
    }

    @Test func olderImageFunctionsSpellingAndPNGOutput() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            let fns: Value = [["functionOptions": ["functionType": "RESIZE", "w": 8, "h": 6]], ["options": ["functionType": "FLIP", "type": "VERTICAL"]]]
            try await ok(c, "image.processImages", ["imageTable": "images", "casOut": "p", "imageFunctions": fns, "copyVars": ["_filename_0"], "decode": false])
            let t = try await fetchAll(c, "p")
            #expect(t.column("_image_")?.attributes["MIMEType"]?.stringValue == "image/png")
            #expect(Set(t.columns.map(\.name)) == ["_image_", "_label_", "_path_", "_filename_0", "_id_"])
            for b in t.blobs("_image_") {
                let img = try ImageCodec.decode(try #require(b))
                #expect(img.width == 8 && img.height == 6)
            }
        }
    }

    /// DLPy's display_segmentation_images: HIST_EQUALIZATION on a mask column named `labels`, read back as `labels`.
    @Test func histEqualizationOnAnotherImageColumnKeepsItsName() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let mask = try ImageCodec.encodePNG(try Image(width: 3, height: 2, format: .gray, pixels: [0, 0, 1, 0, 1, 1]))
            let photo = try ImageCodec.encodePNG(Fixture.image(4, 4, .rgb, seed: 9))
            try await ok(c, "table.addTable", ["table": "seg", "vars": [["name": "_image_", "type": "varbinary"], ["name": "labels", "type": "varbinary"],
                                                                         ["name": "_filename_0", "type": "varchar"]],
                                               "rows": [[.blob(photo), .blob(mask), "m.png"]]])
            try await ok(c, "image.processImages", ["table": "seg", "casOut": "eq", "image": "labels", "copyVars": ["_filename_0"], "decode": false,
                                                    "imageFunctions": [["options": ["functiontype": "HIST_EQUALIZATION", "method": "GLOBAL"]]]])
            let t = try await fetchAll(c, "eq")
            #expect(t.columns.map(\.name) == ["labels", "_filename_0"])
            #expect(try ImageCodec.decode(try #require(t.blobs("labels")[0]), as: .gray).pixels == [0, 0, 255, 0, 255, 255])  // read as BGR, each channel equalized
            try await fails(c, "image.processImages", ["table": "seg", "casOut": "eq2", "image": "labels",
                                                       "steps": [["step": ["stepType": "HIST_EQUALIZATION", "method": "ADAPTIVE"]]]], "method", "GLOBAL")
        }
    }

    @Test func geometryColorAndThresholdSteps() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let src = Fixture.image(20, 10, .rgb, seed: 4)
            try s.write(Fixture.png(src), to: "g/x/a.png")
            try await ok(c, "image.loadImages", ["path": "g", "casOut": "images"])
            let bgr = Fixture.bgr(src)
            let cases: [(Value, Image)] = [
                (["step": ["stepType": "CROP", "x": 2, "y": 3, "width": 5, "height": 4]], try bgr.cropped(PixelRect(x: 2, y: 3, width: 5, height: 4))),
                (["step": ["stepType": "CENTER_CROP", "width": 6, "height": 6]], try bgr.centerCropped(width: 6, height: 6)),
                (["step": ["stepType": "FLIP", "type": "HORIZONTAL"]], bgr.flipped(.horizontal)),
                (["step": ["stepType": "ROTATE", "angle": 270]], bgr.rotated(.counterclockwise90)),
                (["step": ["stepType": "CONVERT_COLOR", "type": "BGR2RGB"]], src),
                (["step": ["stepType": "CONVERT_COLOR", "type": "COLOR2GRAY"]], bgr.colorToGray()),
                (["step": ["stepType": "THRESHOLD", "type": "TO_ZERO", "value": 80]], bgr.thresholded(level: 80, type: .toZero)),
                (["step": ["stepType": "RESIZE", "width": 7, "height": 5, "interpolation": "NEAREST"]], try bgr.resized(width: 7, height: 5, method: .nearest)),
            ]
            for (step, want) in cases {
                try await ok(c, "image.processImages", ["table": "images", "casOut": ["name": "p", "replace": true], "steps": [step]])
                #expect(try await fetchAll(c, "p").blobs("_image_")[0] == want.rawBytes(), "\(step)")
            }
        }
    }

    @Test func meanStdGivesFloatPixels() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            let steps: Value = [["step": ["stepType": "RESIZE", "width": 4, "height": 4]],
                                ["step": ["stepType": "NORMALIZE", "type": "MEAN_STD", "mean": [100, 110, 120], "std": [50, 50, 50]]]]
            try await ok(c, "image.processImages", ["table": "images", "casOut": "p", "steps": steps])
            let t = try await fetchAll(c, "p")
            guard case .float32(let f) = try RawImage.decode(try #require(t.blobs("_image_")[0])) else { Issue.record("not float"); return }
            #expect(f.width == 4 && f.pixels.count == 48)
            let bad: Value = [steps[1], steps[0]]
            try await fails(c, "image.processImages", ["table": "images", "casOut": "q", "steps": bad], "steps[2]", "last step")
        }
    }

    @Test func undecodableCellsAreSkippedWithOneWarning() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let good = Fixture.png(Fixture.image(16, 16))
            try s.write(good, to: "t/a/good.png")
            try s.write(Array(good.prefix(good.count - 30)), to: "t/a/cut.png")  // header fine, pixel data cut
            let jpg = Fixture.jpeg(Fixture.image(32, 32))
            try s.write(Array(jpg.prefix(jpg.count / 2)), to: "t/a/cut.jpg")
            try await ok(c, "image.loadImages", ["path": "t", "casOut": "images"])
            #expect(try await fetchAll(c, "images").rowCount == 3)  // decode=False checks headers only
            let r = try await ok(c, "image.processImages", ["table": "images", "casOut": "p", "steps": Self.resizeMinMax])
            #expect(r.warnings.count == 1)
            #expect(r.warnings.first?.contains("t/a/cut.png") == true && r.warnings.first?.contains("t/a/cut.jpg") == true)
            #expect(r.notes.contains("1 of 3 images were processed successfully."))
            #expect(try await fetchAll(c, "p").strings("_filename_0") == ["good.png"])
        }
    }

    @Test func badParametersNameTheParameter() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await Self.load(s, c)
            func bad(_ steps: Value, _ frags: String...) async throws {
                let r = try await c.call("image.processImages", ["table": "images", "casOut": "q", "steps": steps])
                #expect(r.disposition.severity == .error)
                for f in frags { #expect(r.errorText.contains(f), "'\(f)' not in \(r.errorText)") }
            }
            try await bad([["step": ["stepType": "RESIZ"]]], "steps[1].step.stepType", "RESIZE")
            try await bad([["step": ["stepType": "RESIZE", "width": 0]]], "steps[1].step.width")
            try await bad([["step": ["stepType": "ROTATE", "angle": 45]]], "steps[1].step.angle", "90, 180 or 270")
            try await bad([["step": ["stepType": "NORMALIZE", "alpha": 300]]], "steps[1].step.alpha")
            try await bad([["stepz": ["stepType": "RESIZE"]]], "steps[1].stepz")
            try await bad([[:]], "steps[1]")
            try await fails(c, "image.processImages", ["table": "nope", "casOut": "q", "steps": Self.resizeMinMax], "nope")
            try await fails(c, "image.processImages", ["table": "images", "casOut": "q", "image": "_label_", "steps": Self.resizeMinMax],
                            "varbinary")
        }
    }
}
