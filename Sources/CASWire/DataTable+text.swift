import Foundation

/// What every table printer shows the same way (the CLI's `Printer`, CASL's `print`).
extension Column {
    /// The column's heading: its label where the name is only a position (`Col1`, `Col2` … of `simple.crossTab`,
    /// each labelled with the level it counts, as CAS tools show it), else its name.
    public var heading: String {
        let positional = name.hasPrefix("Col") && Int(name.dropFirst(3)) != nil
        return positional && !label.isEmpty ? label : name
    }
}

/// Doubles as text for people.
public enum NumberText {
    /// `%.<digits>g`, except that a number from 1 up to 1e15 that would need an exponent is written out with
    /// at most two decimals (`1796340000.12`, not `1.79634e+09`: a time stamp must stay readable).
    public static func text(_ d: Double, digits: Int) -> String {
        let g = String(format: "%.\(digits)g", d)
        guard g.contains("e"), abs(d) >= 1, abs(d) < 1e15 else { return g }
        var fixed = String(format: "%.2f", d)
        while fixed.hasSuffix("0") { fixed.removeLast() }
        if fixed.hasSuffix(".") { fixed.removeLast() }
        return fixed
    }
}
