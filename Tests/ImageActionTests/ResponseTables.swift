import CASClient
import CASWire

extension Response {
    /// A result table by key.
    func table(_ key: String) -> DataTable? { results[key]?.tableValue }
}
