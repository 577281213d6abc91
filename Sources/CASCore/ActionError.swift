import CASWire

/// An error raised by an action or by parameter validation. It becomes an Error disposition in
/// exactly one place (`Dispatcher`); the connection, session and server stay up.
public struct ActionError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in families that map to CAS-style status codes.
    public enum Code: Int64, Sendable {
        case parameterUnknown = 2_720_001
        case parameterType = 2_720_002
        case parameterMissing = 2_720_003
        case parameterRange = 2_720_004
        case parameterValue = 2_720_005
        case parameterDuplicate = 2_720_006
        case actionUnknown = 2_710_001
        case actionSetNotLoaded = 2_710_002
        case notFound = 2_730_001
        case alreadyExists = 2_730_002
        case badInput = 2_730_003
        case accessDenied = 2_740_001
        case cancelled = 2_750_001
        case internalError = 2_790_001
    }

    public var code: Code
    /// What was wrong and what to do instead.
    public var message: String
    /// Dotted path of the parameter at fault (`casOut.name`), when one is.
    public var parameter: String?
    /// Further ERROR lines (e.g. "Expecting one of the following: …").
    public var details: [String]
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// `message`, `parameter` and `details` are cut to ``maxMessage`` / ``maxParameter`` characters: they
    /// may quote what a client sent (a 100 KB parameter name), and errors are logged and sent back.
    public init(_ code: Code, _ message: String, parameter: String? = nil, details: [String] = [], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = Self.bounded(message, Self.maxMessage)
        self.parameter = parameter.map { Self.bounded($0, Self.maxParameter) }
        self.details = details.map { Self.bounded($0, Self.maxMessage) }
        self.cause = cause
    }

    /// Longest message or detail line, in characters (Unicode scalars).
    public static let maxMessage = 2_000
    /// Longest parameter path.
    public static let maxParameter = 300

    static func bounded(_ s: String, _ limit: Int) -> String {
        guard s.utf8.count > limit else { return s }
        let n = s.unicodeScalars.count
        guard n > limit else { return s }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s.unicodeScalars.prefix(limit))
        return String(out) + "…(cut: \(n) characters)"
    }

    public var description: String { ([message] + details).joined(separator: " ") }

    /// The message as clients see it: it always names the parameter at fault, appending
    /// "(parameter X)" when the message does not mention it already.
    public var text: String {
        guard let p = parameter, !p.isEmpty, !message.contains(p) else { return message }
        return "\(message) (parameter \(p))"
    }

    /// CAS's `reason` word for this family.
    public var reason: String {
        switch code {
        case .parameterUnknown, .parameterType, .parameterMissing, .parameterRange, .parameterValue, .parameterDuplicate: "badParameters"
        case .actionUnknown, .actionSetNotLoaded: "unknownAction"
        case .notFound: "notFound"
        case .alreadyExists: "alreadyExists"
        case .badInput: "badInput"
        case .accessDenied: "accessDenied"
        case .cancelled: "abort"
        case .internalError: "internalError"
        }
    }

    public static func notFound(_ message: String, parameter: String? = nil) -> ActionError {
        ActionError(.notFound, message, parameter: parameter)
    }
    public static func badInput(_ message: String, parameter: String? = nil) -> ActionError {
        ActionError(.badInput, message, parameter: parameter)
    }
    /// "Column 'x' does not exist in table T. Did you mean 'y'?" — the one wording for a missing column.
    public static func missingColumn(_ name: String, in table: DataTable, parameter: String) -> ActionError {
        let msg = NearMiss.doesNotExist("Column", name, in: "table \(table.name)", among: table.columns.map(\.name))
        return ActionError(.notFound, msg, parameter: parameter)
    }

    public static let cancelled = ActionError(.cancelled, "The action was cancelled by the client.")
}
