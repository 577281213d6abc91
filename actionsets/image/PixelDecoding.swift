import ImageCodec

/// How the image actions turn a stored cell into pixels ("decode on read").
///
/// Encoded files (PNG, JPEG) decode the way OpenCV's `imread(IMREAD_COLOR)` does, which CAS uses:
/// 3-channel **BGR** (gray is replicated, alpha dropped), so `mean1stChannel` is blue and Caffe
/// BGR offsets apply unchanged. CLRI raw cells keep their stored format (they were decoded once
/// already); float32 raw cells are refused (they are final, normalized model input).
enum PixelDecoding {
    static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> Image {
        if HUVolume.isVolume(bytes) {
            throw ImageCodecError(.unsupported, "a 3-D image (DICOM series) must be cut and windowed first: processImages with SLICE and WINDOW steps")
        }
        if ImageFormat.sniff(bytes) == .raw {
            switch try RawImage.decode(bytes) {
            case .uint8(let img): return img
            case .float32: throw ImageCodecError(.unsupported, "float32 pixels (mean/std normalized) cannot be processed further")
            case .int16:
                throw ImageCodecError(.unsupported, "Hounsfield units (a DICOM image) must be windowed first: processImages with a WINDOW step")
            }
        }
        return try ImageCodec.decode(bytes, as: .bgr)
    }

    /// A cell as the start of a processImages pipeline: Hounsfield units stay HU (for WINDOW), the rest
    /// decodes as ``decode(_:)``.
    static func stepInput(_ bytes: [UInt8]) throws(ImageCodecError) -> ImageStep.Input {
        if HUVolume.isVolume(bytes) { return .volume(try HUVolume.decode(bytes)) }
        if ImageFormat.sniff(bytes) == .raw, case .int16(let hu) = try RawImage.decode(bytes) { return .hu(hu) }
        return .uint8(try decode(bytes))
    }

    /// The cell type word for `_type_` and summarizeImages counts: png, jpg, clri, or unknown.
    static func typeName(_ bytes: [UInt8]) -> String {
        HUVolume.isVolume(bytes) ? "clrv" : ImageFormat.sniff(bytes)?.fileExtension ?? "unknown"
    }
}
