import CASCore
import CASWire
import DLEngine
import Foundation
import ImageCodec

/// dlScore of a model whose output is a `segmentation` layer: a predicted mask per row (a PNG in
/// `_DL_PredMask_`, pixel = class ÷ targetScale so it is coded as the training masks were), and, where the
/// table has the masks dlTrain trained on (its target column), per-pixel accuracy: `_DL_PixelAccuracy_` per
/// row, ScoreInfo's pixel misclassification and loss, and `SegmentationAccuracy` (per class: pixels,
/// accuracy, intersection over union).
struct SegmentationScore: Sendable {
    let masks: SegmentationMasks
    /// Input-table row of each scored sample.
    let rows: [Int]
    /// Predicted class per pixel, sample after sample.
    let predicted: [UInt8]
    /// True class per pixel for the samples with a mask (sample index → classes).
    let truth: [Int: [Int]]
    /// Summed cross-entropy over the labelled pixels.
    let lossSum: Double

    var positions: Int { masks.height * masks.width }

    /// Scores `t` with `engine` in batches of `batch`, keeping only the arg-max class per pixel.
    static func score(_ engine: Model, _ masks: SegmentationMasks, _ t: DataTable, column: String, target: String, batch: Int,
                      _ ctx: ActionContext) throws(ActionError) -> SegmentationScore {
        guard let input = engine.inputLayer as? InputLayer else { throw ActionError(.parameterValue, "The model has no input layer.", parameter: "modelTable") }
        let samples = try ImageData.read(t, inputs: column, target: nil, shape: input.shape, requireTarget: false, ctx: ctx)
        let positions = masks.height * masks.width, k = masks.classes
        let masksColumn = t.column(target).flatMap { c -> [[UInt8]?]? in if case .varbinary(let b) = c.data { b } else { nil } }
        // the predicted classes (a byte per pixel) and the true ones (an Int per pixel) where the table has masks
        let perPixel = 1 + (masksColumn == nil ? 0 : MemoryLayout<Int>.size)
        let need = samples.count.multipliedReportingOverflow(by: positions * perPixel)
        try ctx.reserve(need.overflow ? Int.max : need.partialValue, for: "\(samples.count) predicted masks")
        var truth: [Int: [Int]] = [:]
        if let blobs = masksColumn {
            for (n, row) in samples.rows.enumerated() {
                if let b = blobs[row] { truth[n] = try masks.classes(of: b, row: row, table: t.name, parameter: "table") }
            }
        }
        var predicted = [UInt8](repeating: 0, count: samples.count * positions)
        var lossSum = 0.0
        let size = samples.shape.reduce(1, *)
        do {
            let x = try Tensor(shape: [batch] + samples.shape, what: "input batch")
            for start in stride(from: 0, to: samples.count, by: batch) {
                try ctx.checkCancellation()
                let n = min(batch, samples.count - start)
                x.reshape([n] + samples.shape)
                samples.values.withUnsafeBufferPointer { v in x.base.update(from: v.baseAddress! + start * size, count: n * size) }
                let p = try engine.forward(x, training: false)
                for s in 0..<n {
                    let base = (start + s) * positions, labels = truth[start + s]
                    for i in 0..<positions {
                        let pr = p.base + (s * positions + i) * k
                        var best = 0
                        for j in 1..<k where pr[j] > pr[best] { best = j }
                        predicted[base + i] = UInt8(best)
                        if let labels { lossSum -= Foundation.log(Double(max(pr[labels[i]], 1e-12))) }
                    }
                }
            }
        } catch let e as ActionError { throw e } catch {
            throw ActionError(.parameterValue, "Scoring failed: \((error as? EngineError)?.message ?? "\(error)")")
        }
        return SegmentationScore(masks: masks, rows: samples.rows, predicted: predicted, truth: truth, lossSum: lossSum)
    }

    /// The predicted mask of sample `n` as an 8-bit gray PNG coded like the training masks (class ÷ targetScale).
    func png(_ n: Int, codes code: [UInt8]) throws(ActionError) -> [UInt8] {
        let pixels = predicted[(n * positions)..<((n + 1) * positions)].map { code[Int($0)] }
        do {
            return try ImageCodec.encodePNG(try Image(width: masks.width, height: masks.height, format: .gray, pixels: pixels))
        } catch { throw ActionError(.internalError, "cannot encode a predicted mask: \(error)") }
    }

