import CASClient
import CASTestSupport
import CASWire
import DICOMFixture
import Foundation
import ImageCodec
import Mutation
import Testing

/// DICOM in the image actions over a real server: files written by DCMTK (DICOMFixtures.swift), read
/// through GDCM, checked against the values the fixtures were written with.
@Suite("image: DICOM")
struct DICOMTests {
    /// The Hounsfield image of an int16 CLRI cell.
    func hu(_ cell: [UInt8]?) throws -> HUImage {
        guard case .int16(let h) = try RawImage.decode(try #require(cell)) else { throw DICOMFixture.FixtureError("not an int16 cell") }
        return h
    }

    @Test func hounsfieldUnitsAreTheStoredValuesRescaled() async throws {
        let unsigned = DICOMFixture.ctSlice(seed: 1)                       // stored HU + 1024, intercept −1024
        var signed = DICOMFixture.Slice(rows: 3, columns: 2, signed: true, slope: 2, intercept: -1000)
        signed.stored = [-12, 0, 300, 1500, -500, 7]                       // HU = 2 × stored − 1000
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(try DICOMFixture.bytes(unsigned), to: "ct/a/unsigned.dcm")
            try s.write(try DICOMFixture.bytes(signed), to: "ct/a/signed.DCM")
            try s.write(try DICOMFixture.bytes(unsigned), to: "ct/b/IM000042")      // no extension: the DICM preamble decides
            try s.write(Fixture.png(Fixture.image(4, 4)), to: "ct/b/photo.png")
            for decode in [false, true] {
                let r = try await ok(c, "image.loadImages", ["path": "ct", "casOut": ["name": "t", "replace": true], "decode": .bool(decode),
                                                             "addColumns": ["WIDTH", "HEIGHT", "CHANNELTYPE", "DEPTH"]])
                #expect(r.disposition.severity == .normal, "\(r.warnings)")
                let t = try await fetchAll(c, "t")
                #expect(t.strings("_filename_0") == ["signed.DCM", "unsigned.dcm", "IM000042", "photo.png"])
                #expect(t.strings("_type_") == ["dcm", "dcm", "dcm", "png"])
                #expect(t.strings("_channelType_") == ["CV_16SC1", "CV_16SC1", "CV_16SC1", "CV_8UC3"])
                #expect(t.ints("_depth_") == [16, 16, 16, 8])
                #expect(t.ints("_width_") == [2, 5, 5, 4] && t.ints("_height_") == [3, 4, 4, 4])
                let sh = try hu(t.blobs("_image_")[0]), uh = try hu(t.blobs("_image_")[1])
                #expect(sh.pixels == signed.hounsfield && sh.pixels == [-1024, -1000, -400, 2000, -2000, -986])
                #expect(uh.pixels == unsigned.hounsfield && uh.width == 5 && uh.height == 4)
                #expect(try hu(t.blobs("_image_")[2]) == uh)
            }
        }
    }

    @Test func compressedFilesDecodeToTheSameUnits() async throws {
        let slice = DICOMFixture.ctSlice(rows: 16, columns: 12, seed: 3)
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for k in DICOMFixture.Compression.allCases { try s.write(try DICOMFixture.bytes(slice, k), to: "z/\(k.rawValue).dcm") }
            try await ok(c, "image.loadImages", ["path": "z", "casOut": "z"])
            let t = try await fetchAll(c, "z")
            #expect(t.strings("_filename_0") == ["deflated.dcm", "jpegLS.dcm", "jpegLossless.dcm", "none.dcm", "rle.dcm"])
            let cells = try t.blobs("_image_").map { try hu($0) }
            #expect(cells.count == 5)
            for h in cells { #expect(h.pixels == slice.hounsfield) }
        }
    }

