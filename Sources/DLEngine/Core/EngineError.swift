import CheckedSize

/// An error from the engine: what was wrong, where, and what to do.
public struct EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Stable machine-readable category.
    public enum Code: String, Sendable {
        case invalidLayer, missingSource, duplicateName, cycle, shapeMismatch, noOutput
        case invalidArgument, backend, weightsMismatch, weightsFormat, cancelled
        /// A size from outside (a shape, a count, an offset) overflowed or passed a fixed limit.
        case tooLarge
        /// An allocation failed.
        case outOfMemory
        /// The machine lacks what the request needs (an instruction set).
        case unsupported
        /// Training's loss stopped being a number (NaN or infinite): the weights blew up.
        case diverged
    }

    public let code: Code
    /// Human-readable explanation naming the layer or parameter concerned.
    public let message: String
    /// The layer concerned, when there is one.
    public let layer: String?

    /// The size problem behind a `.tooLarge` error, when there is one.
    public let size: SizeError?

    public init(_ code: Code, _ message: String, layer: String? = nil) {
        self.code = code
        self.message = message
        self.layer = layer
        self.size = nil
    }

    /// A `.tooLarge` error for a size that could not be accepted (`prefix` says where it came from).
    public init(size: SizeError, _ prefix: String = "", layer: String? = nil) {
        self.code = .tooLarge
        self.message = prefix + size.description
        self.layer = layer
        self.size = size
    }

    public var description: String {
        if let layer { return "\(code.rawValue) (layer '\(layer)'): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
