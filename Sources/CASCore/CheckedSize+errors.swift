@_exported import CheckedSize

extension ActionError {
    /// A number that cannot become a size, as an Error disposition naming the parameter.
    public init(_ e: SizeError, parameter: String) {
        self.init(.parameterRange, "Parameter '\(parameter)': \(e.description).", parameter: parameter, cause: e)
    }
}

extension Checked {
    /// Runs `body`, turning a `SizeError` into an `ActionError` that names `parameter`.
    public static func parameter<T>(_ parameter: String, _ body: () throws(SizeError) -> T) throws(ActionError) -> T {
        do { return try body() } catch { throw ActionError(error, parameter: parameter) }
    }
}