    @Test func addColumnsReadsDICOMKeywords() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(try DICOMFixture.bytes(DICOMFixture.ctSlice()), to: "k/a.dcm")
            try s.write(Fixture.png(Fixture.image(4, 4)), to: "k/b.png")
            let keys: [Value] = ["Modality", "seriesinstanceuid", "InstanceNumber", "ImagePositionPatient", "ImageOrientationPatient",
                                 "PixelSpacing", "SliceThickness", "WindowCenter", "WindowWidth", "Rows", "Columns"]
            try await ok(c, "image.loadImages", ["path": "k", "casOut": "k", "addColumns": .list(keys)])
            let t = try await fetchAll(c, "k")
            #expect(t.column("PatientName") == nil && t.column("PatientID") == nil, "identifying columns only when asked for")
            #expect(t.strings("Modality") == ["CT", nil])
            #expect(t.strings("SeriesInstanceUID") == ["1.2.826.0.1.3680043.2.1125.9.1", nil])
            #expect(t.ints("InstanceNumber") == [7, nil])
            #expect(t.strings("ImagePositionPatient") == ["-100\\-120.5\\33.75", nil])
            #expect(t.strings("ImageOrientationPatient") == ["1\\0\\0\\0\\1\\0", nil])
            #expect(t.strings("PixelSpacing") == ["0.7\\0.7", nil])
            #expect(t.column("SliceThickness")?.data.double(at: 0) == 1.25)
            #expect(t.column("WindowCenter")?.data.double(at: 0) == 40 && t.column("WindowWidth")?.data.double(at: 0) == 400)
            #expect(t.column("WindowCenter")?.data.double(at: 1) == nil)
            #expect(t.ints("Rows") == [4, nil] && t.ints("Columns") == [5, nil])
            try await ok(c, "image.loadImages", ["path": "k", "casOut": ["name": "p", "replace": true], "addColumns": ["PatientName", "PatientID"]])
            let p = try await fetchAll(c, "p")
            #expect(p.strings("PatientName") == ["Doe^Jane", nil] && p.strings("PatientID") == ["P123", nil])
            try await fails(c, "image.loadImages", ["path": "k", "casOut": "x", "addColumns": ["Modalty"]], "loadImages", "addColumns[1]", "Modality")
        }
    }

    @Test func windowMatchesTheNaiveFormulaAndContinuesThroughThePipeline() async throws {
        let slice = DICOMFixture.ctSlice(rows: 6, columns: 7, seed: 2)
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(try DICOMFixture.bytes(slice), to: "w/covid/a.dcm")
            try await ok(c, "image.loadImages", ["path": "w", "casOut": "ct"])
            let windows: [(Value, Double, Double)] = [
                (["stepType": "WINDOW", "type": "LUNG"], -600, 1500), (["stepType": "WINDOW", "type": "MEDIASTINUM"], 40, 400),
                (["stepType": "WINDOW", "center": 50, "width": 1], 50, 1), (["stepType": "WINDOW", "center": -1000.5, "width": 2.5], -1000.5, 2.5),
            ]
            for (step, center, width) in windows {
                try await ok(c, "image.processImages", ["table": "ct", "casOut": ["name": "win", "replace": true], "steps": [["step": step]]])
                let t = try await fetchAll(c, "win")
                guard case .uint8(let img) = try RawImage.decode(try #require(t.blobs("_image_")[0])) else { Issue.record("not 8-bit"); continue }
                #expect(img.format == .gray && img.width == 7 && img.height == 6)
                #expect(img.pixels == DICOMFixture.naiveWindow(slice.hounsfield, center: center, width: width), "\(center)/\(width)")
                #expect(t.strings("_label_") == ["covid"])
            }
            // then the usual steps: 8-bit BGR 8×8, what a CNN's input layer takes
            let steps: Value = [["step": ["stepType": "WINDOW", "type": "LUNG"]], ["step": ["stepType": "RESIZE", "width": 8, "height": 8]],
                                ["step": ["stepType": "CONVERT_COLOR", "type": "GRAY2COLOR"]]]
            try await ok(c, "image.processImages", ["table": "ct", "casOut": "rgb", "steps": steps])
            guard case .uint8(let img) = try RawImage.decode(try #require(try await fetchAll(c, "rgb").blobs("_image_")[0])) else {
                Issue.record("not 8-bit"); return
            }
            #expect(img.width == 8 && img.height == 8 && img.format == .bgr)
            // fetchImages shows an unwindowed cell min/max scaled
            let f = try await ok(c, "image.fetchImages", ["table": "ct"])
            #expect(f.table("Images")?.blobs("Image")[0].map { ImageFormat.sniff($0) } == .png)
        }
    }

    @Test func windowErrorsNameTheStep() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(try DICOMFixture.bytes(DICOMFixture.ctSlice()), to: "e/a.dcm")
            try s.write(Fixture.png(Fixture.image(4, 4)), to: "e/b.png")
            try await ok(c, "image.loadImages", ["path": "e", "casOut": "e"])
            let resize: Value = ["step": ["stepType": "RESIZE", "width": 4, "height": 4]]
            try await fails(c, "image.processImages", ["table": "e", "casOut": "x", "steps": [resize, ["step": ["stepType": "WINDOW", "type": "LUNG"]]]],
                            "processImages", "steps[2]", "WINDOW", "must come first")
            try await fails(c, "image.processImages", ["table": "e", "casOut": "x", "steps": [["step": ["stepType": "WINDOW", "type": "LUNG", "center": 3]]]],
                            "steps[1].step.type", "either")
            try await fails(c, "image.processImages", ["table": "e", "casOut": "x", "steps": [["step": ["stepType": "WINDOW", "center": 3]]]],
                            "steps[1].step.width", "center and width")
            try await fails(c, "image.processImages", ["table": "e", "casOut": "x", "steps": [["step": ["stepType": "WINDOW", "center": 3, "width": 0]]]],
                            "width")
            // a PNG under WINDOW, and a DICOM without it: skipped with one warning each, the rest processed
            let w = try await ok(c, "image.processImages", ["table": "e", "casOut": ["name": "x", "replace": true], "steps": [["step": ["stepType": "WINDOW", "type": "LUNG"]]]])
            #expect(w.warnings.count == 1 && w.warnings[0].contains("b.png") && w.warnings[0].contains("Hounsfield"), "\(w.warnings)")
            let r = try await ok(c, "image.processImages", ["table": "e", "casOut": ["name": "y", "replace": true], "steps": [resize]])
            #expect(r.warnings.count == 1 && r.warnings[0].contains("a.dcm") && r.warnings[0].contains("WINDOW"), "\(r.warnings)")
        }
    }

    @Test func hostileFilesAreSkippedAndTheServerStaysUp() async throws {
        let good = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8))
        var huge = DICOMFixture.ctSlice()
        (huge.rows, huge.columns) = (65535, 65535)                        // 12 GiB claimed by a 1 KiB file
        var large = DICOMFixture.ctSlice()
        (large.rows, large.columns) = (8000, 8000)                        // within the limits, but no such pixel data
        var fraction = DICOMFixture.ctSlice()
        fraction.slope = 0.5                                              // HU with halves: not int16-representable
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(good, to: "h/good.dcm")
            try s.write(Array(good.prefix(good.count - 7)), to: "h/cut-pixels.dcm")
            try s.write(Array(good.prefix(200)), to: "h/cut-header.dcm")
            try s.write(Array(good.prefix(132)), to: "h/preamble-only.dcm")
            try s.write(try DICOMFixture.bytes(huge), to: "h/huge.dcm")
            try s.write(try DICOMFixture.bytes(large), to: "h/large.dcm")
            try s.write(try DICOMFixture.bytes(fraction), to: "h/fraction.dcm")
            try s.write(Array("(0008,0060) CS [CT]".utf8), to: "h/text.dcm")
            try s.write(Fixture.png(Fixture.image(4, 4)), to: "h/photo.dcm")   // content decides: a PNG
            var longPixels = good                                             // the pixel data length claims 2 GiB
            let tag: [UInt8] = [0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x57, 0, 0]
            if let at = (0..<(good.count - 12)).last(where: { Array(good[$0..<($0 + 8)]) == tag }) {
                for (k, b) in [0xF0, 0xFF, 0xFF, 0x7F].enumerated() { longPixels[at + 8 + k] = UInt8(b) }
            }
            try s.write(longPixels, to: "h/long-pixels.dcm")
            // a cut deflate stream made GDCM's inflating reader spin forever (found by the pydicom mutation test)
            let deflated = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8), .deflated)
            try s.write(Array(deflated.prefix(deflated.count - 9)), to: "h/cut-deflated.dcm")
            let r = try await ok(c, "image.loadImages", ["path": "h", "casOut": "h"])
            #expect(r.disposition.severity == .warning)
            let w = try #require(r.warnings.first)
            #expect(r.warnings.count == 1 && w.hasPrefix("9 files"), "\(w)")
            #expect(w.contains("cut-deflated.dcm (not a readable DICOM image: the deflated data set is truncated)"), "\(w)")
            let t = try await fetchAll(c, "h")
            #expect(t.strings("_filename_0") == ["good.dcm", "photo.dcm"])
            #expect(t.strings("_type_") == ["dcm", "png"])
            try await ok(c, "builtins.ping")
        }
    }

    /// `bytes` with the US element (0028,eeee) of an explicit-VR little-endian file set to `value`.
    static func patchUS(_ bytes: [UInt8], element: UInt8, _ value: UInt16) throws -> [UInt8] {
        let tag: [UInt8] = [0x28, 0x00, element, 0x00, 0x55, 0x53, 0x02, 0x00]
        guard let at = (0..<(bytes.count - 10)).first(where: { Array(bytes[$0..<($0 + 8)]) == tag }) else {
            throw DICOMFixture.FixtureError("no (0028,\(element)) US element")
        }
        var out = bytes
        (out[at + 8], out[at + 9]) = (UInt8(value & 0xFF), UInt8(value >> 8))
        return out
    }

    /// The skip WARNING of a load of `path`, which must load nothing.
    func skipWarning(_ c: any TestClient, _ path: String) async throws -> String {
        let r = try await ok(c, "image.loadImages", ["path": .string(path), "casOut": ["name": "bad", "replace": true]])
        #expect(try await fetchAll(c, "bad").rowCount == 0)
        #expect(r.warnings.count == 1, "\(r.warnings)")
        return r.warnings.first ?? ""
    }

    @Test func aRescaleThatIsNotAFiniteNumberIsRefusedByName() async throws {
        // GDCM read each of these as slope 1 / intercept 0 and the file loaded with wrong Hounsfield units
        let cases: [(String, Double, Double, String)] = [
            ("slope-nan", .nan, -1024, "RescaleSlope is 'nan': not a finite, non-zero number"),
            ("slope-inf", .infinity, -1024, "RescaleSlope is 'inf': not a finite, non-zero number"),
            ("slope-zero", 0, -1024, "RescaleSlope is '0.0': not a finite, non-zero number"),
            ("intercept-nan", 1, .nan, "RescaleIntercept is 'nan': not a finite number"),
            ("intercept-inf", 1, -.infinity, "RescaleIntercept is '-inf': not a finite number"),
        ]
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for (name, slope, intercept, _) in cases {
                var slice = DICOMFixture.ctSlice()
                (slice.slope, slice.intercept) = (slope, intercept)
                try s.write(try DICOMFixture.bytes(slice), to: "rescale/\(name).dcm")
            }
            let w = try await skipWarning(c, "rescale")
            #expect(w.hasPrefix("5 files are not readable"), "\(w)")
            for (name, _, _, reason) in cases { #expect(w.contains("rescale/\(name).dcm (not a readable DICOM image: \(reason))"), "\(name): \(w)") }
        }
    }

    @Test func aPhotometricInterpretationThatIsNotDICOMsOrDisagreesWithTheSamplesIsRefused() async throws {
        // review findings: 'FOO' loaded as MONOCHROME2; 3 samples under MONOCHROME2 loaded a third of the data as gray
        let cases: [(String, Int, String, String)] = [
            ("foo", 1, "FOO", "PhotometricInterpretation is 'FOO': not one DICOM defines"),
            ("three", 3, "MONOCHROME2", "SamplesPerPixel is 3 but PhotometricInterpretation MONOCHROME2 has 1"),
        ]
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for (name, samples, pi, _) in cases {
                var slice = DICOMFixture.ctSlice()
                (slice.samplesPerPixel, slice.photometric) = (samples, pi)
                try s.write(try DICOMFixture.bytes(slice), to: "photometric/\(name).dcm")
            }
            let w = try await skipWarning(c, "photometric")
            for (name, _, _, reason) in cases { #expect(w.contains("photometric/\(name).dcm") && w.contains(reason), "\(name): \(w)") }
        }
    }

    @Test func aSlopeTooSmallToKeepStoredValuesApartIsRefused() async throws {
        // review finding: slope 1e-9 put every pixel within the whole-number tolerance of the intercept (all 0 HU)
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            var slice = DICOMFixture.ctSlice()
            (slice.slope, slice.intercept) = (1e-9, 0)
            try s.write(try DICOMFixture.bytes(slice), to: "tiny/slope.dcm")
            let w = try await skipWarning(c, "tiny")
            #expect(w.contains("tiny/slope.dcm") && w.contains("not a whole number"), "\(w)")
        }
    }

    @Test func inconsistentBitFieldsAreRefusedWithTheReason() async throws {
        let cases: [(String, (allocated: Int, stored: Int, high: Int), String)] = [
            ("high-bit", (16, 12, 2), "HighBit is 2 but BitsStored is 12: HighBit must be BitsStored - 1"),
            ("allocated", (65535, 16, 15), "BitsAllocated is 65535: not 1, 8, 12, 16, 32 or 64"),
            ("stored", (16, 17, 16), "BitsStored is 17 but BitsAllocated is 16: BitsStored must be 1 to BitsAllocated"),
        ]
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for (name, bits, _) in cases {
                var slice = DICOMFixture.ctSlice()
                slice.bits = bits
                try s.write(try DICOMFixture.bytes(slice), to: "bits/\(name).dcm")
            }
            let w = try await skipWarning(c, "bits")
            #expect(w.hasPrefix("3 files are not readable"), "\(w)")
            for (name, _, reason) in cases { #expect(w.contains("bits/\(name).dcm (not a readable DICOM image: \(reason))"), "\(name): \(w)") }
        }
    }

    @Test func aCompressedStreamLargerThanRowsAndColumnsIsRefused() async throws {
        // an 8×8 image compressed, then Rows (or Columns) changed to 4 in the header: GDCM decoded the stream and
        // handed back a cropped piece
        let slice = DICOMFixture.ctSlice(rows: 8, columns: 8, seed: 4)
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            for k in [DICOMFixture.Compression.jpegLossless, .jpegLS, .rle] {
                let file = try DICOMFixture.bytes(slice, k)
                try s.write(try Self.patchUS(file, element: 0x10, 4), to: "crop/\(k.rawValue)-rows.dcm")
                if k != .rle { try s.write(try Self.patchUS(file, element: 0x11, 4), to: "crop/\(k.rawValue)-columns.dcm") }
            }
            let w = try await skipWarning(c, "crop")
            #expect(w.hasPrefix("5 files are not readable"), "\(w)")
            // GDCM takes the size of a JPEG lossless stream (the header disagrees) but the header's for JPEG-LS (the stream disagrees)
            for (rc, rows, columns) in [("rows", 4, 8), ("columns", 8, 4)] {
                #expect(w.contains("crop/jpegLossless-\(rc).dcm (not a readable DICOM image: the pixel data is 8x8 pixels but the DICOM header says Columns \(columns), Rows \(rows))"), "\(w)")
                #expect(w.contains("crop/jpegLS-\(rc).dcm (DICOM pixel data: the JPEG stream is 8x8 pixels but the DICOM header says Columns \(columns), Rows \(rows))"), "\(w)")
            }
            #expect(w.contains("crop/rle-rows.dcm (DICOM pixel data: RLE frame 1 segment 1 decodes to more than 33 bytes but Columns × Rows is 32"), "\(w)")
            // the same files unchanged load, JPEG-LS included
            for k in [DICOMFixture.Compression.jpegLossless, .jpegLS, .rle] { try s.write(try DICOMFixture.bytes(slice, k), to: "whole/\(k.rawValue).dcm") }
            try await ok(c, "image.loadImages", ["path": "whole", "casOut": "whole"])
            for cell in try await fetchAll(c, "whole").blobs("_image_") { #expect(try hu(cell).pixels == slice.hounsfield) }
        }
    }

    @Test func aTruncatedJPEGStreamIsRefusedNotZeroFilled() async throws {
        // the JPEG lossless stream loses 40 bytes before its end marker: libjpeg zero-filled the rest, printed "Corrupt
        // JPEG data" on the server's stderr without a file name, and the file loaded
        let file = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8, seed: 5), .jpegLossless)
        let soi = try #require((0..<(file.count - 1)).first { file[$0] == 0xFF && file[$0 + 1] == 0xD8 })
        let item = soi - 8                                                      // (FFFE,E000) and its 4-byte length
        #expect(Array(file[item..<(item + 4)]) == [0xFE, 0xFF, 0x00, 0xE0])
        let length = Int(file[item + 4]) | Int(file[item + 5]) << 8 | Int(file[item + 6]) << 16 | Int(file[item + 7]) << 24
        let stream = Array(file[soi..<(soi + length)])
        let eoi = try #require(stream.indices.dropLast().last { stream[$0] == 0xFF && stream[$0 + 1] == 0xD9 })
        let cut = Array(stream[..<(eoi - 40)]) + [0xFF, 0xD9] + Array(stream[(eoi + 2)...])
        let n = UInt32(cut.count)
        let truncated = Array(file[..<(item + 4)]) + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + cut
            + Array(file[(soi + length)...])
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            try s.write(truncated, to: "cut/short.dcm")
            let w = try await skipWarning(c, "cut")
            #expect(w == "1 files are not readable PNG, JPEG or DICOM images and were skipped: cut/short.dcm (DICOM pixel data: the JPEG decoder reports: Corrupt JPEG data: premature end of data segment).", "\(w)")
        }
    }

    @Test func aLinkOutOfTheCaslibIsRefused() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let dcm = try DICOMFixture.bytes(DICOMFixture.ctSlice())
            try s.write(dcm, to: "l/in.dcm")
            try Data(dcm).write(to: URL(fileURLWithPath: "\(s.dataRoot)/secret.dcm"))
            try FileManager.default.createSymbolicLink(atPath: "\(s.casuser())/l/out.dcm", withDestinationPath: "\(s.dataRoot)/secret.dcm")
            let r = try await ok(c, "image.loadImages", ["path": "l", "casOut": "l", "addColumns": ["PatientName"]])
            #expect(try await fetchAll(c, "l").strings("_filename_0") == ["in.dcm"])
            // the link is not read, and the user is told why a file is missing
            #expect(r.warnings == ["1 entry outside the caslib was skipped (symbolic links that lead out of caslib CASUSER(alice) are not followed)."],
                    "\(r.warnings)")
            let info = try await ok(c, "table.fileInfo", ["caslib": "CASUSER(alice)", "path": "l"])
            #expect(info.notes.contains("1 entry outside the caslib was skipped (symbolic links that lead out of caslib CASUSER(alice) are not followed)."),
                    "\(info.notes)")
            try await fails(c, "image.loadImages", ["path": "l/out.dcm", "casOut": "m"], "escapes")
        }
    }
}

