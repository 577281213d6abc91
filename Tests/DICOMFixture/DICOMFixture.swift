// DICOM fixtures written by DCMTK (Debian `dcmtk`, installed by .ci/run): a text dump → dump2dcm, then
// dcmcjpeg (JPEG lossless, process 14 SV1), dcmcrle (RLE lossless) or dcmconv +td (deflated). DCMTK is an independent
// writer: the server reads these files through GDCM.
import Foundation

public enum DICOMFixture {
    /// One CT slice as the scanner stored it; the Hounsfield value of a pixel is `stored × slope + intercept`.
    public struct Slice {
        public var rows = 4, columns = 5
        /// Stored values, row-major (rows × columns unless a test lies on purpose).
        public var stored: [Int] = []
        /// PixelRepresentation: two's complement stored values.
        public var signed = false
        public var slope = 1.0, intercept = -1024.0
        public var instance = 7
        public var position = "-100\\-120.5\\33.75"
        public var orientation = "1\\0\\0\\0\\1\\0"
        public var modality = "CT"
        public var patientName = "Doe^Jane"
        public var series = "1.2.826.0.1.3680043.2.1125.9.1"
        public var pixelSpacing = "0.7\\0.7"
        /// SliceThickness and SpacingBetweenSlices as written (nil: the element is left out).
        public var sliceThickness: String? = "1.25"
        public var spacingBetweenSlices: String? = nil
        /// BitsAllocated, BitsStored, HighBit as written (the pixel data stays 16-bit words).
        public var bits = (allocated: 16, stored: 16, high: 15)
        /// SamplesPerPixel and PhotometricInterpretation as written (a hostile file may make them disagree).
        public var samplesPerPixel = 1, photometric = "MONOCHROME2"

        /// The Hounsfield values a reader must produce (computed here, independently of any reader).
        public var hounsfield: [Int16] { stored.map { Int16(Double($0) * slope + intercept) } }

        public init(rows: Int = 4, columns: Int = 5, signed: Bool = false, slope: Double = 1, intercept: Double = -1024) {
            (self.rows, self.columns, self.signed, self.slope, self.intercept) = (rows, columns, signed, slope, intercept)
        }
    }

    /// How DCMTK stores the pixels: as written, JPEG lossless (dcmcjpeg), JPEG-LS lossless (dcmcjpls), RLE (dcmcrle), or the whole data
    /// set deflated (dcmconv +td: the file is smaller than its elements claim).
    public enum Compression: String, CaseIterable, Sendable { case none, jpegLossless, jpegLS, rle, deflated }

    /// A ramp covering air, lung, fat, water, soft tissue and bone: stored (unsigned) = HU + 1024.
    public static func ctSlice(rows: Int = 4, columns: Int = 5, seed: Int = 0) -> Slice {
        var s = Slice(rows: rows, columns: columns)
        let hu = [-1024, -1000, -850, -600, -400, -100, 0, 40, 60, 240, 400, 1000, 3071]
        s.stored = (0..<(rows * columns)).map { hu[($0 * 5 + seed) % hu.count] + 1024 }
        return s
    }

    /// The dump2dcm text of `s`.
    public static func dump(_ s: Slice) -> String {
        let words = s.stored.map { String(format: "%04x", UInt16(truncatingIfNeeded: $0)) }.joined(separator: "\\")
        return """
            (0002,0010) UI =LittleEndianExplicit
            (0008,0016) UI =CTImageStorage
            (0008,0018) UI [1.2.826.0.1.3680043.2.1125.1.\(s.instance)]
            (0008,0060) CS [\(s.modality)]
            (0010,0010) PN [\(s.patientName)]
            (0010,0020) LO [P123]
            \(s.sliceThickness.map { "(0018,0050) DS [\($0)]\n" } ?? "")\
            \(s.spacingBetweenSlices.map { "(0018,0088) DS [\($0)]\n" } ?? "")\
            (0020,000e) UI [\(s.series)]
            (0020,0013) IS [\(s.instance)]
            (0020,0032) DS [\(s.position)]
            (0020,0037) DS [\(s.orientation)]
            (0028,0002) US \(s.samplesPerPixel)
            (0028,0004) CS [\(s.photometric)]
            (0028,0010) US \(s.rows)
            (0028,0011) US \(s.columns)
            (0028,0030) DS [\(s.pixelSpacing)]
            (0028,0100) US \(s.bits.allocated)
            (0028,0101) US \(s.bits.stored)
            (0028,0102) US \(s.bits.high)
            (0028,0103) US \(s.signed ? 1 : 0)
            (0028,1050) DS [40\\-600]
            (0028,1051) DS [400\\1500]
            (0028,1052) DS [\(s.intercept)]
            (0028,1053) DS [\(s.slope)]
            (7fe0,0010) OW \(words)

            """
    }

    /// The file DCMTK writes for `s`, compressed as asked.
    public static func bytes(_ s: Slice, _ compression: Compression = .none) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caslite-dicom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dumpFile = dir.appendingPathComponent("s.dump").path, plain = dir.appendingPathComponent("s.dcm").path
        let out = dir.appendingPathComponent("c.dcm").path
        try dump(s).write(toFile: dumpFile, atomically: true, encoding: .utf8)
        try run("dump2dcm", ["+te", "+l", "\(256 + 5 * s.stored.count)", dumpFile, plain])  // +l: the pixel line is long
        switch compression {
        case .none: return Array(try Data(contentsOf: URL(fileURLWithPath: plain)))
        case .jpegLossless: try run("dcmcjpeg", ["+e1", plain, out])
        case .jpegLS: try run("dcmcjpls", ["+el", plain, out])
        case .rle: try run("dcmcrle", [plain, out])
        case .deflated: try run("dcmconv", ["+td", plain, out])
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    /// Runs a DCMTK tool from PATH; throws with its output when it fails.
    public static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        // DCMTK tools can report a parse error on stderr and still exit 0: check that they wrote their output
        guard p.terminationStatus == 0, args.last.map({ FileManager.default.fileExists(atPath: $0) }) ?? true else {
            throw FixtureError("\(tool) \(args.joined(separator: " ")) failed (is dcmtk installed? .ci/run installs it): \(String(decoding: output, as: UTF8.self))")
        }
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// The DICOM linear window (PS3.3 C.11.2.1.2.1) to 0…255, rounded half up, pixel by pixel in Double:
    /// the naive reference the WINDOW step is checked against.
    public static func naiveWindow(_ hu: [Int16], center c: Double, width w: Double) -> [UInt8] {
        hu.map { v in
            let x = Double(v)
            if x <= c - 0.5 - (w - 1) / 2 { return 0 }
            if x > c - 0.5 + (w - 1) / 2 { return 255 }
            let y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255
            return UInt8(min(255, max(0, (y + 0.5).rounded(.down))))
        }
    }
}
