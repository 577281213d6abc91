import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

@Suite("image.augmentImages")
struct AugmentImagesTests {
    @Test func maskSweepGivesOneRowPerPatchPosition() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let src = Fixture.image(32, 24, .rgb, seed: 7)
            try s.write(Fixture.png(src), to: "a/x/1.png")
            try s.write(Fixture.png(Fixture.image(32, 24, .rgb, seed: 8)), to: "a/y/2.png")
            try await ok(c, "image.loadImages", ["path": "a", "casOut": "images"])
            // DLPy heat_map_analysis's call shape
            try await ok(c, "image.augmentImages", [
                "table": ["name": "images"], "copyvars": ["_image_", "_label_", "_filename_0", "_id_"],
                "casout": ["name": "masked", "replace": true],
                "addColumns": ["augmentAttributes": ["PATCH_X", "PATCH_Y", "PATCH_HEIGHT", "PATCH_WIDTH"]],
                "cropList": [["sweepImage": true, "x": 0, "y": 0, "width": 8, "height": 6, "stepsize": 4, "outputwidth": 32, "outputheight": 24, "mask": true]],
            ])
            let t = try await fetchAll(c, "masked")
            // x = 0, 4, …, 24 (7 positions: x + 8 <= 32); y = 0, 4, …, 16 (5 positions: y + 6 <= 24)
            #expect(t.rowCount == 2 * 7 * 5)
            #expect(Set(t.ints("_id_").compactMap { $0 }).count == t.rowCount)
            #expect(t.ints("_parentId_").filter { $0 == 1 }.count == 35)
            let xs = t.ints("x"), ys = t.ints("y")
            #expect(Array(xs.prefix(8)) == [0, 4, 8, 12, 16, 20, 24, 0])
            #expect(Array(ys.prefix(8)) == [0, 0, 0, 0, 0, 0, 0, 4])
            #expect(t.ints("width").allSatisfy { $0 == 8 } && t.ints("height").allSatisfy { $0 == 6 })
            #expect(t.strings("_label_").prefix(35).allSatisfy { $0 == "x" })
            // row 9: patch at (4, 4) blacked out in the full BGR image
            let want = Fixture.bgr(src).filled(PixelRect(x: 4, y: 4, width: 8, height: 6), value: 0)
            #expect(t.blobs("_image_")[8] == want.rawBytes())
        }
    }

    @Test func cropsAndMutations() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let src = Fixture.image(20, 20, .rgb, seed: 9)
            try s.write(Fixture.png(src), to: "a/x/1.png")
            try await ok(c, "image.loadImages", ["path": "a", "casOut": "images"])
            try await ok(c, "image.augmentImages", [
                "table": "images", "casOut": "aug",
                "cropList": [["x": 2, "y": 3, "width": 10, "height": 8, "outputWidth": 5, "outputHeight": 4,
                              "mutations": ["horizontalFlip": true, "rotateRight": true]],
                             ["useWholeImage": true]],
            ])
            let t = try await fetchAll(c, "aug")
            #expect(t.rowCount == 4)
            #expect(t.strings("_mutation_") == ["none", "horizontalFlip", "rotateRight", "none"])
            let crop = try Fixture.bgr(src).cropped(PixelRect(x: 2, y: 3, width: 10, height: 8)).resized(width: 5, height: 4)
            let blobs = t.blobs("_image_")
            #expect(blobs[0] == crop.rawBytes())
            #expect(blobs[1] == crop.flipped(.horizontal).rawBytes())
            #expect(blobs[2] == crop.rotated(.clockwise90).rawBytes())
            #expect(blobs[3] == Fixture.bgr(src).rawBytes())
            #expect(t.ints("x") == [2, 2, 2, 0] && t.ints("width") == [10, 10, 10, 20])
            try await fails(c, "image.augmentImages", ["table": "images", "casOut": "bad", "cropList": [["sweepImage": true, "width": 50, "height": 5]]],
                            "does not fit")
            try await fails(c, "image.augmentImages", ["table": "images", "casOut": "bad", "cropList": [["mutations": ["flip": true]]]],
                            "cropList[1].mutations.flip")
        }
    }
}
