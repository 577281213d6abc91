/// A storage failure with a message that says what happened and what to do.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case open, corrupt, io, notFound, exists, invalid, auth, newerFormat }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}