    func pixelAccuracy(_ n: Int) -> Double? {
        guard let t = truth[n] else { return nil }
        var right = 0
        for i in 0..<positions where Int(predicted[n * positions + i]) == t[i] { right += 1 }
        return Double(right) / Double(positions)
    }

    func table(_ input: DataTable, copyVars: [String], base64: Bool) throws(ActionError) -> DataTable {
        var out = DataTable(name: input.name)
        for v in copyVars {
            guard let c = input.column(v) else {
                throw ActionError(.notFound, "Column '\(v)' (copyVars) does not exist in table \(input.name).", parameter: "copyVars")
            }
            var g = c
            g.data = c.data.gather(rows)
            out.columns.append(g)
        }
        var images: [[UInt8]] = []
        let codes = try masks.codes()
        for n in rows.indices { images.append(try png(n, codes: codes)) }
        out.columns.append(base64 ? Column(name: "_DL_PredMask_", label: "Predicted mask (PNG, base64)", data: .varchar(images.map { Data($0).base64EncodedString() }))
                                  : Column(name: "_DL_PredMask_", label: "Predicted mask", data: .varbinary(images)))
        if !truth.isEmpty {
            out.columns.append(Column(name: "_DL_PixelAccuracy_", label: "Fraction of pixels classified right",
                                      data: .double(rows.indices.map { pixelAccuracy($0) ?? .nan })))
        }
        return out
    }

    /// counts[actual][predicted] over the pixels of the rows with a mask.
    func confusion() -> [[Int]]? {
        guard !truth.isEmpty else { return nil }
        var c = [[Int]](repeating: [Int](repeating: 0, count: masks.classes), count: masks.classes)
        for (n, t) in truth { for i in 0..<positions { c[t[i]][Int(predicted[n * positions + i])] += 1 } }
        return c
    }

    func info(read: Int) -> DataTable {
        var rows: [(String, String)] = [("Number of Observations Read", String(read)), ("Number of Observations Used", String(self.rows.count)),
                                        ("Pixels per Image", String(positions))]
        if let c = confusion() {
            let total = truth.count * positions, right = (0..<masks.classes).map { c[$0][$0] }.reduce(0, +)
            rows += [("Pixel Misclassification Error (%)", Fixed.text(Double(total - right) / Double(total) * 100, 4)),
                     ("Loss Error", Fixed.text(lossSum / Double(total), 6)),
                     ("Mean IoU (%)", Fixed.text(meanIoU(c) * 100, 4))]
        }
        return .result("ScoreInfo", label: "Score Information", columns: [("Descr", .varchar), ("Value", .varchar)],
                       rows: rows.map { [.string($0.0), .string($0.1)] })
    }

    /// Intersection over union of class j: pixels right / pixels of j in the truth or the prediction.
    static func iou(_ c: [[Int]], _ j: Int) -> Double? {
        let truth = c[j].reduce(0, +), predicted = c.map { $0[j] }.reduce(0, +), union = truth + predicted - c[j][j]
        return union == 0 ? nil : Double(c[j][j]) / Double(union)
    }

    /// Mean IoU over the classes present in the truth or the prediction.
    func meanIoU(_ c: [[Int]]) -> Double {
        let values = (0..<masks.classes).compactMap { Self.iou(c, $0) }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    func accuracy() -> DataTable {
        let c = confusion()
        return .result("SegmentationAccuracy", label: "Pixel Accuracy by Class", columns: [("Class", .varchar), ("Pixels", .double), ("Correct", .double),
                                                                                        ("Accuracy", .double), ("IoU", .double)],
                       rows: (0..<masks.classes).map { j in
                           guard let c else { return [.string(String(j)), .double(0), .double(0), .null, .null] }
                           let total = c[j].reduce(0, +)
                           return [.string(String(j)), .double(Double(total)), .double(Double(c[j][j])),
                                   total == 0 ? .null : .double(Double(c[j][j]) / Double(total) * 100), Self.iou(c, j).map { .double($0 * 100) } ?? .null]
                       })
    }
}
