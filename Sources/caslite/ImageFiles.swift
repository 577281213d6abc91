import CASWire
import Foundation

/// `caslite call … --out DIR`: writes the image cells of result tables to files so a user can
/// look at them. A cell is an image when its varbinary column has a `MIMEType` attribute
/// `image/…`; it goes to DIR/<label>/<id>.<ext> (label from `Label` or `_label_`, id from `_id_`,
/// else the row number).
enum ImageFiles {
    static func write(_ results: ValueDict, to dir: String) throws {
        var written = 0
        for (_, v) in results {
            guard case .table(let t) = v else { continue }
            for c in t.columns {
                guard case .varbinary(let cells) = c.data, let mime = c.attributes["MIMEType"]?.stringValue, mime.hasPrefix("image/") else { continue }
                let ext = mime == "image/jpeg" ? "jpg" : String(mime.dropFirst("image/".count))
                for (r, cell) in cells.enumerated() {
                    guard let cell else { continue }
                    let file = "\(dir)/\(component(label(t, r)))/\(component(id(t, r))).\(component(ext))"
                    try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    try Data(cell).write(to: URL(fileURLWithPath: file))
                    written += 1
                }
            }
        }
        print("wrote \(written) image file\(written == 1 ? "" : "s") under \(dir)")
    }

    static func label(_ t: DataTable, _ r: Int) -> String {
        for n in ["Label", "_label_"] {
            if let c = t.column(n), case .string(let s) = c.data.value(at: r) { return s }
        }
        return "unlabeled"
    }

    static func id(_ t: DataTable, _ r: Int) -> String {
        if let c = t.column("_id_"), let d = c.data.double(at: r) { return String(Int64(d)) }
        return String(r + 1)
    }

    /// One safe path component.
    static func component(_ s: String) -> String {
        let t = String(s.map { $0 == "/" || $0 == "\\" ? "_" : $0 })
        return t.isEmpty || t == "." || t == ".." ? "_" : t
    }
}
