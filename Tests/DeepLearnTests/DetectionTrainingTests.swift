import CASClient
import CASTestSupport
import CASWire
import ImageCodec
import SeededRandom
import Testing

/// Object detection over the protocol against a real server: the `detection` layer (YOLO v2) in addLayer and the
/// model table, dlTrain with DLPy's dataSpecs against a table of objects in DLPy's layout (`_nObjects_`,
/// `_Object<i>_`, `_Object<i>_x/_y/_width/_height`), dlScore's boxes checked against the truth here, and the refusals.
@Suite("deepLearn: object detection", .serialized)
struct DetectionTrainingTests {
    /// One 32x32 image: dark noise with a red (class "red") or blue ("blue") square of side 8–12 at a random place.
    /// Returns the PNG and the truth box in YOLO units (centre, size relative to the image).
    static func picture(_ rng: inout SplitMix64) throws -> ([UInt8], String, [Double]) {
        let side = 8 + Int(rng.next() % 5), x0 = Int(rng.next() % UInt64(32 - side)), y0 = Int(rng.next() % UInt64(32 - side))
        let red = rng.next() % 2 == 0
        var img = try Image(width: 32, height: 32, format: .rgb)
        for y in 0..<32 {
            for x in 0..<32 {
                let inside = (x0..<x0 + side).contains(x) && (y0..<y0 + side).contains(y)
                for ch in 0..<3 {
                    let lit = inside && (red ? ch == 0 : ch == 2)
                    img[x, y, ch] = lit ? UInt8(200 + Int(rng.next() % 55)) : UInt8(rng.next() % 60)
                }
            }
        }
        let box = [(Double(x0) + Double(side) / 2) / 32, (Double(y0) + Double(side) / 2) / 32, Double(side) / 32, Double(side) / 32]
        return (try ImageCodec.encodePNG(img), red ? "red" : "blue", box)
    }

    /// Table `name` in DLPy's object-detection layout with two object slots (the second one empty).
    static func addObjects(_ c: CASConnection, _ name: String = "objects", n: Int = 32, seed: UInt64 = 5,
                           edit: ((Int, inout [Value]) -> Void)? = nil) async throws -> [(String, [Double])] {
        var rng = SplitMix64(seed: seed), rows: [Value] = [], truth: [(String, [Double])] = []
        for i in 0..<n {
            let (png, cls, b) = try picture(&rng)
            truth.append((cls, b))
            var row: [Value] = [.string("img\(i)"), .blob(png), 1, .string(cls), .double(b[0]), .double(b[1]), .double(b[2]), .double(b[3]),
                                .null, .null, .null, .null, .null]
            edit?(i, &row)
            rows.append(.list(row))
        }
        var vars: [Value] = [["name": "idjoin", "type": "varchar"], ["name": "_image_", "type": "varbinary"], ["name": "_nObjects_", "type": "double"]]
        for i in 0..<2 {
            vars.append(["name": .string("_Object\(i)_"), "type": "varchar"])
            for s in ["x", "y", "width", "height"] { vars.append(["name": .string("_Object\(i)_\(s)"), "type": "double"]) }
        }
        try await ok(c, "table.addTable", ["table": .string(name), "replace": true, "vars": .list(vars), "rows": .list(rows)])
        return truth
    }

