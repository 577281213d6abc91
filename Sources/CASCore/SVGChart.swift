/// A line chart as SVG text (no dependencies): deepLearn's training-history picture and the web monitor's
/// Training page draw with it.
public enum SVGChart {
    /// One polyline per series over epochs; y from 0 to the largest value (at least 1).
    public static func lines(x: [Double], series: [(String, [Double])], title: String) -> String {
        let (w, h, l, t, r, b) = (560, 340, 60, 40, 140, 40)
        let top = max(1, series.flatMap(\.1).filter { $0.isFinite }.max() ?? 1), xmax = max(x.max() ?? 1, 1)
        func px(_ v: Double) -> Double { Double(l) + v / xmax * Double(w - l - r) }
        func py(_ v: Double) -> Double { Double(h - b) - v / top * Double(h - t - b) }
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<text x=\"\(w / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(Markup.escape(title))</text>\n"
        s += "<line x1=\"\(l)\" y1=\"\(h - b)\" x2=\"\(w - r)\" y2=\"\(h - b)\" stroke=\"black\"/><line x1=\"\(l)\" y1=\"\(t)\" x2=\"\(l)\" y2=\"\(h - b)\" stroke=\"black\"/>\n"
        s += "<text x=\"\((w - r + l) / 2)\" y=\"\(h - 8)\" text-anchor=\"middle\">epoch</text>\n"
        for v in [0, top / 2, top] { s += "<text x=\"\(l - 6)\" y=\"\(Fixed.text(py(v) + 4, 1))\" text-anchor=\"end\">\(Fixed.text(v, 2))</text>\n" }
        for (i, (name, ys)) in series.enumerated() {
            let c = colours[i % colours.count]
            let pts = zip(x, ys).filter { $0.1.isFinite }.map { "\(Fixed.text(px($0.0), 1)),\(Fixed.text(py($0.1), 1))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\" points=\"\(pts)\"/>\n"
            s += "<text x=\"\(w - r + 10)\" y=\"\(t + 16 * i + 10)\" fill=\"\(c)\">\(Markup.escape(name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Rows = actual levels, columns = predicted levels; cells shaded by their share of the row.
    public static func confusion(levels: [String], counts: [[Int]], title: String) -> String {
        let cell = 64, left = 120, top = 70, k = levels.count
        let w = left + cell * k + 20, h = top + cell * k + 40
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<text x=\"\(w / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(Markup.escape(title))</text>\n"
        s += "<text x=\"\(left + cell * k / 2)\" y=\"40\" text-anchor=\"middle\">predicted</text>\n"
        s += "<text x=\"12\" y=\"\(top + cell * k / 2)\" transform=\"rotate(-90 12 \(top + cell * k / 2))\" text-anchor=\"middle\">actual</text>\n"
        for (j, l) in levels.enumerated() {
            s += "<text x=\"\(left + j * cell + cell / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\">\(Markup.escape(l))</text>\n"
            s += "<text x=\"\(left - 8)\" y=\"\(top + j * cell + cell / 2 + 4)\" text-anchor=\"end\">\(Markup.escape(l))</text>\n"
        }
        for i in 0..<k {
            let total = max(counts[i].reduce(0, +), 1)
            for j in 0..<k {
                let share = Double(counts[i][j]) / Double(total), shade = Int(255 - share * 200)
                s += "<rect x=\"\(left + j * cell)\" y=\"\(top + i * cell)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#888\"/>"
                s += "<text x=\"\(left + j * cell + cell / 2)\" y=\"\(top + i * cell + cell / 2 + 4)\" text-anchor=\"middle\">\(counts[i][j])</text>\n"
            }
        }
        return s + "</svg>\n"
    }
}
