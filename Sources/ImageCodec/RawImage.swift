import CheckedSize

// The stored-pixel format for processed images (docs/images.md §Storage): a 16-byte header and raw
// HWC samples, so training reads pixels with one memcpy and no re-decoding.
//
//   offset size  field
//   0      4     magic "CLRI" (43 4C 52 49)
//   4      1     version = 1
//   5      1     sample type: 1 = uint8, 2 = float32 little-endian, 3 = int16 little-endian (Hounsfield units, gray only),
//                4 = int16 as 3, shown inverted (DICOM MONOCHROME1: the lowest value is white)
//   6      1     PixelFormat raw value: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA, 5 BGR, 6 BGRA
//   7      1     channels (1...4, must agree with the pixel format)
//   8      4     width, UInt32 little-endian
//   12     4     height, UInt32 little-endian
//   16     ...   width*height*channels samples, HWC (row, column, channel), no padding

/// A decoded raw blob: 8-bit, float32 or Hounsfield-unit (int16) pixels.
public enum RawImage: Sendable, Equatable {
    /// uint8 samples.
    case uint8(Image)
    /// float32 samples.
    case float32(FloatImage)
    /// int16 Hounsfield units (one channel), from a DICOM file.
    case int16(HUImage)

    /// Header length in bytes; the payload starts here (4-byte aligned for float32).
    public static let headerSize = 16
    /// "CLRI".
    public static let magic: [UInt8] = [0x43, 0x4C, 0x52, 0x49]
    /// Current version byte.
    public static let version: UInt8 = 1
    /// Sample type byte of int16 (Hounsfield-unit) blobs.
    public static let int16SampleType: UInt8 = 3
    /// Sample type byte of int16 blobs from MONOCHROME1 files (shown inverted: windowing gives 255 − v).
    public static let int16InvertedSampleType: UInt8 = 4

    /// The int16 sample type for an image shown inverted or not.
    static func int16SampleType(inverted: Bool) -> UInt8 { inverted ? int16InvertedSampleType : int16SampleType }

    static func header(width: Int, height: Int, format: PixelFormat, sampleType: UInt8) -> [UInt8] {
        var h = magic + [version, sampleType, format.rawValue, UInt8(format.channels)]
        for v in [UInt32(width), UInt32(height)] { withUnsafeBytes(of: v.littleEndian) { h += $0 } }
        return h
    }

    /// Width, height, format and sample type from a header, without touching the payload.
    public static func probe(_ b: UnsafeRawBufferPointer) throws(ImageCodecError) -> (width: Int, height: Int, format: PixelFormat, sampleType: UInt8) {
        guard b.count >= headerSize, b.prefix(4).elementsEqual(magic) else {
            throw ImageCodecError(.unknownFormat, "not a caslite raw image (no CLRI header)")
        }
        guard b[4] == version else {
            throw ImageCodecError(.unsupported, "raw image version \(b[4]) is not supported (expected \(version))")
        }
        guard let format = PixelFormat(rawValue: b[6]), Int(b[7]) == format.channels, (1...4).contains(b[5]),
              b[5] < int16SampleType || format == .gray
        else {
            throw ImageCodecError(.corrupt, "raw image header is corrupt (type \(b[5]), format \(b[6]), channels \(b[7]))")
        }
        let w = Int(b.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        let h = Int(b.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian)
        let elem = [1: 1, 2: 4, 3: 2, 4: 2][b[5]]!
        let samples: Int
        do { samples = try Image.byteCount(width: w, height: h, format: format) } catch {
            throw ImageCodecError(.corrupt, "raw image header: \(error.message)")
        }
        guard b.count == headerSize + samples * elem else {
            throw ImageCodecError(.corrupt, "raw image \(w)×\(h) \(format) needs \(headerSize + samples * elem) bytes, blob has \(b.count)")
        }
        return (w, h, format, b[5])
    }

    /// Parses a raw blob (validates header and length).
    public static func decode(_ b: UnsafeRawBufferPointer) throws(ImageCodecError) -> RawImage {
        let (w, h, format, sampleType) = try probe(b)
        let payload = UnsafeRawBufferPointer(rebasing: b[headerSize...])
        if sampleType == int16SampleType || sampleType == int16InvertedSampleType {
            let n = w * h
            let px = [Int16](unsafeUninitializedCapacity: n) { buf, count in  // x86-64 and arm64 are little-endian
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: payload)
                count = n
            }
            return .int16(HUImage(unchecked: w, h, px, inverted: sampleType == int16InvertedSampleType))
        }
        if sampleType == 2 {
            let n = w * h * format.channels
            let px = [Float](unsafeUninitializedCapacity: n) { buf, count in
                for i in 0..<n {
                    buf[i] = Float(bitPattern: UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
                count = n
            }
            return .float32(FloatImage(unchecked: w, h, format, px))
        }
        return .uint8(Image(unchecked: w, h, format, Array(payload)))
    }

    /// ``decode(_:)`` on an array.
    public static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> RawImage {
        try withBytes(bytes) { (p) throws(ImageCodecError) -> RawImage in try decode(p) }
    }
}

extension Image {
    /// This image as a raw blob (16-byte header + uint8 HWC samples).
    public func rawBytes() -> [UInt8] {
        RawImage.header(width: width, height: height, format: format, sampleType: 1) + pixels
    }
}

extension FloatImage {
    /// This image as a raw blob (16-byte header + float32 little-endian HWC samples).
    public func rawBytes() -> [UInt8] {
        var out = RawImage.header(width: width, height: height, format: format, sampleType: 2)
        out.reserveCapacity(out.count + pixels.count * 4)
        pixels.withUnsafeBytes { out += $0 }  // x86-64 and arm64 are little-endian
        return out
    }
}
