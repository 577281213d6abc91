import CASCore
import CASWire
import DLEngine
import Foundation

/// dlScore of a model ending in a detection layer: per image the boxes left after the detection threshold and
/// non-maximum suppression, written as CAS/DLPy read them (`_nObjects_`, then per object `_Object<i>_` (class),
/// four coordinates named by coordType, `_P_Object<i>_` (objectness × class probability)), and — when the scored
/// table has object columns — how many of its objects were found.
struct DetectionScore: Sendable {
    let targets: DetectionTargets
    /// Scored input rows (rows with an image).
    let rows: [Int]
    /// Detections per scored row, best first.
    let found: [[Detection]]
    /// Class names by index (from the weights table, else the indices).
    let levels: [String]
    /// Truth objects per scored row when the table has object columns.
    let truth: [[(String, DetectionBox)]]?

    static func score(_ engine: Model, _ targets: DetectionTargets, _ t: DataTable, column: String, levels: [String], batch: Int,
                      _ ctx: ActionContext) throws -> DetectionScore {
        guard let input = engine.inputLayer as? InputLayer, let layer = engine.outputLayer as? YoloDetectionLayer else {
            throw ActionError(.internalError, "the model has no input or detection layer")
        }
        let samples = try ImageData.read(t, inputs: column, target: nil, shape: input.shape, requireTarget: false, ctx: ctx, window: .exact)
        var found: [[Detection]] = []
        found.reserveCapacity(samples.count)
        do {
            // each batch's decoded output is read at once: only the kept boxes outlive it
            try Trainer.forEachBatch(engine, data: samples.source(levels: []), batchSize: batch) { ids, out in
                try ctx.checkCancellation()
                for k in ids.indices {
                    found.append(layer.detections(out, sample: k - ids.startIndex, threshold: targets.threshold, iouThreshold: targets.iouThreshold,
                                                  maxBoxes: targets.maxBoxes))
                }
            }
        } catch let e as ActionError { throw e } catch { throw ActionError(.parameterValue, "Scoring failed: \(error)") }
        let names = (0..<layer.options.classes).map { $0 < levels.count ? levels[$0] : String($0) }
        // the table's own objects, when it has them in the layout dlTrain reads
        var truth: [[(String, DetectionBox)]]?
        if let columns = try? targets.columns(t, named: nil, parameter: "table") {
            truth = try targets.objects(samples, t, columns, parameter: "table")
        }
        return DetectionScore(targets: targets, rows: samples.rows, found: found, levels: names, truth: truth)
    }

    /// A box in the layer's coordType units (YOLO image-relative centre; COCO corners and RECT top-left + size in pixels).
    func coordinates(_ b: DetectionBox) -> [Double] {
        let (W, H) = (Double(targets.width), Double(targets.height))
        let (x, y, w, h) = (Double(b.x), Double(b.y), Double(b.w), Double(b.h))
        switch targets.coordType {
        case "YOLO": return [x, y, w, h]
        case "COCO": return [(x - w / 2) * W, (y - h / 2) * H, (x + w / 2) * W, (y + h / 2) * H]
        default: return [(x - w / 2) * W, (y - h / 2) * H, w * W, h * H]
        }
    }

    /// Output column names (for clashes with copyVars).
    var outputNames: Set<String> {
        var names: Set<String> = ["_nobjects_"]
        for i in 0..<targets.maxBoxes {
            names.formUnion((["_Object\(i)_", "_P_Object\(i)_"] + targets.suffixes.map { "_Object\(i)_\($0)" }).map { $0.lowercased() })
        }
        return names
    }

    func table(_ input: DataTable, copyVars: [String]) throws(ActionError) -> DataTable {
        var out = DataTable(name: input.name)
        let reserved = outputNames
        for v in copyVars {
            guard let c = input.column(v) else {
                throw ActionError(.notFound, "Column '\(v)' (copyVars) does not exist in table \(input.name).", parameter: "copyVars")
            }
            guard !reserved.contains(c.name.lowercased()) else {
                throw ActionError(.parameterValue, "copyVars: column '\(c.name)' has the name of a column dlScore writes for the detected objects; leave it out (DLPy copies every column but the _Object and _nObjects_ ones).",
                                  parameter: "copyVars")
            }
            var g = c
            g.data = c.data.gather(rows)
            out.columns.append(g)
        }
        out.columns.append(Column(name: "_nObjects_", label: "Number of detected objects", data: .double(found.map { Double($0.count) })))
        let slots = found.map(\.count).max() ?? 0
        for i in 0..<max(1, min(slots, targets.maxBoxes)) {
            let hits = found.map { i < $0.count ? $0[i] : nil }
            out.columns.append(Column(name: "_Object\(i)_", label: "Class of object \(i)", data: .varchar(hits.map { $0.map { levels[$0.classIndex] } })))
            let coords = hits.map { $0.map { coordinates($0.box) } }
            for (k, s) in targets.suffixes.enumerated() {
                out.columns.append(Column(name: "_Object\(i)_\(s)", label: "Object \(i) \(s)", data: .double(coords.map { $0?[k] ?? .nan })))
            }
            out.columns.append(Column(name: "_P_Object\(i)_", label: "Score of object \(i)", data: .double(hits.map { $0.map { Double($0.score) } ?? .nan })))
        }
        return out
    }

    /// Truth objects found: per row, greedily matched best score first to an unmatched truth object of the same class
    /// overlapping it by at least 0.5. (truth objects, found, detections)
    func matches() -> (truths: Int, found: Int, detections: Int)? {
        guard let truth else { return nil }
        var t = 0, hit = 0
        for (n, objects) in truth.enumerated() {
            t += objects.count
            var used = [Bool](repeating: false, count: objects.count)
            for d in found[n] {
                let name = levels[d.classIndex]
                if let j = objects.indices.filter({ !used[$0] && objects[$0].0 == name })
                    .max(by: { objects[$0].1.iou(d.box) < objects[$1].1.iou(d.box) }), objects[j].1.iou(d.box) >= 0.5 {
                    used[j] = true
                    hit += 1
                }
            }
        }
        return (t, hit, found.map(\.count).reduce(0, +))
    }

    func info(read: Int) -> DataTable {
        var rows: [(String, String)] = [("Number of Observations Read", String(read)), ("Number of Observations Used", String(self.rows.count)),
                                        ("Objects Detected", String(found.map(\.count).reduce(0, +)))]
        if let m = matches(), m.truths > 0 {
            rows += [("Objects in the Table", String(m.truths)),
                     ("Objects Found (IoU >= 0.5, same class)", String(m.found)),
                     ("Missed Objects (%)", Fixed.text(Double(m.truths - m.found) / Double(m.truths) * 100, 4))]
        }
        return .result("ScoreInfo", label: "Score Information", columns: [("Descr", .varchar), ("Value", .varchar)],
                       rows: rows.map { [.string($0.0), .string($0.1)] })
    }
}
