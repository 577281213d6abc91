import CASWire

/// How to read a CSV file (RFC 4180 plus the usual extensions). Defaults match `table.loadTable`.
public struct CSVOptions: Sendable {
    /// Field separator byte (`,` by default; `;`, tab and `|` are common).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Whether the first record holds the column names. When false, columns are named Var1, Var2, ….
    public var getNames: Bool = true
    /// Per-column type, name, label and format overrides.
    public var columnOverrides: [CSVColumnOverride] = []
    /// How many data rows decide a column's type; nil means all rows. After that many rows a column that looked
    /// numeric stays numeric, and a later non-numeric cell is an error naming its line.
    public var guessRows: Int? = nil
    /// How often (in rows) the checkpoint callback runs.
    public var checkpointInterval: Int = 65_536

    /// Options with the given values; every parameter has the `loadTable` default.
    public init(
        delimiter: UInt8 = UInt8(ascii: ","), getNames: Bool = true, columnOverrides: [CSVColumnOverride] = [],
        guessRows: Int? = nil, checkpointInterval: Int = 65_536
    ) {
        self.delimiter = delimiter
        self.getNames = getNames
        self.columnOverrides = columnOverrides
        self.guessRows = guessRows
        self.checkpointInterval = checkpointInterval
    }
}

/// Overrides for one column, chosen by `name` (case-insensitive, as in the header or Var*n*) or by
/// 0-based `index`. Unset fields keep what the reader would have chosen.
///
/// ```swift
/// CSVColumnOverride(name: "zip", type: .varchar)            // keep leading zeros
/// CSVColumnOverride(index: 0, rename: "id", type: .int64)
/// ```
public struct CSVColumnOverride: Sendable, Equatable {
    /// The column's name in the header (or `Var1`… without one), compared case-insensitively.
    public var name: String?
    /// The column's 0-based position, used when `name` is nil.
    public var index: Int?
    /// double, int64, int32, varchar, or varbinary (cells hold base64 text).
    public var type: ColumnType?
    /// The name the column gets in the table.
    public var rename: String?
    /// The column label.
    public var label: String?
    /// The SAS format name stored with the column (e.g. `DOLLAR12.2`); not applied while reading.
    public var format: String?
    /// A character column's length (CAS's `importOptions.vars[i].length`): longer values are cut to this many
    /// characters. Ignored for numeric columns (SAS's numeric lengths are storage sizes).
    public var length: Int?

    /// An override; set `name` or `index` and any of the rest.
    public init(
        name: String? = nil, index: Int? = nil, rename: String? = nil, type: ColumnType? = nil, label: String? = nil,
        format: String? = nil, length: Int? = nil
    ) {
        self.length = length
        self.name = name
        self.index = index
        self.type = type
        self.rename = rename
        self.label = label
        self.format = format
    }
}

/// A malformed CSV file or a cell that does not fit its column's type. `line` is the 1-based physical line
/// where the offending record starts (nil when the problem is not tied to a line, e.g. a bad override).
public struct CSVError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What was wrong and how to fix it.
    public var message: String
    /// 1-based line where the offending record starts.
    public var line: Int?

    /// An error, optionally tied to a line.
    public init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }

    /// `"line <n>: <message>"`, or the message alone.
    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}
