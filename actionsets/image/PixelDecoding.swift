import ImageCodec

/// How the image actions turn a stored cell into pixels ("decode on read").
///
/// Encoded files (PNG, JPEG) decode the way OpenCV's `imread(IMREAD_COLOR)` does, which CAS uses:
/// 3-channel **BGR** (gray is replicated, alpha dropped), so `mean1stChannel` is blue and Caffe
/// BGR offsets apply unchanged. CLRI raw cells keep their stored format (they were decoded once
/// already); float32 raw cells are refused (they are final, normalized model input).
enum PixelDecoding {
    static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> Image {
        if ImageFormat.sniff(bytes) == .raw {
            guard case .uint8(let img) = try RawImage.decode(bytes) else {
                throw ImageCodecError(.unsupported, "float32 pixels (mean/std normalized) cannot be processed further")
            }
            return img
        }
        return try ImageCodec.decode(bytes, as: .bgr)
    }

    /// The cell type word for `_type_` and summarizeImages counts: png, jpg, clri, or unknown.
    static func typeName(_ bytes: [UInt8]) -> String {
        ImageFormat.sniff(bytes)?.fileExtension ?? "unknown"
    }
}
