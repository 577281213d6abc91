// HIST_EQUALIZATION (processImages; DLPy's display_segmentation_images makes 0/1 masks visible with it).

extension Image {
    /// `HIST_EQUALIZATION` method GLOBAL: OpenCV's `equalizeHist` on each color channel on its own (alpha kept).
    /// With `lo` the channel's smallest value present and N its pixel count: `lo` → 0 and every higher value
    /// v → round(255 · #{pixels in (lo, v]} / (N − #{pixels = lo})). A channel holding one value keeps it.
    public func histogramEqualized() -> Image {
        let c = channels, cc = colorChannels, n = width * height
        var tables: [[UInt8]] = []
        pixels.withUnsafeBufferPointer { p in
            for k in 0..<cc {
                var hist = [Int](repeating: 0, count: 256)
                for i in 0..<n { hist[Int(p[i * c + k])] += 1 }
                tables.append(Self.equalizingTable(hist, total: n))
            }
        }
        return Image.build(width, height, format) { out in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    let k = i % c
                    out[i] = k < cc ? tables[k][Int(src[i])] : src[i]
                }
            }
        }
    }

    /// OpenCV's equalizeHist lookup table for one channel's histogram.
    static func equalizingTable(_ hist: [Int], total: Int) -> [UInt8] {
        var table = (0...255).map(UInt8.init)
        guard total > 0, let lo = hist.firstIndex(where: { $0 > 0 }), hist[lo] < total else { return table }
        let scale = 255.0 / Double(total - hist[lo])
        var sum = 0
        table[lo] = 0
        for v in (lo + 1)..<256 {
            sum += hist[v]
            table[v] = UInt8(min(255, (Double(sum) * scale).rounded()))
        }
        return table
    }
}