    /// 32x32x3 → conv 16, pool → conv 32, pool → conv 32, pool (4x4) → 1x1 conv 2·(5+2) → detection (2 anchors, 2 classes).
    static func buildDetector(_ c: CASConnection, name: String = "det", coordType: String = "YOLO", detection: ValueDict = [:]) async throws {
        try await ok(c, "deepLearn.buildModel", ["model": ["name": .string(name), "replace": true], "type": "CNN"])
        var det: ValueDict = ["type": "detection", "detectionModelType": "YOLOV2", "coordType": .string(coordType), "classNumber": 2, "gridNumber": 4,
                              "predictionsPerGrid": 2, "anchors": [1.2, 1.2, 1.8, 1.8], "softmaxForClassProb": true, "doSqrt": true,
                              "detectionThreshold": 0.3, "iouThreshold": 0.45, "maxBoxes": 5, "maxLabelPerImage": 4]
        for (k, v) in detection.entries { det[k] = v }
        let layers: [(String, Value, [String])] = [
            ("Input1", ["type": "input", "nChannels": 3, "width": 32, "height": 32, "scale": 0.0039215686], []),
            ("Convo1", ["type": "convo", "nFilters": 16, "width": 3], ["Input1"]),
            ("Pool1", ["type": "pooling", "width": 2, "stride": 2, "pool": "max"], ["Convo1"]),
            ("Convo2", ["type": "convo", "nFilters": 32, "width": 3], ["Pool1"]),
            ("Pool2", ["type": "pooling", "width": 2, "stride": 2, "pool": "max"], ["Convo2"]),
            ("Convo3", ["type": "convo", "nFilters": 32, "width": 3], ["Pool2"]),
            ("Pool3", ["type": "pooling", "width": 2, "stride": 2, "pool": "max"], ["Convo3"]),
            ("Convo4", ["type": "convo", "nFilters": 14, "width": 1, "act": "identity", "includeBias": false], ["Pool3"]),
            ("Detection1", .dict(det), ["Convo4"]),
        ]
        for (layerName, layer, src) in layers {
            try await ok(c, "deepLearn.addLayer", ["model": .string(name), "name": .string(layerName), "layer": layer, "srcLayers": .list(src.map { .string($0) })])
        }
    }

    static let targets: [Value] = ["_nObjects_"] + (0..<2).flatMap { i in (["_Object\(i)_"] + ["x", "y", "width", "height"].map { "_Object\(i)_\($0)" }).map { Value.string($0) } }

    static func train(_ c: CASConnection, table: String = "objects", epochs: Int = 60, specs: Bool = true) async throws -> Response {
        var p: ValueDict = ["table": .string(table), "modelTable": "det", "modelWeights": ["name": "det_w", "replace": true], "seed": 3, "nThreads": 1,
                            "optimizer": ["algorithm": ["method": "MOMENTUM", "learningRate": 0.01, "momentum": 0.9], "miniBatchSize": 4,
                                          "maxEpochs": .int(Int64(epochs)), "logLevel": 0]]
        if specs {
            p["dataSpecs"] = [["type": "IMAGE", "layer": "Input1", "data": ["_image_"]],
                              ["type": "OBJECTDETECTION", "layer": "Detection1", "data": .list(targets)]]
        }
        return try await c.call("deepLearn.dlTrain", p)
    }

