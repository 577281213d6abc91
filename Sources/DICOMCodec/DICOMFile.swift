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
    }

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
        info = Info(width: Int(i.columns), height: Int(i.rows), frames: Int(i.frames), samplesPerPixel: Int(i.samples_per_pixel),
                    bitsAllocated: Int(i.bits_allocated), bitsStored: Int(i.bits_stored), isSigned: i.pixel_signed != 0,
                    slope: i.slope, intercept: i.intercept, transferSyntax: ts)
    }

    deinit { caslite_dicom_close(handle) }

    /// Bytes of the Hounsfield image this file decodes to (int16 per pixel), checked against the image
    /// limits (`Limits.maxImageSide`, `Limits.maxImagePixels`) before anything is allocated.
    public func hounsfieldBytes() throws(ImageCodecError) -> Int {
        guard info.frames == 1 else {
            throw ImageCodecError(.unsupported, "multi-frame DICOM (\(info.frames) frames) is not supported yet; one frame per file")
        }
        guard info.samplesPerPixel == 1 else {
            throw ImageCodecError(.unsupported, "color DICOM (\(info.samplesPerPixel) samples per pixel) has no Hounsfield units")
        }
        do { return try Image.byteCount(width: info.width, height: info.height, format: .gray) * 2 } catch {
            throw ImageCodecError(.corrupt, "DICOM header: \(error.message)")
        }
    }

    /// Decodes the pixels (uncompressing if needed) and applies RescaleSlope/RescaleIntercept.
    /// Values that are not whole numbers in Int16's range are refused (the message names one).
    public func hounsfield() throws(ImageCodecError) -> HUImage {
        let n = try hounsfieldBytes() / 2
        var err = [CChar](repeating: 0, count: 512)
        var status: Int32 = 0
        let px = [Int16](unsafeUninitializedCapacity: n) { buf, count in
            status = caslite_dicom_read_hu(handle, buf.baseAddress, n, n, &err, err.count)
            if status != 0 { buf.initialize(repeating: 0) }
            count = n
        }
        guard status == 0 else { throw ImageCodecError(.corrupt, "DICOM pixel data", cause: Self.message(err)) }
        return try HUImage(width: info.width, height: info.height, pixels: px)
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
