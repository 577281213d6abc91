import CASCore
import CASWire

/// Result-table rows describing caslibs (`CASLibInfo`), shared by the caslib actions.
enum CaslibRows {
    static func table(_ libs: [Caslib], active: String) -> DataTable {
        let rows: [[Value]] = libs.map { c in
            [.string(c.name), "PATH", .string(c.description), .string(c.path + "/"), "", .int(c.subdirectories ? 1 : 0), .int(c.scope == .session ? 1 : 0),
             .int(c.name == active ? 1 : 0), .int(c.personal ? 1 : 0), 0, .int(c.personal ? 1 : 0), .string(c.scope.rawValue), .string(c.owner)]
        }
        return .result("CASLibInfo", label: "Caslib Information", columns: [
            ("Name", .varchar), ("Type", .varchar), ("Description", .varchar), ("Path", .varchar), ("Definition", .varchar),
            ("Subdirs", .double), ("Local", .double), ("Active", .double), ("Personal", .double), ("Hidden", .double),
            ("Transient", .double), ("Scope", .varchar), ("Owner", .varchar),
        ], rows: rows)
    }
}
