import Foundation
import CASCore

/// deepLearn's SVG pictures escape text as the monitor does; the charts themselves are `SVGChart` in CASCore
/// (`lines`, `confusion`), shared with the web monitor.
enum SVGCharts {
    /// Text for an SVG element or attribute (`Markup.escape`, shared with the web monitor's pages).
    static func escape(_ s: String) -> String { Markup.escape(s) }
}
