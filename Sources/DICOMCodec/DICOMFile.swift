import CGDCMShim
import CheckedSize
import ImageCodec

/// One DICOM file opened from memory through GDCM (every GDCM call is in Sources/CGDCMShim): the
/// header is parsed on open; pixels are decoded to Hounsfield units only by ``hounsfield(maxPixels:)``,
/// after the caller has checked (and charged) the size the header claims.
///
/// Not thread-safe (it owns a GDCM reader): one owner, one thread at a time; files are read in
/// parallel by giving each worker its own `DICOMFile`.
///
/// ```swift
/// let file = try DICOMFile(bytes)
/// let hu = try file.hounsfield()          // HUImage, int16
/// let modality = try file.tag("Modality") // "CT"
/// ```
public final class DICOMFile {
    /// What the header says about the pixels (nothing decoded).
    public struct Info: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var frames: Int
        public var samplesPerPixel: Int
        public var bitsAllocated: Int
        public var bitsStored: Int
        public var isSigned: Bool
        public var slope: Double
        public var intercept: Double
        /// The transfer syntax UID (1.2.840.10008.1.2.1 = explicit little endian, …).
        public var transferSyntax: String
        /// PhotometricInterpretation (MONOCHROME2, MONOCHROME1, RGB, YBR_FULL, …).
        public var photometric: String
        /// Voxel spacing x, y, z (mm) and the first frame's position, as GDCM derives them (z spacing 1
        /// when a multi-frame file does not say).
        public var spacing: SIMD3<Double>
        public var origin: SIMD3<Double>
    }

    /// What a file decodes to: Hounsfield units (one gray frame), a Hounsfield volume (several gray
    /// frames: a multi-frame or enhanced CT), or an 8-bit RGB image (3 samples per pixel, one frame).
    public enum Kind: Sendable, Equatable { case hounsfield, volume, color }

    private let handle: OpaquePointer
    /// The header facts, read on open.
    public let info: Info

    /// Parses `bytes` (copied). Throws `.corrupt` for anything GDCM cannot read as a DICOM image.
    public init(_ bytes: [UInt8]) throws(ImageCodecError) {
        guard !bytes.isEmpty else { throw ImageCodecError(.empty, "empty file") }
        var err = [CChar](repeating: 0, count: 512)
        let opened = bytes.withUnsafeBytes { p in caslite_dicom_open(p.baseAddress, p.count, &err, err.count) }
        guard let opened else { throw ImageCodecError(.corrupt, "not a readable DICOM image", cause: Self.message(err)) }
        handle = opened
        var i = caslite_dicom_info()
        guard caslite_dicom_info_get(opened, &i, &err, err.count) == 0 else {
            caslite_dicom_close(opened)
            throw ImageCodecError(.corrupt, "not a readable DICOM image", cause: Self.message(err))
        }
        let ts = withUnsafeBytes(of: i.transfer_syntax) { p in String(decoding: p.prefix { $0 != 0 }, as: UTF8.self) }
        // GDCM gives the element's value as stored: odd lengths padded with a space ("MONOCHROME1 ")
        let pi = withUnsafeBytes(of: i.photometric) { p in
            String(decoding: p.prefix { $0 != 0 }.reversed().drop { $0 == 0x20 }.reversed(), as: UTF8.self)
        }
        info = Info(width: Int(i.columns), height: Int(i.rows), frames: Int(i.frames), samplesPerPixel: Int(i.samples_per_pixel),
                    bitsAllocated: Int(i.bits_allocated), bitsStored: Int(i.bits_stored), isSigned: i.pixel_signed != 0,
                    slope: i.slope, intercept: i.intercept, transferSyntax: ts, photometric: pi,
                    spacing: SIMD3(i.spacing.0, i.spacing.1, i.spacing.2), origin: SIMD3(i.origin.0, i.origin.1, i.origin.2))
    }

    /// What ``decodedBytes()`` and the decoding functions make of this file; color multi-frame files are refused.
    public func kind() throws(ImageCodecError) -> Kind {
        let palette = info.photometric == "PALETTE COLOR"  // one index per pixel, RGB through the file's tables
        switch (palette ? 3 : info.samplesPerPixel, info.frames) {
        case (1, 1): return .hounsfield
        case (1, _): return .volume
        case (3, 1): return .color
        case (3, _): throw ImageCodecError(.unsupported, "multi-frame color DICOM (\(info.frames) frames) is not supported; one color frame per file")
        default: throw ImageCodecError(.unsupported, "DICOM images with \(info.samplesPerPixel) samples per pixel are not supported (1: gray, 3: color)")
        }
    }

    /// Bytes of what this file decodes to (int16 HU per voxel, or 3 bytes per color pixel), checked against
    /// the image limits (and `Limits.maxVolumeVoxels` for a multi-frame file) before anything is allocated.
    public func decodedBytes() throws(ImageCodecError) -> Int {
        switch try kind() {
        case .hounsfield: return try hounsfieldBytes()
        case .volume: return try HUVolume.voxels(width: info.width, height: info.height, depth: info.frames) * 2
        case .color:
            do { return try Image.byteCount(width: info.width, height: info.height, format: .rgb) } catch {
                throw ImageCodecError(.corrupt, "DICOM header: \(error.message)")
            }
        }
    }

    /// A multi-frame gray file as one volume: frames in the file's order, Hounsfield units as in
    /// ``hounsfield()``, spacing and origin as GDCM derives them from the header.
    public func hounsfieldVolume() throws(ImageCodecError) -> HUVolume {
        guard try kind() == .volume else { throw ImageCodecError(.invalidArgument, "not a multi-frame gray DICOM file") }
        let n = try decodedBytes() / 2
        let px = try readHU(n)
        return try HUVolume(width: info.width, height: info.height, depth: info.frames, spacing: info.spacing, origin: info.origin, pixels: px,
                            inverted: isMonochrome1)
    }

    /// Where each frame of a multi-frame file lies: the per-frame ImagePositionPatient of an enhanced file, the
    /// direction cosines (row, column) GDCM derived, and the column and row spacing (mm) from the functional
    /// groups; nil when the file gives no position per frame.
    public func frameGeometry() throws(ImageCodecError) -> (positions: [SIMD3<Double>], orientation: [Double], pixelSpacing: SIMD2<Double>)? {
        var err = [CChar](repeating: 0, count: 512)
        var flat = [Double](repeating: 0, count: 3 * info.frames), orientation = [Double](repeating: 0, count: 6)
        var xy = [Double](repeating: 1, count: 2)
        let r = caslite_dicom_frame_geometry(handle, &flat, info.frames, &orientation, &xy, &err, err.count)
        guard r >= 0 else { throw ImageCodecError(.corrupt, "DICOM per-frame positions", cause: Self.message(err)) }
        guard r == 1 else { return nil }
        return ((0..<info.frames).map { SIMD3(flat[3 * $0], flat[3 * $0 + 1], flat[3 * $0 + 2]) }, orientation, SIMD2(xy[0], xy[1]))
    }

    /// A color file as an 8-bit RGB image: YBR converted to RGB, PALETTE COLOR looked up in the file's
    /// tables, planes interleaved, 16-bit samples scaled as a 16-bit PNG is (round(v / 257)).
    public func rgb() throws(ImageCodecError) -> Image {
        let n = try decodedBytes()
        guard try kind() == .color else { throw ImageCodecError(.invalidArgument, "not a color DICOM file") }
        var err = [CChar](repeating: 0, count: 512)
        var status: Int32 = 0
        let px = [UInt8](unsafeUninitializedCapacity: n) { buf, count in
            status = caslite_dicom_read_rgb8(handle, buf.baseAddress, n / 3, n / 3, &err, err.count)
            if status != 0 { buf.initialize(repeating: 0) }
            count = n
        }
        guard status == 0 else { throw ImageCodecError(.corrupt, "DICOM pixel data", cause: Self.message(err)) }
        return try Image(width: info.width, height: info.height, format: .rgb, pixels: px)
    }

    deinit { caslite_dicom_close(handle) }

    /// Bytes of the Hounsfield image this file decodes to (int16 per pixel), checked against the image
    /// limits (`Limits.maxImageSide`, `Limits.maxImagePixels`) before anything is allocated.
    public func hounsfieldBytes() throws(ImageCodecError) -> Int {
        guard info.frames == 1 else {
            throw ImageCodecError(.unsupported, "multi-frame DICOM (\(info.frames) frames) is a 3-D image: load it with series=True")
        }
        guard info.samplesPerPixel == 1, info.photometric != "PALETTE COLOR" else {
            throw ImageCodecError(.unsupported, "color DICOM (\(info.photometric)) has no Hounsfield units")
        }
        do { return try Image.byteCount(width: info.width, height: info.height, format: .gray) * 2 } catch {
            throw ImageCodecError(.corrupt, "DICOM header: \(error.message)")
        }
    }

    /// Decodes the pixels (uncompressing if needed) and applies RescaleSlope/RescaleIntercept.
    /// Values that are not whole numbers in Int16's range are refused (the message names one).
    public func hounsfield() throws(ImageCodecError) -> HUImage {
        let n = try hounsfieldBytes() / 2
        return try HUImage(width: info.width, height: info.height, pixels: try readHU(n), inverted: isMonochrome1)
    }

    /// PhotometricInterpretation MONOCHROME1: the lowest value is shown white. The Hounsfield units are
    /// kept as they are; the image is marked inverted, so windowing gives 255 − the MONOCHROME2 result.
    public var isMonochrome1: Bool { info.photometric == "MONOCHROME1" }

    /// `n` int16 Hounsfield values of every frame.
    private func readHU(_ n: Int) throws(ImageCodecError) -> [Int16] {
        var err = [CChar](repeating: 0, count: 512)
        var status: Int32 = 0
        let px = [Int16](unsafeUninitializedCapacity: n) { buf, count in
            status = caslite_dicom_read_hu(handle, buf.baseAddress, n, n, &err, err.count)
            if status != 0 { buf.initialize(repeating: 0) }
            count = n
        }
        guard status == 0 else { throw ImageCodecError(.corrupt, "DICOM pixel data", cause: Self.message(err)) }
        return px
    }

    /// The element named by a DICOM keyword, as text (several values joined by `\`); nil when the file
    /// has none. Throws `.invalidArgument` for a keyword the DICOM dictionary does not know.
    public func tag(_ keyword: String) throws(ImageCodecError) -> String? {
        var err = [CChar](repeating: 0, count: 256)
        var out = [CChar](repeating: 0, count: 1024)
        let n = caslite_dicom_tag(handle, keyword, &out, out.count, &err, err.count)
        if n < 0 { throw ImageCodecError(.invalidArgument, Self.message(err)) }
        if n == 0 { return nil }
        if n >= out.count {
            out = [CChar](repeating: 0, count: Int(n) + 1)
            guard caslite_dicom_tag(handle, keyword, &out, out.count, &err, err.count) >= 0 else {
                throw ImageCodecError(.corrupt, Self.message(err))
            }
        }
        return Self.message(out)
    }

    /// True when the bytes carry the DICOM Part 10 preamble: "DICM" at offsets 128…131.
    public static func hasPreamble(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 132 && bytes[128] == 0x44 && bytes[129] == 0x49 && bytes[130] == 0x43 && bytes[131] == 0x4D
    }

    static func message(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { p in String(cString: p.baseAddress!) }
    }
}
