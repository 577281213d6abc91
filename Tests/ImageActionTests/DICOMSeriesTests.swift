import CASClient
import CASTestSupport
import CASWire
import DICOMFixture
import Foundation
import ImageCodec
import Testing

/// loadImages `series=True` and processImages' SLICE step over a real server, on DCMTK-written series
/// whose file names do not follow the slice order.
@Suite("image: DICOM series")
struct DICOMSeriesTests {
    /// Slice `k` of a 4×3 phantom: HU = 100·k + x − 1000, so every voxel says where it is.
    static func slice(_ k: Int, z: Double, orientation: String = "1\\0\\0\\0\\1\\0", series: String = "1.2.3.9") -> DICOMFixture.Slice {
        var s = DICOMFixture.Slice(rows: 3, columns: 4)
        s.stored = (0..<12).map { 100 * k + $0 % 4 + 24 }      // intercept −1024
        s.position = "-100\\-120\\\(z)"
        s.orientation = orientation
        s.instance = k + 1
        s.series = series
        return s
    }

    /// The HU of slice `k` (what a reader must put at depth k).
    static func hu(_ k: Int) -> [Int16] { (0..<12).map { Int16(100 * k + $0 % 4 - 1000) } }

    func volume(_ cell: [UInt8]?) throws -> HUVolume { try HUVolume.decode(try #require(cell)) }

    @Test func slicesAreOrderedAlongTheNormalNotByName() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            // names run against the positions; the second scan's normal points down (rows run "up")
            let names = ["e", "a", "d", "b", "c"]
            for k in 0..<5 { try s.write(try DICOMFixture.bytes(Self.slice(k, z: 10 + 2.5 * Double(k))), to: "ct/covid/scan1/\(names[k]).dcm") }
            for k in 0..<5 {
                let up = Self.slice(k, z: 50 - 2.5 * Double(k), orientation: "1\\0\\0\\0\\-1\\0", series: "1.2.3.10")
                try s.write(try DICOMFixture.bytes(up, k % 2 == 0 ? .rle : .none), to: "ct/normal/scan2/IM\(names[4 - k])")
            }
            try s.write(Fixture.png(Fixture.image(4, 4)), to: "ct/normal/photo.png")
            let r = try await ok(c, "image.loadImages", ["path": "ct", "casOut": "vol", "series": true, "addColumns": ["SeriesInstanceUID", "WIDTH"]])
            #expect(r.disposition.severity == .normal, "\(r.warnings)")
            let t = try await fetchAll(c, "vol")
            #expect(t.strings("_path_") == ["ct/normal/photo.png", "ct/covid/scan1", "ct/normal/scan2"])
            #expect(t.strings("_label_") == ["normal", "covid", "normal"], "labelLevels=1: the folder holding the series folder")
            #expect(t.ints("_slices_") == [nil, 5, 5])
            #expect(t.strings("_spacing_") == [nil, "0.7\\0.7\\2.5", "0.7\\0.7\\2.5"])
            #expect(t.strings("SeriesInstanceUID") == [nil, "1.2.3.9", "1.2.3.10"])
            let v1 = try volume(t.blobs("_image_")[1]), v2 = try volume(t.blobs("_image_")[2])
            #expect(v1.width == 4 && v1.height == 3 && v1.depth == 5 && v1.spacing == SIMD3(0.7, 0.7, 2.5))
            #expect(v1.origin == SIMD3(-100, -120, 10))
            #expect(v1.pixels == (0..<5).flatMap(Self.hu))
            // along the normal (0, 0, −1) the highest slice (z = 50) comes first: not the z order, not the name order
            #expect(v2.pixels == (0..<5).flatMap(Self.hu) && v2.origin == SIMD3(-100, -120, 50))
        }
    }

