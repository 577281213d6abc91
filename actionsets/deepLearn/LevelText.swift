import CASWire

/// Text of a level (labels may be numeric columns).
enum LevelText {
    static func text(_ v: Value) -> String {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: v.jsonString
        }
    }
}
