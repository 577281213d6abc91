import CASWire

/// Reads CSV bytes into a typed ``DataTable`` (for `table.loadTable` and `table.upload`).
///
/// - Records: RFC 4180 quoting (`"a,b"`, `"say ""hi"""`, embedded line breaks), CRLF/LF/CR line ends,
///   a leading UTF-8 BOM is skipped, blank lines are skipped (except in a one-column file, where a blank line
///   is a missing cell, so that ``CSVWriter`` output round-trips).
/// - Cells: an unquoted empty cell is missing; `""` is an empty string (missing for numeric columns).
///   Short rows get missing cells; a row with more non-empty fields than columns is an error.
/// - Types: a column whose non-empty cells all parse as decimal numbers is `double`, otherwise `varchar`;
///   ``CSVOptions/columnOverrides`` can force double, int64, int32, varchar or varbinary (base64) and rename,
///   label or format columns.
///
/// ```swift
/// let table = try CSVReader.read(bytes, name: "IRIS", options: CSVOptions(), checkpoint: { rows, bytes in
///     try context.checkCancellation()          // throw to abort a large load
///     context.progress(rows: rows, bytes: bytes)
/// })
/// ```
public enum CSVReader {
    /// Parses `bytes` into a table called `name`.
    ///
    /// `checkpoint` is called with the number of data rows and of bytes read so far every ``CSVOptions/checkpointInterval``
    /// rows; whatever it throws aborts the read and is rethrown unchanged. (When a column turns out to be text
    /// late in the file, a short catch-up pass re-reads the rows before that point and calls `checkpoint` again
    /// with its own row count.) Other failures throw ``CSVError``.
    public static func read(
        _ bytes: [UInt8], name: String, options: CSVOptions = CSVOptions(), checkpoint: ((_ rows: Int, _ bytes: Int) throws -> Void)? = nil
    ) throws -> DataTable {
        try bytes.withUnsafeBufferPointer { p in
            var reader = Pass(p: p, options: options, checkpoint: checkpoint)
            return try reader.run(name: name)
        }
    }
}

