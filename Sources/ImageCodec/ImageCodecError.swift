/// Every failure in ImageCodec: a code, a message saying what was wrong and what to do, and the
/// underlying library's text when there is one.
public struct ImageCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable, Equatable {
        /// Zero bytes of input.
        case empty
        /// The bytes are not PNG or JPEG (magic bytes unknown).
        case unknownFormat
        /// A PNG/JPEG whose data is corrupt or truncated.
        case corrupt
        /// A valid file using a feature this library does not decode.
        case unsupported
        /// A caller argument out of range (size, rectangle, channel count, …).
        case invalidArgument
        /// Encoding failed inside libpng/libjpeg.
        case encodeFailed
        /// A step would make an image beyond the image limits (`Limits.maxImageSide`, `maxImagePixels`).
        case tooLarge
    }

    /// What kind of failure.
    public var code: Code
    /// A sentence for the user: what was wrong, and what to do.
    public var message: String
    /// The codec library's own message (libpng / libjpeg), if any.
    public var cause: String?

    /// Makes an error.
    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// `message (cause)`, for logs and CAS messages.
    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }

    static func invalid(_ message: String) -> ImageCodecError { .init(.invalidArgument, message) }
}

/// Converts a NUL-terminated C buffer to a String without the deprecated `String(cString: [CChar])`.
func cMessage(_ buffer: [CChar]) -> String {
    buffer.withUnsafeBufferPointer { p in String(cString: p.baseAddress!) }
}

/// `withUnsafeBytes` keeping the typed error (the stdlib overload is `rethrows`, which erases it).
func withBytes<R>(
    _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ImageCodecError) -> R
) throws(ImageCodecError) -> R {
    var result: Result<R, ImageCodecError>?
    array.withUnsafeBytes { p in
        result = Result { () throws(ImageCodecError) -> R in try body(p) }
    }
    return try result!.get()
}
