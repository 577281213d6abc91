/// Encoded file formats this library reads and writes.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    /// Portable Network Graphics.
    case png
    /// JPEG / JFIF (baseline or progressive).
    case jpeg
    /// caslite raw pixels (``RawImage``): the stored format of processed images.
    case raw

    /// The MIME type (for `_image_` column attributes and HTTP).
    public var mimeType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .raw: "application/x-caslite-raw-image"
        }
    }

    /// The usual file extension, without a dot.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .raw: "clri"
        }
    }

    /// Identifies the format from the first bytes (magic numbers), or nil.
    ///
    /// PNG: `89 50 4E 47 0D 0A 1A 0A`. JPEG: `FF D8 FF`. Raw: `43 4C 52 49` ("CLRI").
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, zip(bytes.prefix(8), png).allSatisfy({ $0 == $1 }) { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 4, bytes.prefix(4).elementsEqual(RawImage.magic) { return .raw }
        return nil
    }

    /// ``sniff(_:)`` on an array.
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        bytes.withUnsafeBytes { sniff($0) }
    }
}

/// What a header-only ``ImageCodec/probe(_:)`` learns, without decoding pixel data.
public struct ImageInfo: Sendable, Equatable {
    /// The encoded format.
    public var format: ImageFormat
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The pixel format ``ImageCodec/decode(_:as:options:)`` returns for `.native`.
    public var nativeFormat: PixelFormat
    /// Bits per sample in the file (PNG: 1, 2, 4, 8, 16; JPEG: 8).
    public var bitDepth: Int
    /// True for a PNG palette (color type 3) image.
    public var isPalette: Bool
    /// JPEG progressive (SOF2) or PNG Adam7 interlaced.
    public var isInterlacedOrProgressive: Bool

    /// Channels of ``nativeFormat``.
    public var channels: Int { nativeFormat.channels }
}
