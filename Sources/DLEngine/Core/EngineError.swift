/// An error from the engine: what was wrong, where, and what to do.
public struct EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Stable machine-readable category.
    public enum Code: String, Sendable {
        case invalidLayer, missingSource, duplicateName, cycle, shapeMismatch, noOutput
        case invalidArgument, backend, weightsMismatch, weightsFormat, cancelled
    }

    public let code: Code
    /// Human-readable explanation naming the layer or parameter concerned.
    public let message: String
    /// The layer concerned, when there is one.
    public let layer: String?

    public init(_ code: Code, _ message: String, layer: String? = nil) {
        self.code = code
        self.message = message
        self.layer = layer
    }

    public var description: String {
        if let layer { return "\(code.rawValue) (layer '\(layer)'): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
