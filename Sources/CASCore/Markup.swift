/// The one escaping function for text put into HTML or SVG/XML (the web monitor's pages, deepLearn's pictures).
public enum Markup {
    /// `s` safe as element text and as a quoted attribute value: `& < > " '` become entities, and characters
    /// XML 1.0 cannot hold at all (NUL and the other control characters but tab, line feed and carriage
    /// return; U+FFFE, U+FFFF) become U+FFFD, so every page and picture is well formed whatever a name holds.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            default:
                let v = u.value
                out.unicodeScalars.append(v < 0x20 || v == 0xFFFE || v == 0xFFFF ? "\u{FFFD}" : u)
            }
        }
        return out
    }
}
