import CASCore
import CASWire
import ImageCodec

/// Column names and attributes of image tables, as CAS names them.
enum ImageColumns {
    static let image = "_image_"
    static let label = "_label_"
    static let path = "_path_"
    static let filename = "_filename_0"
    static let id = "_id_"
    static let size = "_size_"
    static let type = "_type_"
    static let parentId = "_parentId_"

    /// `{"MIMEType": mime}`: swat turns such a varbinary column into images.
    static func mime(_ type: String) -> ValueDict { ValueDict([("MIMEType", .string(type))]) }

    /// The MIME type of the CLRI raw pixel blobs (docs/images.md §Storage).
    static let rawMIME = ImageFormat.raw.mimeType

    /// The image column of `t` (a varbinary column), or an error naming `parameter`.
    static func imageColumn(_ t: DataTable, name: String, parameter: String) throws(ActionError) -> [[UInt8]?] {
        guard let c = t.column(name) else { throw ActionError.missingColumn(name, in: t, parameter: parameter) }
        guard case .varbinary(let cells) = c.data else {
            throw ActionError(.parameterValue, "Column '\(c.name)' is \(c.type.rawValue); an image column must be varbinary.", parameter: parameter)
        }
        return cells
    }

    /// A short name for row `row` in messages: its `_path_`, else `_id_`, else the row number.
    static func rowName(_ t: DataTable, _ row: Int) -> String {
        if let p = t.column(path), case .varchar(let a) = p.data, let s = a[row] { return s }
        if let i = t.column(id), let v = i.data.double(at: row) { return "_id_=\(Int64(v))" }
        return "row \(row + 1)"
    }
}
