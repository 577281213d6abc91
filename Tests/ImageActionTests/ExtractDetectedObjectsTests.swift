import CASClient
import CASTestSupport
import CASWire
import ImageCodec
import Testing

/// image.extractDetectedObjects draws an object-detection table's boxes (DLPy's display_object_detections).
/// The expected drawing is the box's outline computed here from the coordinates: exactly those pixels change,
/// all to one color, and every other pixel keeps its value.
@Suite("image.extractDetectedObjects")
struct ExtractDetectedObjectsTests {
    /// A 10×8 gray image (every sample 50) as a.png and b.png, and the table with one labelled object on a.png.
    func setUp(_ s: TestServer, _ c: CASConnection, program: String) async throws {
        let flat = try Image(width: 10, height: 8, format: .rgb, fill: 50)
        try s.write(Fixture.png(flat), to: "det/a.png")
        try s.write(Fixture.png(flat), to: "det/b.png")
        try await ok(c, "image.loadImages", ["path": "det", "casOut": "imgs"])
        // b.png has no object (_nObjects_ 0): it is left out
        try await ok(c, "table.partition", ["table": ["name": "imgs", "computedVars": ["_nObjects_", "_Object0_"],
                                                      "computedVarsProgram": .string("_nObjects_ = index(_path_, 'b.png') = 0; _Object0_ = 'a'; " + program)],
                                            "casOut": ["name": "labels", "replace": true]])
    }

    /// The pixels (x, y) whose color the drawing changed, and the colors they took.
    func changed(_ c: CASConnection) async throws -> (Set<[Int]>, Set<[UInt8]>) {
        let t = try await fetchAll(c, "drawn")
        #expect(t.rowCount == 1 && t.strings("_path_").first??.hasSuffix("a.png") == true)
        let img = try ImageCodec.decode(try #require(t.blobs("_image_").first ?? nil), as: .rgb)
        var where_ = Set<[Int]>(), colors = Set<[UInt8]>()
        for y in 0..<img.height {
            for x in 0..<img.width {
                let p = Array(img.pixels[(y * img.width + x) * 3..<(y * img.width + x) * 3 + 3])
                if p != [50, 50, 50] { where_.insert([x, y]); colors.insert(p) }
            }
        }
        return (where_, colors)
    }

    /// The outline of the rectangle x0...x1 × y0...y1.
    func outline(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Set<[Int]> {
        Set((x0...x1).flatMap { [[$0, y0], [$0, y1]] } + (y0...y1).flatMap { [[x0, $0], [x1, $0]] })
    }

    @Test func yoloBoxesAreRelativeCentersAndSizes() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            // center (0.5, 0.5), size 0.4 × 0.5 of 10 × 8: x from 3 to 7, y from 2 to 6
            try await setUp(s, c, program: "_Object0_x = 0.5; _Object0_y = 0.5; _Object0_width = 0.4; _Object0_height = 0.5;")
            try await ok(c, "image.extractDetectedObjects", ["table": "labels", "coordType": "YOLO", "maxObjects": 1, "casOut": "drawn"])
            let (pixels, colors) = try await changed(c)
            #expect(pixels == outline(3, 2, 7, 6) && colors.count == 1)
        }
    }

    @Test func cocoBoxesArePixelsAndHostileCoordinatesAreClipped() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try await setUp(s, c, program: "_Object0_xmin = 1; _Object0_ymin = 1; _Object0_xmax = 3; _Object0_ymax = 2;")
            try await ok(c, "image.extractDetectedObjects", ["table": "labels", "coordType": "coco", "casOut": "drawn"])
            let (pixels, _) = try await changed(c)
            #expect(pixels == outline(1, 1, 3, 2))
            // coordinates far outside the image are clipped to its edges: the whole border
            try await ok(c, "table.partition", ["table": ["name": "imgs", "computedVars": ["_nObjects_", "_Object0_", "_Object0_xmin", "_Object0_ymin", "_Object0_xmax", "_Object0_ymax"],
                                                          "computedVarsProgram": "_nObjects_ = 1e300; _Object0_ = 'b'; _Object0_xmin = -1e300; _Object0_ymin = -5; _Object0_xmax = 1e300; _Object0_ymax = 1e308;"],
                                                "casOut": ["name": "labels", "replace": true]])
            try await ok(c, "image.extractDetectedObjects", ["table": ["name": "labels", "where": "index(_path_, 'a.png') > 0"], "coordType": "COCO", "casOut": ["name": "drawn", "replace": true]])
            #expect(try await changed(c).0 == outline(0, 0, 9, 7))
            try await fails(c, "image.extractDetectedObjects", ["table": "imgs", "casOut": ["name": "x"]], "_nObjects_")
        }
    }
}
