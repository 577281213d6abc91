import CASWire

/// An in-memory CAS table: an immutable snapshot of columns plus catalog metadata.
/// Replacing a table swaps the whole value, so readers never see a half-written table.
public struct CASTable: Sendable {
    public var data: DataTable
    /// Canonical caslib name, e.g. `CASUSER(alice)`.
    public var caslib: String
    public var created: Double
    public var modified: Double
    public var creator: String
    public var sourceName: String
    public var sourceCaslib: String
    public var isGlobal: Bool
    /// The identity of a global table (access controls are bound to it); empty for session tables.
    public var objectId: String = ""
    /// A distributed table's rows on the workers (`caslite serve --mpi`); `data` then holds its metadata and no rows.
    /// Nil: the rows are in `data`.
    public var parts: TableParts? = nil

    public init(data: DataTable, caslib: String, creator: String, sourceName: String = "", sourceCaslib: String = "") {
        self.data = data
        self.caslib = caslib
        self.created = ServerClock.now
        self.modified = created
        self.creator = creator
        self.sourceName = sourceName
        self.sourceCaslib = sourceCaslib
        self.isGlobal = false
    }

    public var name: String { data.name }
}

/// Key of a table in a catalog: caslib and name, both case-insensitive.
public struct TableKey: Hashable, Sendable {
    public let caslib: String
    public let name: String
    public init(caslib: String, name: String) {
        self.caslib = caslib.uppercased()
        self.name = name.uppercased()
    }
}