/// DICOM in the file mutation fuzzers (`make fuzz` runs it with CASLITE_FUZZ_ITERATIONS): seeded bit flips,
/// truncations, boundary values in the meta header, the pixel description and the pixel data, of plain,
/// RLE, JPEG-lossless and deflated files, loaded by a real server. Found on the first run: GDCM's assert (SIGABRT),
/// a division by zero (SIGFPE) and 2 GiB allocations from 1 KiB files (docs/decisions/018-dicom.md).
@Suite("Fuzz: DICOM")
struct DICOMFuzzTests {
    @Test func mutatedFilesNeverCrashTheServer() async throws {
        let seed = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8))
        let rle = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8), .rle)
        let jpeg = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8), .jpegLossless)
        let deflated = try DICOMFixture.bytes(DICOMFixture.ctSlice(rows: 8, columns: 8), .deflated)
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            var m = Mutator(seed: 23)
            let n = fuzzIterations(default: 200)
            for i in 0..<n {
                let base = [seed, rle, jpeg, deflated][i % 4]
                try s.write(m.mutate(base, fields: [128, 140, 150, 300, base.count - 20]), to: "f/\(i).dcm")
            }
            let r = try await c.call("image.loadImages", ["path": "f", "casOut": "f"])
            #expect(r.disposition.severity != .error, "\(r.errorText)")
            let t = try await fetchAll(c, "f")
            #expect(t.rowCount <= n)
            for cell in t.blobs("_image_") { _ = try RawImage.decode(try #require(cell)) }   // whatever loaded is a valid cell
            try await ok(c, "builtins.ping")
        }
    }
}