    @Test func aSeriesWithAMissingSliceIsSkipped() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for (k, z) in [0.0, 2.5, 7.5].enumerated() { try s.write(try DICOMFixture.bytes(Self.slice(k, z: z)), to: "gap/s/\(k).dcm") }
            for k in 0..<2 { try s.write(try DICOMFixture.bytes(Self.slice(k, z: 5)), to: "twice/s/\(k).dcm") }
            let r = try await ok(c, "image.loadImages", ["path": "", "casOut": "v", "series": true])
            let w = try #require(r.warnings.first)
            #expect(r.warnings.count == 1 && w.hasPrefix("2 DICOM series do not form a 3-D image") && w.contains("gap/s/") && w.contains("evenly spaced") && w.contains("twice/s/"), "\(w)")
            #expect(try await fetchAll(c, "v").rowCount == 0)
        }
    }

    /// Writes a two-slice series under `folder` (z 0 and 2.5 unless `z` says otherwise), `change` applied to slice 1.
    static func pair(_ s: TestServer, _ folder: String, z: Double = 2.5, _ change: (inout DICOMFixture.Slice) -> Void = { _ in }) throws {
        try s.write(try DICOMFixture.bytes(slice(0, z: 0)), to: "\(folder)/0.dcm")
        var second = slice(1, z: z)
        change(&second)
        try s.write(try DICOMFixture.bytes(second), to: "\(folder)/1.dcm")
    }

    /// A two-slice series in `folder` (slice 1 at `z`, changed by `change`) that must be skipped for `reason`.
    struct Unformed {
        var folder: String
        var z = 2.5
        var change: (inout DICOMFixture.Slice) -> Void = { _ in }
        var reason: String
    }

    /// Writes the `cases` under `root`, loads it with series=True: nothing loads, one WARNING gives each reason.
    func expectUnformed(_ s: TestServer, _ c: any TestClient, _ root: String, _ cases: [Unformed]) async throws {
        for k in cases { try Self.pair(s, "\(root)/\(k.folder)", z: k.z, k.change) }
        let r = try await ok(c, "image.loadImages", ["path": .string(root), "casOut": ["name": "none", "replace": true], "series": true])
        #expect(try await fetchAll(c, "none").rowCount == 0)
        let w = r.warnings.first ?? ""
        #expect(r.warnings.count == 1 && w.hasPrefix("\(cases.count) DICOM series do not form a 3-D image"), "\(r.warnings)")
        for k in cases { #expect(w.contains("\(root)/\(k.folder)/ (2 slices) (\(k.reason)"), "\(k.folder): \(w)") }
    }

    @Test func badGeometryIsSkippedWithItsOwnReason() async throws {
        // a NaN position was sorted last and loaded; 1e-9 mm became the slice spacing; PixelSpacing 0 was stored;
        // orientations that define no plane were reported as "not evenly spaced"; CT and MR slices made one volume
        let cases = [
            Unformed(folder: "nan", change: { $0.position = "-100\\-120\\NaN" },
                     reason: "slice 1.dcm has no valid ImagePositionPatient (3 finite numbers; it has '-100\\-120\\NaN'))"),
            Unformed(folder: "tiny", z: 1e-9, reason: "the slices are 1e-09 mm apart on average along the normal, less than 0.01 mm"),
            Unformed(folder: "zero", change: { $0.pixelSpacing = "0\\0.7" },
                     reason: "slice 1.dcm has PixelSpacing 0.0\\0.7: the spacing must be positive millimetres)"),
            Unformed(folder: "negative", change: { $0.pixelSpacing = "0.7\\-1" },
                     reason: "slice 1.dcm has PixelSpacing 0.7\\-1.0: the spacing must be positive millimetres)"),
            Unformed(folder: "nanspacing", change: { $0.pixelSpacing = "nan\\0.7" },
                     reason: "slice 1.dcm has no valid PixelSpacing (2 finite numbers; it has 'nan\\0.7'))"),
            Unformed(folder: "flat", change: { $0.orientation = "0\\0\\0\\0\\1\\0" },
                     reason: "slice 1.dcm has ImageOrientationPatient 0.0\\0.0\\0.0\\0.0\\1.0\\0.0: its row and column directions are not unit vectors)"),
            Unformed(folder: "parallel", change: { $0.orientation = "1\\0\\0\\1\\0\\0" },
                     reason: "slice 1.dcm has ImageOrientationPatient 1.0\\0.0\\0.0\\1.0\\0.0\\0.0: its row and column directions are not at right angles)"),
            Unformed(folder: "nanorientation", change: { $0.orientation = "1\\0\\0\\0\\NaN\\0" },
                     reason: "slice 1.dcm has no valid ImageOrientationPatient (6 finite numbers; it has '1\\0\\0\\0\\NaN\\0'))"),
            Unformed(folder: "modality", change: { $0.modality = "MR" }, reason: "slices differ in Modality (CT and MR): not one 3-D image)"),
            // review findings: a gantry tilt (positions shifted sideways) was stacked into a sheared volume; slices with
            // different PixelSpacing made one volume with the first's spacing
            Unformed(folder: "tilt", change: { $0.position = "-95\\-120\\2.5" },
                     reason: "slice positions do not lie along the normal (one is 5.0 mm to the side at 2.5 mm along it: a gantry tilt?)"),
            Unformed(folder: "spacing", change: { $0.pixelSpacing = "0.9\\0.9" }, reason: "slices differ in PixelSpacing ("),
        ]
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            // the WARNING names the first 5 series: two loads
            try await expectUnformed(s, c, "a", Array(cases[..<5]))
            try await expectUnformed(s, c, "b", Array(cases[5..<10]))
            try await expectUnformed(s, c, "c", Array(cases[10...]))
        }
    }

    @Test func aOneSliceSeriesTakesItsSpacingFromSliceThickness() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            var thick = Self.slice(0, z: 0)                         // SliceThickness 1.25 (the fixture's)
            thick.spacingBetweenSlices = "3"
            try s.write(try DICOMFixture.bytes(thick), to: "one/a/0.dcm")
            var between = Self.slice(0, z: 0)
            (between.sliceThickness, between.spacingBetweenSlices) = (nil, "3")
            try s.write(try DICOMFixture.bytes(between), to: "one/b/0.dcm")
            var neither = Self.slice(0, z: 0)
            (neither.sliceThickness, neither.spacingBetweenSlices) = ("0", nil)
            try s.write(try DICOMFixture.bytes(neither), to: "one/c/0.dcm")
            let r = try await ok(c, "image.loadImages", ["path": "one", "casOut": "one", "series": true])
            #expect(r.warnings.isEmpty, "\(r.warnings)")
            let t = try await fetchAll(c, "one")
            #expect(t.strings("_path_") == ["one/a", "one/b", "one/c"])
            #expect(t.strings("_spacing_") == ["0.7\\0.7\\1.25", "0.7\\0.7\\3.0", "0.7\\0.7\\1.0"])
            #expect(try t.blobs("_image_").map { try volume($0).spacing.z } == [1.25, 3, 1])
            // SLICE gives the one slice, its position 0
            let steps: Value = [["step": ["stepType": "SLICE"]], ["step": ["stepType": "WINDOW", "type": "LUNG"]]]
            try await ok(c, "image.processImages", ["table": "one", "casOut": "flat", "steps": steps])
            #expect(try await fetchAll(c, "flat").ints("_sliceIndex_") == [0, 0, 0])
        }
    }

    @Test func sliceEveryKthThenWindow() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for k in 0..<5 { try s.write(try DICOMFixture.bytes(Self.slice(k, z: 2.5 * Double(k))), to: "ct/a/\(k).dcm") }
            try await ok(c, "image.loadImages", ["path": "ct", "casOut": "vol", "series": true])
            let steps: Value = [["step": ["stepType": "SLICE", "every": 2]], ["step": ["stepType": "WINDOW", "type": "LUNG"]]]
            let r = try await ok(c, "image.processImages", ["table": "vol", "casOut": "axial", "steps": steps])
            #expect(r.notes.contains("1 of 1 images were processed successfully (3 slices)."))
            let t = try await fetchAll(c, "axial")
            #expect(t.ints("_sliceIndex_") == [0, 2, 4])
            #expect((0..<3).map { t.column("_slicePosition_")?.data.double(at: $0) } == [0, 5, 10])
            #expect(t.strings("_path_") == ["ct/a", "ct/a", "ct/a"])
            #expect(t.ints("_id_") == [1, 2, 3] && t.ints("_parentId_") == [1, 1, 1], "one _id_ per slice, the series' as _parentId_")
            for (row, k) in [0, 2, 4].enumerated() {
                guard case .uint8(let img) = try RawImage.decode(try #require(t.blobs("_image_")[row])) else { Issue.record("not 8-bit"); continue }
                #expect(img.width == 4 && img.height == 3 && img.pixels == DICOMFixture.naiveWindow(Self.hu(k), center: -600, width: 1500))
            }
            // coronal: one image per row of the volume, width × depth, the last slice on top
            try await ok(c, "image.processImages", ["table": "vol", "casOut": "cor", "steps": [["step": ["stepType": "SLICE", "axis": "CORONAL", "start": 1]],
                                                                                            ["step": ["stepType": "WINDOW", "center": -800, "width": 1000]]]])
            let cor = try await fetchAll(c, "cor")
            #expect(cor.ints("_sliceIndex_") == [1, 2])
            guard case .uint8(let img) = try RawImage.decode(try #require(cor.blobs("_image_")[0])) else { Issue.record("not 8-bit"); return }
            #expect(img.width == 4 && img.height == 5)
            let want = (0..<5).reversed().flatMap { k in (0..<4).map { x in Int16(100 * k + x - 1000) } }
            #expect(img.pixels == DICOMFixture.naiveWindow(want, center: -800, width: 1000))
            // fetchImages shows the middle slice
            let f = try await ok(c, "image.fetchImages", ["table": "vol"])
            #expect(f.table("Images")?.blobs("Image")[0].map { ImageFormat.sniff($0) } == .png)
        }
    }

    @Test func sliceErrors() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for k in 0..<2 { try s.write(try DICOMFixture.bytes(Self.slice(k, z: Double(k))), to: "v/a/\(k).dcm") }
            try s.write(try DICOMFixture.bytes(Self.slice(0, z: 0)), to: "flat/one.dcm")
            try await ok(c, "image.loadImages", ["path": "v", "casOut": "vol", "series": true])
            try await ok(c, "image.loadImages", ["path": "flat", "casOut": "flat"])
            let window: Value = ["step": ["stepType": "WINDOW", "type": "LUNG"]]
            try await fails(c, "image.processImages", ["table": "vol", "casOut": "x", "steps": [window, ["step": ["stepType": "SLICE"]]]],
                            "processImages", "steps[2]", "SLICE", "first step")
            try await fails(c, "image.processImages", ["table": "vol", "casOut": "x", "steps": [["step": ["stepType": "SLICE", "every": 0]]]], "every")
            let noSlice = try await ok(c, "image.processImages", ["table": "vol", "casOut": ["name": "x", "replace": true], "steps": [window]])
            #expect(noSlice.warnings.first?.contains("SLICE") == true, "\(noSlice.warnings)")
            let flat = try await ok(c, "image.processImages", ["table": "flat", "casOut": ["name": "y", "replace": true],
                                                               "steps": [["step": ["stepType": "SLICE"]], window]])
            #expect(flat.warnings.first?.contains("3-D") == true, "\(flat.warnings)")
            // a start past the end kept nothing and said nothing
            let past = try await ok(c, "image.processImages", ["table": "vol", "casOut": ["name": "z", "replace": true],
                                                               "steps": [["step": ["stepType": "SLICE", "start": 5]], window]])
            #expect(past.warnings == ["1 images could not be processed and were skipped: v/a (SLICE start=5 is past the end: this 3-D image has 2 slices along AXIAL (start 0…1))."],
                    "\(past.warnings)")
            let sagittal = try await ok(c, "image.processImages", ["table": "vol", "casOut": ["name": "z", "replace": true],
                                                                   "steps": [["step": ["stepType": "SLICE", "axis": "SAGITTAL", "start": 3]], window]])
            #expect(sagittal.warnings.isEmpty && sagittal.notes.contains("1 of 1 images were processed successfully."), "\(sagittal.warnings) \(sagittal.notes)")
            let summary = try await ok(c, "image.summarizeImages", ["table": "vol"])
            #expect(summary.warnings.first?.contains("SLICE and WINDOW") == true, "\(summary.warnings)")
        }
    }

    /// The issue's phantom: a body ellipse at +40 HU in air, two lung ellipses at −800 HU that shrink
    /// towards the ends, no lung in the first and last slice. Returns the HU per slice and which pixels
    /// are body and lung (the test's own ground truth).
    static func phantom(slices: Int = 7) -> [(hu: [Int16], body: Int, lung: Int)] {
        let radii = [0, 1.5, 3, 4, 3, 1.5, 0]
        return (0..<slices).map { k in
            var hu = [Int16](repeating: -1000, count: 32 * 32), body = 0, lung = 0
            for y in 0..<32 {
                for x in 0..<32 {
                    let (fx, fy) = (Double(x) - 15.5, Double(y) - 15.5)
                    guard fx * fx / 196 + fy * fy / 121 <= 1 else { continue }
                    body += 1
                    hu[y * 32 + x] = 40
                    let r = radii[k]
                    for cx in [-6.0, 6.0] where r > 0 && (fx - cx) * (fx - cx) + fy * fy <= r * r {
                        hu[y * 32 + x] = -800
                        lung += 1
                    }
                }
            }
            return (hu, body, lung)
        }
    }

    @Test func lungFilterKeepsTheSlicesWithEnoughLung() async throws {
        let phantom = Self.phantom()
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for (k, p) in phantom.enumerated() {
                var slice = DICOMFixture.Slice(rows: 32, columns: 32)
                slice.stored = p.hu.map { Int($0) + 1024 }
                slice.position = "0\\0\\\(2.5 * Double(k))"
                try s.write(try DICOMFixture.bytes(slice), to: "ct/p1/\(["q", "w", "e", "r", "t", "y", "u"][k]).dcm")
            }
            try await ok(c, "image.loadImages", ["path": "ct", "casOut": "vol", "series": true])
            for percent in [5.0, 1.0, 50.0] {
                let want = phantom.indices.filter { 100 * Double(phantom[$0].lung) >= percent * Double(phantom[$0].body) }
                let steps: Value = [["step": ["stepType": "SLICE"]], ["step": ["stepType": "LUNG_FILTER", "minPercent": .double(percent)]],
                                    ["step": ["stepType": "WINDOW", "type": "LUNG"]]]
                let r = try await ok(c, "image.processImages", ["table": "vol", "casOut": ["name": "lungs", "replace": true], "steps": steps])
                #expect(r.notes.contains("LUNG_FILTER kept \(want.count) of 7 slices."), "\(r.notes)")
                let t = try await fetchAll(c, "lungs")
                #expect(t.ints("_sliceIndex_") == want.map { $0 }, "\(percent) %")
                #expect(t.strings("_path_") == want.map { _ in "ct/p1" })
            }
            #expect(phantom.indices.filter { 20 * phantom[$0].lung >= phantom[$0].body } == [2, 3, 4], "the phantom is what this test thinks")
            let window: Value = ["step": ["stepType": "WINDOW", "type": "LUNG"]]
            try await fails(c, "image.processImages", ["table": "vol", "casOut": "x", "steps": [["step": ["stepType": "SLICE"]], window,
                                                                                         ["step": ["stepType": "LUNG_FILTER"]]]],
                            "steps[3]", "LUNG_FILTER", "SLICE, LUNG_FILTER, WINDOW")
            try await fails(c, "image.processImages", ["table": "vol", "casOut": "x", "steps": [["step": ["stepType": "SLICE"]],
                                                                                         ["step": ["stepType": "LUNG_FILTER", "lower": -300]]]],
                            "steps[2].step.lower", "below")
        }
    }
}
