import CASClient
import CASStandardSets
import CASTestSupport
import CASWire
import DICOMFixture
import Foundation
import ImageCodec
import Testing

/// examples/covid-ct/from-dicom.casl — the DICOM front part `make demo` runs — on DCMTK-written series
/// through `sccasl.runCasl` on a real server: series → SLICE → LUNG_FILTER → WINDOW → PNG class folders.
@Suite("examples/covid-ct/from-dicom.casl")
struct FromDICOMScriptTests {
    @Test func seriesBecomeLabelledPNGSlices() async throws {
        let code = try String(contentsOfFile: Examples.root + "/covid-ct/from-dicom.casl", encoding: .utf8)
        try await withServer(sets: StandardRegistry.sets) { s in
            // two series per class, 6 slices of 24×24: a body square at 40 HU, lung (−850 HU) in slices 1…4 only
            for (c, label) in ["covid", "normal"].enumerated() {
                for n in 0..<2 {
                    for k in 0..<6 {
                        var slice = DICOMFixture.Slice(rows: 24, columns: 24)
                        slice.stored = (0..<576).map { p in
                            let (x, y) = (p % 24, p / 24)
                            let body = (2..<22).contains(x) && (3..<21).contains(y)
                            let lung = (1...4).contains(k) && (6..<18).contains(x) && (7..<17).contains(y)
                            return (lung ? -850 : body ? 40 : -1000) + 1024
                        }
                        slice.position = "0\\0\\\(2.5 * Double(k))"
                        slice.series = "1.2.3.\(c).\(n)"
                        let url = URL(fileURLWithPath: "\(s.dataRoot)/public/ct-dicom/\(label)/scan\(n)/IM\((k * 7) % 6)")
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try Data(try DICOMFixture.bytes(slice, k % 2 == 0 ? .rle : .none)).write(to: url)
                    }
                }
            }
            let c = try await s.connect("caslite")
            let r = try await casl(c, code, vars: ["caslib": "public", "dicom": "ct-dicom", "slices": "ct-slices", "lung": 5])
            #expect(r.disposition.severity == .normal, "from-dicom.casl failed: \(r.errorText)")
            for label in ["covid", "normal"] {
                let folder = "\(s.dataRoot)/public/ct-slices/\(label)"
                let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".png") }
                #expect(files.count == 8, "\(label): 2 series × 4 slices with lung, got \(files)")
                for f in files {
                    let img = try ImageCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(f)"))))
                    #expect(img.width == 24 && img.height == 24)
                }
            }
        }
    }
}
