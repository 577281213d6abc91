import CASCore
import CASWire
import CheckedSize

/// Reads JSON that holds records — an array of objects (`[{"a": 1, "b": "x"}, …]`, as pandas'
/// `to_json(orient="records")` writes it), JSON lines (one object per line) or a single object — into a table.
///
/// Columns come in the order their keys first appear; a column whose values are all numbers (true/false
/// read as 1/0) is double, any other is varchar; `null` and an absent key are missing. Any other JSON
/// (a bare array of numbers, nested lists or objects) is refused, saying which shapes are read.
enum JSONRecords {
    /// The JSON shapes caslite reads, for every refusal.
    static let shapes = """
        caslite reads JSON records: an array of objects ([{"a": 1, "b": "x"}, …], as pandas' to_json(orient="records") \
        writes it) or JSON lines (one object per line), with flat values (numbers, strings, true/false, null)
        """

    /// The table in `bytes` (a whole file), named `name`; `shown` ("The file 'x.json'") and `parameter` go into errors.
    /// Each column's cells (one per record, present or not) are charged with `reserve` before they are
    /// made: records that share few keys (a new key on every line) make a table far larger than the file.
    static func read(_ bytes: [UInt8], name: String, shown: String, parameter: String,
                     reserve: (Int) throws(ActionError) -> Void) throws(ActionError) -> DataTable {
        let records = try parse(bytes, shown: shown, parameter: parameter)
        guard !records.isEmpty else {
            throw ActionError(.badInput, "\(shown) holds JSON with no records (an empty array): there is nothing to load; \(shapes).", parameter: parameter)
        }
        return try table(records, name: name, shown: shown, parameter: parameter, reserve: reserve)
    }

    /// The objects in `bytes`: the items of a top-level array, one object, or one object per non-blank line.
    static func parse(_ bytes: [UInt8], shown: String, parameter: String) throws(ActionError) -> [ValueDict] {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }  // a UTF-8 byte-order mark
        func refuse(_ what: String) -> ActionError {
            ActionError(.badInput, "\(shown) holds JSON that is not records: \(what). \(shapes).", parameter: parameter)
        }
        if let whole = try? JSONParser.parseData(Array(body)) {  // an array of records, or one (possibly pretty-printed) object
            switch whole {
            case .dict(let d): return [d]
            case .list(let items):
                return try items.enumerated().map { (i, item) throws(ActionError) -> ValueDict in
                    guard case .dict(let d) = item else { throw refuse("item \(i + 1) of the array is a \(item.typeName), not an object") }
                    return d
                }
            default: throw refuse("it is a single \(whole.typeName)")
            }
        }
        var records: [ValueDict] = []
        for (n, line) in body.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) {
            let v: Value
            do { v = try JSONParser.parseData(Array(line)) } catch {
                throw ActionError(.badInput, "\(shown) is not valid JSON (line \(n + 1): \(error.description)). \(shapes).", parameter: parameter)
            }
            guard case .dict(let d) = v else { throw refuse("line \(n + 1) holds a \(v.typeName), not an object") }
            records.append(d)
        }
        return records
    }

    /// The records as columns: double when every value is a number or true/false, varchar otherwise.
    static func table(_ records: [ValueDict], name: String, shown: String, parameter: String,
                      reserve: (Int) throws(ActionError) -> Void) throws(ActionError) -> DataTable {
        var index: [String: Int] = [:]
        var names: [String] = []
        var cells: [[Value]] = []  // cells[column][row]
        for (r, record) in records.enumerated() {
            for (key, value) in record {
                if case .list = value { throw nested(key, r, value, shown, parameter) }
                if case .dict = value { throw nested(key, r, value, shown, parameter) }
                if index[key] == nil {
                    guard names.count < Limits.maxColumns else {
                        throw ActionError(.badInput, "\(shown): its records have more than \(Limits.maxColumns) different keys; "
                                          + "the records share too few keys to be one table.", parameter: parameter)
                    }
                    try reserve(records.count * MemoryLayout<Value>.stride)  // records are fewer than the file's bytes: no overflow
                }
                let c = index[key] ?? {
                    index[key] = names.count
                    names.append(key)
                    cells.append([Value](repeating: .null, count: records.count))
                    return names.count - 1
                }()
                cells[c][r] = value
            }
        }
        let columns = zip(names, cells).map { name, values in
            let numeric = values.allSatisfy { v in
                switch v { case .null, .int, .double, .bool: true; default: false }
            }
            var data = ColumnData.empty(numeric ? .double : .varchar, capacity: values.count)
            for v in values { data.append(numeric ? v.boolValue.map { .double($0 ? 1 : 0) } ?? v : v) }
            return Column(name: name, data: data)
        }
        return DataTable(name: name, columns: columns)
    }

    static func nested(_ key: String, _ row: Int, _ value: Value, _ shown: String, _ parameter: String) -> ActionError {
        ActionError(.badInput, """
            \(shown): the value of \(Names.quote(key)) in record \(row + 1) is a \(value.typeName); \(shapes). \
            Flatten it first (pandas.json_normalize).
            """, parameter: parameter)
    }
}
