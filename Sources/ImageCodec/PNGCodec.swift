import CPNG

/// libpng's simplified API (`png_image_*`): no setjmp needed, errors come back in `message`.
enum PNGCodec {
    static func newImage() -> png_image {
        var img = png_image()
        img.version = UInt32(PNG_IMAGE_VERSION)
        return img
    }

    static func libpngMessage(_ img: png_image) -> String {
        withUnsafeBytes(of: img.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// A `png_image` at a stable heap address. libpng stores the struct's address inside its read
    /// state (error and I/O pointers), so the struct must not move between `begin_read` and
    /// `finish_read` — a Swift `var` returned by value or captured by a closure can. (This crashed.)
    final class Reader {
        let img: UnsafeMutablePointer<png_image>

        /// Reads the header; throws `.corrupt` with libpng's message.
        init(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) {
            img = .allocate(capacity: 1)
            img.initialize(to: newImage())
            // A class init that throws after its properties are set still runs deinit, which
            // frees and deallocates: do not free here too.
            if png_image_begin_read_from_memory(img, bytes.baseAddress, bytes.count) == 0 {
                throw ImageCodecError(
                    .corrupt, "cannot read PNG header; the file is corrupt or truncated",
                    cause: libpngMessage(img.pointee))
            }
        }

        deinit {
            png_image_free(img)  // no-op after a finish_read, which frees on success and failure
            img.deallocate()
        }
    }

    /// The 8-bit output format for a file format: keep gray/color and alpha, drop linear/colormap.
    static func nativeFormat(_ fileFormat: UInt32) -> PixelFormat {
        let alpha = fileFormat & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let color = fileFormat & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        switch (color, alpha) {
        case (false, false): return .gray
        case (false, true): return .grayAlpha
        case (true, false): return .rgb
        case (true, true): return .rgba
        }
    }

    static func pngFormatFlags(_ f: PixelFormat) -> UInt32 {
        // The PNG_FORMAT_* composites are macros Swift does not import; build them from the flags.
        let alpha = UInt32(PNG_FORMAT_FLAG_ALPHA), color = UInt32(PNG_FORMAT_FLAG_COLOR)
        let bgr = UInt32(PNG_FORMAT_FLAG_BGR)
        switch f {
        case .gray: return 0
        case .grayAlpha: return alpha
        case .rgb: return color
        case .rgba: return color | alpha
        case .bgr: return color | bgr
        case .bgra: return color | bgr | alpha
        }
    }

    /// IHDR bytes 24 (bit depth), 25 (color type), 28 (interlace) — valid once `begin` succeeded.
    static func ihdr(_ bytes: UnsafeRawBufferPointer) -> (depth: Int, colorType: Int, interlaced: Bool) {
        guard bytes.count >= 29 else { return (8, 0, false) }
        return (Int(bytes[24]), Int(bytes[25]), bytes[28] != 0)
    }

    static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> ImageInfo {
        let reader = try Reader(bytes)
        let img = reader.img.pointee  // a copy of the header fields; reader may go away now
        let h = ihdr(bytes)
        return ImageInfo(
            format: .png, width: Int(img.width), height: Int(img.height),
            nativeFormat: nativeFormat(img.format), bitDepth: h.depth,
            isPalette: h.colorType == 3, isInterlacedOrProgressive: h.interlaced)
    }

    /// Decodes to the file's own 8-bit format; with `target` (the format the caller will convert
    /// to), RGB files ask libpng for BGR directly, saving a conversion pass (other combinations
    /// are decoded natively and left to `Image.converted(to:)`, whose alpha and gray rules differ
    /// from libpng's compositing).
    static func decode(_ bytes: UnsafeRawBufferPointer, target: PixelFormat? = nil, options: DecodeOptions) throws(ImageCodecError) -> Image {
        let reader = try Reader(bytes)
        defer { withExtendedLifetime(reader) {} }  // ARC may otherwise free it after `reader.img`
        let img = reader.img
        let width = Int(img.pointee.width), height = Int(img.pointee.height)
        try ImageCodec.checkSize(width, height, options)
        var format = nativeFormat(img.pointee.format)
        if format == .rgb, target == .bgr { format = .bgr }
        // 16-bit files without gAMA/sRGB: treat samples as sRGB-encoded, so 16→8 is a plain
        // rescale (v8 = round(v16 / 257)), not a linear→sRGB gamma curve (docs/images.md).
        img.pointee.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        img.pointee.format = pngFormatFlags(format)
        return try Image.make(width, height, format) { (out) throws(ImageCodecError) in
            // background = nil: the output keeps the file's alpha, so nothing is composited.
            if png_image_finish_read(img, nil, out.baseAddress, 0, nil) == 0 {
                throw ImageCodecError(
                    .corrupt, "cannot decode PNG pixel data; the file is corrupt or truncated",
                    cause: libpngMessage(img.pointee))
            }
        }
    }

    /// Encodes 8-bit gray, gray+alpha, RGB(A) or BGR(A) to a PNG in memory.
    static func encode(_ image: Image, fast: Bool) throws(ImageCodecError) -> [UInt8] {
        var img = newImage()
        img.width = UInt32(image.width)
        img.height = UInt32(image.height)
        img.format = pngFormatFlags(image.format)
        if fast { img.flags |= UInt32(PNG_IMAGE_FLAG_FAST) }
        return try withBytes(image.pixels) { (src) throws(ImageCodecError) -> [UInt8] in
            var size: png_alloc_size_t = 0
            guard png_image_write_to_memory(&img, nil, &size, 0, src.baseAddress, 0, nil) != 0 else {
                throw ImageCodecError(.encodeFailed, "PNG encoding failed", cause: libpngMessage(img))
            }
            var written = size
            var failure: String?
            let out = [UInt8](unsafeUninitializedCapacity: Int(size)) { buf, n in
                if png_image_write_to_memory(&img, buf.baseAddress, &written, 0, src.baseAddress, 0, nil) == 0 {
                    failure = libpngMessage(img)
                    written = 0
                }
                n = Int(written)
            }
            if let failure { throw ImageCodecError(.encodeFailed, "PNG encoding failed", cause: failure) }
            return out
        }
    }
}
