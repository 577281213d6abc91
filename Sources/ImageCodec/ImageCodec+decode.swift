import CheckedSize

/// Options for ``ImageCodec/decode(_:as:options:)``.
public struct DecodeOptions: Sendable, Equatable {
    /// When true (default), a JPEG that libjpeg can only partly decode (a truncated file,
    /// "Premature end of JPEG file", bad Huffman data) is an error instead of a gray-padded image.
    public var strict: Bool = true
    /// Refuse images with more pixels than this (decompression-bomb guard). Default and ceiling:
    /// `Limits.maxImagePixels`; each side is at most `Limits.maxImageSide` whatever this says.
    public var maxPixels: Int = Limits.maxImagePixels
    /// JPEG only: decode at 1/n size with libjpeg's DCT scaling (n = 1, 2, 4, 8); output size is
    /// `ceil(size / n)`. Much faster when the next step downsizes anyway. PNG ignores it.
    public var jpegScaleDenominator: Int = 1

    /// The largest JPEG DCT scale (1, 2, 4, 8) whose output is still at least `width × height`
    /// for a `sourceWidth × sourceHeight` file — use it when the next step resizes down to that
    /// size anyway (e.g. probe, then decode 512×512 at 1/2 for a 224×224 RESIZE).
    public static func jpegScaleDenominator(
        sourceWidth: Int, sourceHeight: Int, atLeastWidth width: Int, height: Int
    ) -> Int {
        for n in [8, 4, 2] where (sourceWidth + n - 1) / n >= width && (sourceHeight + n - 1) / n >= height {
            return n
        }
        return 1
    }

    /// Default options: strict, no scaling.
    public init(strict: Bool = true, maxPixels: Int = Limits.maxImagePixels, jpegScaleDenominator: Int = 1) {
        self.strict = strict
        self.maxPixels = maxPixels
        self.jpegScaleDenominator = jpegScaleDenominator
    }
}

extension ImageCodec {
    /// Decodes a PNG, JPEG or uint8 raw blob (sniffed by magic bytes) to 8-bit pixels.
    ///
    /// - Parameters:
    ///   - bytes: the whole encoded file.
    ///   - format: the pixel format wanted, or nil for the file's own
    ///     (``ImageInfo/nativeFormat``: gray, gray+alpha, RGB or RGBA; palette PNGs become RGB or,
    ///     with a tRNS chunk, RGBA). Conversions follow ``Image/converted(to:)``: alpha is dropped
    ///     (not composited), color→gray uses ITU-R 601 weights, gray→color replicates.
    /// - Throws: ``ImageCodecError`` with `.empty`, `.unknownFormat`, `.corrupt`, `.unsupported`
    ///   or `.invalidArgument` — never traps on bad input.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, as format: PixelFormat? = nil, options: DecodeOptions = .init()
    ) throws(ImageCodecError) -> Image {
        let image: Image
        let encoded = try sniffOrThrow(bytes)
        switch encoded {
        case .png: image = try PNGCodec.decode(bytes, target: format, options: options)
        case .jpeg: image = try JPEGCodec.decode(bytes, as: format, options: options)
        case .raw:
            switch try RawImage.decode(bytes) {
            case .uint8(let u8): image = u8
            case .float32:
                throw ImageCodecError(.unsupported, "this raw image holds float32 samples; read it with RawImage.decode instead")
            case .int16:
                throw ImageCodecError(.unsupported, "this raw image holds Hounsfield units (int16, from a DICOM file); window it first (processImages step WINDOW)")
            }
        }
        guard let format, format != image.format else { return image }
        return image.converted(to: format)
    }

    /// ``decode(_:as:options:)`` on an array.
    public static func decode(
        _ bytes: [UInt8], as format: PixelFormat? = nil, options: DecodeOptions = .init()
    ) throws(ImageCodecError) -> Image {
        try withBytes(bytes) { (p) throws(ImageCodecError) -> Image in
            try decode(p, as: format, options: options)
        }
    }

    /// Reads only the header: size, channels, format. Cheap (no pixel data is decoded), but it
    /// does validate the header, so a file that probes fine may still fail to decode.
    public static func probe(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> ImageInfo {
        let format = try sniffOrThrow(bytes)
        switch format {
        case .png: return try PNGCodec.probe(bytes)
        case .jpeg: return try JPEGCodec.probe(bytes)
        case .raw:
            let r = try RawImage.probe(bytes)
            return ImageInfo(
                format: .raw, width: r.width, height: r.height, nativeFormat: r.format,
                bitDepth: [1: 8, 2: 32, 3: 16, 4: 16][r.sampleType] ?? 8, isPalette: false, isInterlacedOrProgressive: false)
        }
    }

    /// Bytes of pixel memory ``decode(_:as:options:)`` would allocate for this file (read from the
    /// header only), or the error it would throw for a header over the caps: lets a server charge a
    /// decode to a memory budget first.
    public static func decodedByteCount(
        _ bytes: [UInt8], as format: PixelFormat? = nil, options: DecodeOptions = .init()
    ) throws(ImageCodecError) -> Int {
        let info = try probe(bytes)
        try checkSize(info.width, info.height, options)
        let denom = info.format == .jpeg ? max(options.jpegScaleDenominator, 1) : 1
        let (w, h) = ((info.width + denom - 1) / denom, (info.height + denom - 1) / denom)
        return try Image.byteCount(width: w, height: h, format: format ?? info.nativeFormat) * (info.format == .raw && info.bitDepth == 32 ? 4 : 1)
    }

    /// ``probe(_:)`` on an array.
    public static func probe(_ bytes: [UInt8]) throws(ImageCodecError) -> ImageInfo {
        try withBytes(bytes) { (p) throws(ImageCodecError) -> ImageInfo in try probe(p) }
    }

    static func sniffOrThrow(_ bytes: UnsafeRawBufferPointer) throws(ImageCodecError) -> ImageFormat {
        if bytes.isEmpty {
            throw ImageCodecError(.empty, "the image is empty (0 bytes); check that the file was read completely")
        }
        guard let format = ImageFormat.sniff(bytes) else {
            let head = bytes.prefix(4).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            throw ImageCodecError(
                .unknownFormat,
                "not a PNG or JPEG file (first bytes: \(head)); only PNG, JPEG and caslite raw images are supported")
        }
        return format
    }

    /// The header's size against the caps, before any pixel memory is allocated.
    static func checkSize(_ w: Int, _ h: Int, _ options: DecodeOptions) throws(ImageCodecError) {
        guard w > 0, h > 0 else { throw ImageCodecError(.corrupt, "image header has size \(w)×\(h)") }
        guard w <= Limits.maxImageSide, h <= Limits.maxImageSide, w * h <= min(options.maxPixels, Limits.maxImagePixels) else {
            throw ImageCodecError(
                .unsupported,
                "image is \(w)×\(h) pixels; at most \(Limits.maxImageSide) per side and \(min(options.maxPixels, Limits.maxImagePixels)) pixels are decoded")
        }
    }
}
