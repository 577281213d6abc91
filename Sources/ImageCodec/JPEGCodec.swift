import CJPEGShim

/// libjpeg-turbo through the C shim (Sources/CJPEGShim): libjpeg errors longjmp, which Swift cannot.
enum JPEGCodec {
    static let errLen = 256

    static func layout(_ f: PixelFormat) -> jpegshim_layout {
        switch f {
        case .gray, .grayAlpha: JPEGSHIM_GRAY
        case .rgb: JPEGSHIM_RGB
        case .rgba: JPEGSHIM_RGBA
        case .bgr: JPEGSHIM_BGR
        case .bgra: JPEGSHIM_BGRA
        }
    }

    static func rawProbe(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> jpegshim_info {
        var info = jpegshim_info()
        var err = [CChar](repeating: 0, count: errLen)
        let rc = jpegshim_probe(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, &info, &err, errLen)
        guard rc == 0 else {
            throw ImageCodecError(.corrupt, "cannot read JPEG header; the file is corrupt or truncated", cause: cMessage(err))
        }
        return info
    }

    static func nativeFormat(_ info: jpegshim_info) -> PixelFormat { info.components == 1 ? .gray : .rgb }

    static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> ImageInfo {
        let info = try rawProbe(bytes)
        return ImageInfo(
            format: .jpeg, width: Int(info.width), height: Int(info.height), nativeFormat: nativeFormat(info),
            bitDepth: 8, isPalette: false, isInterlacedOrProgressive: info.progressive != 0)
    }

    /// Decodes straight into the requested layout when libjpeg can produce it as a pure channel
    /// permutation of its RGB output (RGB, BGR, RGBA, BGRA); gray files decode to gray, then convert.
    static func decode(
        _ bytes: UnsafeRawBufferPointer, as requested: PixelFormat?, options: DecodeOptions
    ) throws(ImageCodecError) -> Image {
        let info = try rawProbe(bytes)
        try ImageCodec.checkSize(Int(info.width), Int(info.height), options)
        let denom = options.jpegScaleDenominator
        guard [1, 2, 4, 8].contains(denom) else {
            throw .invalid("jpegScaleDenominator must be 1, 2, 4 or 8, got \(denom)")
        }
        let native = nativeFormat(info)
        let format: PixelFormat =
            if native == .rgb, let requested, [.rgb, .bgr, .rgba, .bgra].contains(requested) {
                requested
            } else { native }
        let w = (Int(info.width) + denom - 1) / denom
        let h = (Int(info.height) + denom - 1) / denom
        return try Image.make(w, h, format) { (out) throws(ImageCodecError) in
            var err = [CChar](repeating: 0, count: errLen)
            var ow: Int32 = 0
            var oh: Int32 = 0
            let rc = jpegshim_decode(
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                Int32(layout(format).rawValue), Int32(denom), options.strict ? 1 : 0,
                out.baseAddress, out.count, &ow, &oh, &err, errLen)
            guard rc == 0 else {
                throw ImageCodecError(.corrupt, "cannot decode JPEG data; the file is corrupt or truncated", cause: cMessage(err))
            }
        }
    }

    static func encode(_ image: Image, quality: Int, progressive: Bool) throws(ImageCodecError) -> [UInt8] {
        // JPEG has no alpha: drop it (gray+alpha → gray; RGBA/BGRA are read by libjpeg as 4-byte pixels).
        let src = image.format == .grayAlpha ? image.converted(to: .gray) : image
        return try encode(
            samples: src.pixels, width: src.width, height: src.height, layout: layout(src.format),
            quality: quality, progressive: progressive)
    }

    /// Encodes interleaved samples in a shim layout (tests use `JPEGSHIM_CMYK` to build CMYK files).
    static func encode(
        samples: [UInt8], width: Int, height: Int, layout: jpegshim_layout, quality: Int, progressive: Bool
    ) throws(ImageCodecError) -> [UInt8] {
        guard (1...100).contains(quality) else { throw .invalid("JPEG quality must be 1...100, got \(quality)") }
        guard width <= 65500, height <= 65500 else {
            throw .invalid("JPEG cannot store \(width)×\(height): at most 65500 pixels per side")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var outLen: UInt = 0
        var err = [CChar](repeating: 0, count: errLen)
        let rc = samples.withUnsafeBufferPointer { p in
            jpegshim_encode(
                p.baseAddress, Int32(width), Int32(height), Int32(layout.rawValue),
                Int32(quality), progressive ? 1 : 0, &out, &outLen, &err, errLen)
        }
        guard rc == 0, let out else {
            throw ImageCodecError(.encodeFailed, "JPEG encoding failed", cause: cMessage(err))
        }
        defer { jpegshim_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(outLen)))
    }
}

extension ImageCodec {
    /// Encodes to PNG (8-bit; gray, gray+alpha, RGB, RGBA; BGR(A) are written as RGB(A)).
    /// `fast` trades file size for speed (libpng `PNG_IMAGE_FLAG_FAST`).
    public static func encodePNG(_ image: Image, fast: Bool = false) throws(ImageCodecError) -> [UInt8] {
        try PNGCodec.encode(image, fast: fast)
    }

    /// Encodes to baseline (or progressive) JPEG with `quality` 1...100 (libjpeg scale; 75 is
    /// libjpeg's default, 90 a good archive value). Alpha is dropped; 4:2:0 chroma subsampling.
    public static func encodeJPEG(
        _ image: Image, quality: Int = 90, progressive: Bool = false
    ) throws(ImageCodecError) -> [UInt8] {
        try JPEGCodec.encode(image, quality: quality, progressive: progressive)
    }

    /// Encodes in `format` with default settings.
    public static func encode(_ image: Image, as format: ImageFormat) throws(ImageCodecError) -> [UInt8] {
        switch format {
        case .png: try encodePNG(image)
        case .jpeg: try encodeJPEG(image)
        case .raw: image.rawBytes()
        }
    }
}