    static func iou(_ a: [Double], _ b: [Double]) -> Double {
        let ix = max(0, min(a[0] + a[2] / 2, b[0] + b[2] / 2) - max(a[0] - a[2] / 2, b[0] - b[2] / 2))
        let iy = max(0, min(a[1] + a[3] / 2, b[1] + b[3] / 2) - max(a[1] - a[3] / 2, b[1] - b[3] / 2))
        return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)
    }

    @Test func aDetectorTrainsOnObjectsAndScoresBoxesThatOverlapTheTruth() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            let truth = try await Self.addObjects(c)
            try await Self.buildDetector(c)
            let rows = try await ZooOptionTests().modelRows(c, "det", layer: "detection1")
            #expect(rows["layertype"]?.0 == "Detection" && rows["layertype"]?.1 == 11)
            #expect(rows["detectionopts.classNumber"]?.1 == 2 && rows["detectionopts.anchors.3"]?.1 == 1.8 && rows["detectionopts.coordType"]?.0 == "YOLO" && rows["detectionopts.yoloVersion"]?.1 == 2,
                    "\(rows.keys.sorted())")
            let r = try await Self.train(c)
            #expect(r.disposition.severity == .normal, "\(r.errorText)")
            let err = try r.table("OptIterHistory").doubles("FitError"), loss = try r.table("OptIterHistory").doubles("Loss")
            #expect(loss.last! < loss.first! / 3 && err.last! < err.first!, "loss \(loss.first!) → \(loss.last!), missed \(err.first!) → \(err.last!)")
            let scored = try await ok(c, "deepLearn.dlScore", ["table": "objects", "modelTable": "det", "initWeights": "det_w", "copyVars": ["idjoin"],
                                                              "casOut": ["name": "found", "replace": true]])
            let info = try scored.table("ScoreInfo")
            #expect(info.info("Objects in the Table") == "32", "\(info)")
            let missed = Double(info.info("Missed Objects (%)") ?? "") ?? 100
            #expect(missed < 25, "missed \(missed) %; \(info); fit error \(err)")
            // the boxes written, read back here: the best one of each image overlaps its square and names its colour
            let f = try await fetch(c, "found")
            #expect(Array(f.columns.map(\.name).prefix(8)) == ["idjoin", "_nObjects_", "_Object0_", "_Object0_x", "_Object0_y", "_Object0_width", "_Object0_height", "_P_Object0_"])
            var hits = 0
            for r in 0..<f.rowCount {
                let id = Int(f.strings("idjoin")[r].dropFirst(3))!
                guard f.doubles("_nObjects_")[r] >= 1 else { continue }
                let box = ["x", "y", "width", "height"].map { f.doubles("_Object0_\($0)")[r] }
                if f.strings("_Object0_")[r] == truth[id].0 && Self.iou(box, truth[id].1) >= 0.5 { hits += 1 }
                #expect(f.doubles("_P_Object0_")[r] >= 0.3 && f.doubles("_P_Object0_")[r] <= 1)
            }
            #expect(hits >= 24, "\(hits) of 32 images: best box right")
            // the same weights under a COCO model write the same boxes as pixel corners
            try await Self.buildDetector(c, name: "det_coco", coordType: "COCO")
            try await ok(c, "deepLearn.dlScore", ["table": "objects", "modelTable": "det_coco", "initWeights": "det_w", "copyVars": ["idjoin"],
                                                  "casOut": ["name": "found_coco", "replace": true]])
            let g = try await fetch(c, "found_coco")
            #expect(g.rowCount == f.rowCount && g.column("_Object0_xmin") != nil, "\(g.columns.map(\.name))")
            for r in 0..<min(g.rowCount, f.rowCount) where f.doubles("_nObjects_")[r] >= 1 && g.column("_Object0_xmin") != nil {
                let (x, y, w, h) = (f.doubles("_Object0_x")[r], f.doubles("_Object0_y")[r], f.doubles("_Object0_width")[r], f.doubles("_Object0_height")[r])
                let want = [(x - w / 2) * 32, (y - h / 2) * 32, (x + w / 2) * 32, (y + h / 2) * 32]
                let got = ["xmin", "ymin", "xmax", "ymax"].map { g.doubles("_Object0_\($0)")[r] }
                #expect(zip(want, got).allSatisfy { abs($0 - $1) < 1e-3 }, "row \(r): \(got) vs \(want)")
            }
            // without dataSpecs dlTrain finds the same object columns itself
            let again = try await Self.train(c, epochs: 1, specs: false)
            #expect(again.disposition.severity == .normal, "\(again.errorText)")
        }
    }

    @Test func badDetectionInputIsRefusedNamingTheProblem() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await ok(c, "deepLearn.buildModel", ["model": ["name": "bad", "replace": true], "type": "CNN"])
            func layer(_ extra: ValueDict) -> ValueDict {
                var d: ValueDict = ["type": "detection", "classNumber": 2, "anchors": [1, 1]]
                for (k, v) in extra.entries { d[k] = v }
                return ["model": "bad", "name": "d", "layer": .dict(d)]
            }
            try await fails(c, "deepLearn.addLayer", layer(["randomBoxes": true]), "randomBoxes", "not supported")
            try await fails(c, "deepLearn.addLayer", layer(["detectionModelType": "YOLOV1"]), "YOLOV2")
            try await fails(c, "deepLearn.addLayer", layer(["anchors": [1, 1, 2]]), "width, height pairs")
            try await fails(c, "deepLearn.addLayer", layer(["anchors": [1, -1]]), "anchor size")
            try await fails(c, "deepLearn.addLayer", layer(["predictionsPerGrid": 3]), "predictionsPerGrid=3", "1 anchors")
            try await fails(c, "deepLearn.addLayer", layer(["maxLabelPerImage": .int(Int64.max)]), "maxLabelPerImage")
            try await fails(c, "deepLearn.addLayer", ["model": "bad", "name": "d", "layer": ["type": "detection", "anchors": [1, 1]]], "classNumber")

            _ = try await Self.addObjects(c, n: 8)
            try await Self.buildDetector(c)
            // a column the spec names that the table lacks; a spec for the wrong layer; a text model's spec
            var specs: Value = [["type": "OBJECTDETECTION", "layer": "Detection1", "data": ["_nObjects_", "_Object0_", "_Object0_x", "_Object0_y", "_Object0_w", "_Object0_height"]]]
            try await fails(c, "deepLearn.dlTrain", ["table": "objects", "modelTable": "det", "dataSpecs": specs], "_Object0_w", "does not exist")
            specs = [["type": "OBJECTDETECTION", "layer": "Convo1", "data": .list(Self.targets)]]
            try await fails(c, "deepLearn.dlTrain", ["table": "objects", "modelTable": "det", "dataSpecs": specs], "Convo1", "detection layer")
            specs = [["type": "TEXT", "layer": "Input1", "data": ["_image_"]]]
            try await fails(c, "deepLearn.dlTrain", ["table": "objects", "modelTable": "det", "dataSpecs": specs], "TEXT")
            // a box without area, a count beyond the columns, three classes for a two-class layer: named by row
            _ = try await Self.addObjects(c, "flat", n: 8) { i, row in if i == 3 { row[6] = .double(0) } }
            try await fails(c, "deepLearn.dlTrain", ["table": "flat", "modelTable": "det"], "Row 4", "no area")
            _ = try await Self.addObjects(c, "wide", n: 8) { i, row in if i == 5 { row[6] = .double(5) } }
            try await fails(c, "deepLearn.dlTrain", ["table": "wide", "modelTable": "det"], "Row 6", "wider or taller than the image")
            _ = try await Self.addObjects(c, "counted", n: 8) { i, row in if i == 2 { row[2] = 7 } }
            try await fails(c, "deepLearn.dlTrain", ["table": "counted", "modelTable": "det"], "Row 3", "_nObjects_")
            _ = try await Self.addObjects(c, "three", n: 8) { i, row in if i == 1 { row[3] = "green" } }
            try await fails(c, "deepLearn.dlTrain", ["table": "three", "modelTable": "det"], "3 object classes", "classNumber=2")
            // augmentation that would move the image but not its boxes
            try await ok(c, "deepLearn.addLayer", ["model": "det", "name": "Input1", "replace": true,
                                                   "layer": ["type": "input", "nChannels": 3, "width": 32, "height": 32, "randomCrop": "RANDOMRESIZED"]])
            try await fails(c, "deepLearn.dlTrain", ["table": "objects", "modelTable": "det"], "RANDOMRESIZED", "boxes")
            // a model table edited by hand: values addLayer would never have stored are named, not used
            try await ok(c, "deepLearn.addLayer", ["model": "det", "name": "Input1", "replace": true,
                                                   "layer": ["type": "input", "nChannels": 3, "width": 32, "height": 32]])
            for (key, edit, named) in [("classNumber", "_DLNumVal_ = 2.5", "classNumber 2.5"), ("doSqrt", "_DLNumVal_ = 17", "doSqrt 17"),
                                       ("coordType", "_DLChrVal_ = 'FOO'", "coordType FOO"),
                                       ("predictionsPerGrid", "_DLNumVal_ = 1000", "predictionsPerGrid 1000")] {
                try await ok(c, "dataStep.runCode", ["code": .string("data edited; set det; if _DLKey1_ = 'detectionopts.\(key)' then \(edit); run;")])
                try await fails(c, "deepLearn.dlTrain", ["table": "objects", "modelTable": "edited"], named, "rebuild the layer")
            }
            // the server is still up and the table intact
            #expect(try await fetch(c, "objects").rowCount == 8)
        }
    }
}
