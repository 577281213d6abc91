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

    /// A float image mapped to 0...255 by its own min/max, for display (fetchImages, the mean image).
    static func displayable(_ f: FloatImage) -> Image {
        let lo = f.pixels.min() ?? 0, hi = f.pixels.max() ?? 0
        let scale: Float = hi > lo ? 255 / (hi - lo) : 0
        let px = f.pixels.map { v -> UInt8 in let x = ((v - lo) * scale + 0.5).rounded(.down); return x >= 255 ? 255 : (x > 0 ? UInt8(x) : 0) }
        // the sizes come from a valid FloatImage, so this cannot fail
        return (try? Image(width: f.width, height: f.height, format: f.format, pixels: px)) ?? f.toImage()
    }
}
