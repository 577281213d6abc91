import Foundation
import CASCore

/// Small SVG charts (no dependencies): a confusion matrix (the line chart is `SVGChart.lines` in CASCore).
enum SVGCharts {
    /// Text for an SVG element or attribute (`Markup.escape`, shared with the web monitor's pages).
    static func escape(_ s: String) -> String { Markup.escape(s) }

    /// Rows = actual levels, columns = predicted levels; cells shaded by their share of the row.
    static func confusion(levels: [String], counts: [[Int]], title: String) -> String {
        let cell = 64, left = 120, top = 70, k = levels.count
        let w = left + cell * k + 20, h = top + cell * k + 40
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<text x=\"\(w / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<text x=\"\(left + cell * k / 2)\" y=\"40\" text-anchor=\"middle\">predicted</text>\n"
        s += "<text x=\"12\" y=\"\(top + cell * k / 2)\" transform=\"rotate(-90 12 \(top + cell * k / 2))\" text-anchor=\"middle\">actual</text>\n"
        for (j, l) in levels.enumerated() {
            s += "<text x=\"\(left + j * cell + cell / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\">\(escape(l))</text>\n"
            s += "<text x=\"\(left - 8)\" y=\"\(top + j * cell + cell / 2 + 4)\" text-anchor=\"end\">\(escape(l))</text>\n"
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