extension CSVReader {
    /// The state of one read: the tokenizer, the column builders and the options.
    fileprivate struct Pass {
        let p: UnsafeBufferPointer<UInt8>
        let options: CSVOptions
        let checkpoint: ((_ rows: Int, _ bytes: Int) throws -> Void)?
        var fields: [CSVField] = []

        init(p: UnsafeBufferPointer<UInt8>, options: CSVOptions, checkpoint: ((_ rows: Int, _ bytes: Int) throws -> Void)?) {
            self.p = p
            self.options = options
            self.checkpoint = checkpoint
        }

        mutating func run(name: String) throws -> DataTable {
            let bom = p.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF
            var tokenizer = CSVTokenizer(p, delimiter: options.delimiter, offset: bom ? 3 : 0)
            guard let names = try columnNames(&tokenizer) else { return DataTable(name: name) }
            let overrides = try CSVReader.resolve(options.columnOverrides, names: names)
            var builders = names.indices.map { CSVColumnBuilder(name: names[$0], type: overrides[$0]?.type) }
            tokenizer.blankLineIsRecord = names.count == 1
            let dataStart = tokenizer
            let rows = try readRows(&tokenizer, into: &builders)
            try catchUp(from: dataStart, into: &builders)
            var columns: [Column] = []
            for (i, b) in builders.enumerated() {
                let o = overrides[i]
                var data = b.data
                if let n = o?.length, case .varchar(let cells) = data {
                    data = .varchar(cells.map { c in c.map { $0.count > n ? String($0.prefix(n)) : $0 } })
                }
                columns.append(Column(name: o?.rename ?? b.name, label: o?.label ?? "", format: o?.format ?? "", data: data))
            }
            try CSVReader.checkUnique(columns.map(\.name), what: "after renaming")
            assert(columns.allSatisfy { $0.data.count == rows })
            return DataTable(name: name, columns: columns)
        }

        /// Header names, or Var1…VarN from the width of the first record (which is then read again as data).
        /// nil for an input without any record.
        private mutating func columnNames(_ tokenizer: inout CSVTokenizer) throws -> [String]? {
            if !options.getNames {
                var peek = tokenizer
                guard try peek.next(into: &fields) != nil else { return nil }
                return (1...fields.count).map { "Var\($0)" }
            }
            guard try tokenizer.next(into: &fields) != nil else { return nil }
            var names: [String] = []
            var seen: Set<String> = []
            for (i, f) in fields.enumerated() {
                var name = CSVColumnBuilder.text(p, f).map(Self.stripBlanks) ?? ""
                if name.isEmpty { name = "Var\(i + 1)" }
                // Duplicate names get a suffix: x, x_2, x_3 (compared case-insensitively, as CAS does).
                var unique = name, k = 2
                while seen.contains(unique.lowercased()) {
                    unique = "\(name)_\(k)"
                    k += 1
                }
                seen.insert(unique.lowercased())
                names.append(unique)
            }
            return names
        }

        private static func stripBlanks(_ s: String) -> String {
            String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        }

        /// The main pass: every data record, cell by cell, into the builders. Returns the row count.
        private mutating func readRows(_ tokenizer: inout CSVTokenizer, into builders: inout [CSVColumnBuilder]) throws -> Int {
            let width = builders.count
            let interval = max(1, options.checkpointInterval)
            var row = 0
            while let line = try tokenizer.next(into: &fields) {
                if fields.count > width {
                    try checkExtraFields(line: line, width: width)
                }
                let n = min(fields.count, width)
                for c in 0..<n {
                    try builders[c].append(p, fields[c], row: row, line: line)
                }
                for c in n..<width { builders[c].appendMissing() }
                row += 1
                if row == options.guessRows {
                    for c in builders.indices { builders[c].settle() }
                }
                if row % interval == 0 { try checkpoint?(row, tokenizer.offset) }
            }
            return row
        }

        /// Extra fields are tolerated only when they are empty (a trailing delimiter); otherwise the row is too long.
        private func checkExtraFields(line: Int, width: Int) throws(CSVError) {
            for f in fields[width...] where f.start != f.end || f.quoted {
                let source = options.getNames ? "the header has" : "the first row has"
                throw CSVError(
                    "row has \(fields.count) fields but \(source) \(width) columns; quote fields that contain the delimiter",
                    line: line)
            }
        }

        /// Re-reads the first rows as text for columns that turned out to be text after those rows.
        private mutating func catchUp(from start: CSVTokenizer, into builders: inout [CSVColumnBuilder]) throws {
            let needy = builders.indices.filter { builders[$0].catchUpRows > 0 }
            guard let limit = needy.map({ builders[$0].catchUpRows }).max() else { return }
            var prefixes = [[String?]](repeating: [], count: needy.count)
            var tokenizer = start
            var row = 0
            let interval = max(1, options.checkpointInterval)
            while row < limit, try tokenizer.next(into: &fields) != nil {
                for (k, c) in needy.enumerated() where row < builders[c].catchUpRows {
                    prefixes[k].append(c < fields.count ? CSVColumnBuilder.text(p, fields[c]) : nil)
                }
                row += 1
                if row % interval == 0 { try checkpoint?(row, tokenizer.offset) }
            }
            for (k, c) in needy.enumerated() {
                builders[c].strings = prefixes[k] + builders[c].strings
                builders[c].catchUpRows = 0
            }
        }
    }

    /// Maps each override to its column index; unknown names, bad indexes and conflicts are errors.
    static func resolve(_ overrides: [CSVColumnOverride], names: [String]) throws(CSVError) -> [Int: CSVColumnOverride] {
        var byIndex: [Int: CSVColumnOverride] = [:]
        for o in overrides {
            let index: Int
            if let name = o.name {
                guard let i = names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                    throw CSVError("column override names '\(name)', which is not a column of the file\(WhereSuggestion.hint(for: name, in: names)); columns are \(names.joined(separator: ", "))")
                }
                if let given = o.index, given != i {
                    throw CSVError("column override names '\(name)' (index \(i)) but also gives index \(given)")
                }
                index = i
            } else if let i = o.index {
                guard names.indices.contains(i) else {
                    throw CSVError("column override index \(i) is out of range; the file has \(names.count) columns (indexes start at 0)")
                }
                index = i
            } else {
                throw CSVError("a column override needs a name or an index")
            }
            guard byIndex[index] == nil else {
                throw CSVError("two column overrides refer to column '\(names[index])'")
            }
            byIndex[index] = o
        }
        return byIndex
    }

    static func checkUnique(_ names: [String], what: String) throws(CSVError) {
        var seen: Set<String> = []
        for n in names where !seen.insert(n.lowercased()).inserted {
            throw CSVError("two columns are named '\(n)' \(what); column names must be unique (case-insensitively)")
        }
    }
}
