import CASCore
import CASWire
import CheckedSize
import DLEngine

/// The one place that decides the rules of a model ending in a YOLO v2 `detection` layer (decision 022): its
/// options (from addLayer or a model table anyone may edit), the object columns of a table (DLPy's
/// `create_object_detection_table` layout: `_nObjects_`, then `_Object<i>_` with the class and four coordinate
/// columns per object, named by coordType), and the boxes they hold, as the engine's image-relative centre boxes.
struct DetectionTargets: Sendable {
    let layer: String
    let options: YoloOptions
    /// YOLO, COCO or RECT.
    let coordType: String
    /// The input images' size: COCO and RECT coordinates are pixels of it.
    let width: Int
    let height: Int
    let threshold: Float
    let iouThreshold: Float
    let maxBoxes: Int

    /// Coordinate column suffixes of each coordType (DLPy's names).
    static func suffixes(_ coordType: String) -> [String] {
        coordType == "COCO" ? ["xmin", "ymin", "xmax", "ymax"] : ["x", "y", "width", "height"]
    }
    var suffixes: [String] { Self.suffixes(coordType) }

    /// addLayer's defaults and cross-checks of a detection layer's options.
    static func complete(_ s: inout LayerSpec) throws(ActionError) {
        guard let anchors = s.list("anchors"), !anchors.isEmpty else {
            throw ActionError(.parameterValue, "Detection layer '\(s.name)' needs anchors: width and height (in grid cells) of each of its predictionsPerGrid anchor boxes, e.g. anchors={1.08, 1.19, 3.42, 4.41} (DLPy: dlpy.utils.get_anchors).",
                              parameter: "layer.anchors")
        }
        guard anchors.count % 2 == 0 else {
            throw ActionError(.parameterValue, "Detection layer '\(s.name)' has \(anchors.count) anchor values; anchors are width, height pairs.", parameter: "layer.anchors")
        }
        if let bad = anchors.first(where: { !($0 > 0 && $0 <= Double(Limits.maxImageSide)) }) {
            throw ActionError(.parameterValue, "Detection layer '\(s.name)' has anchor size \(bad); anchor sizes are grid cells, above 0 and at most \(Limits.maxImageSide).",
                              parameter: "layer.anchors")
        }
        let pairs = anchors.count / 2
        if let p = s.int("predictionspergrid"), p != pairs {
            throw ActionError(.parameterValue, "Detection layer '\(s.name)' has predictionsPerGrid=\(p) but \(pairs) anchors (\(anchors.count) values); give one width, height pair per prediction.",
                              parameter: "layer.predictionsPerGrid")
        }
        s.numbers["predictionspergrid"] = Double(pairs)
        guard s.int("classnumber") != nil else {
            throw ActionError(.parameterValue, "Detection layer '\(s.name)' needs classNumber (the number of object classes; its source needs predictionsPerGrid × (5 + classNumber) channels).",
                              parameter: "layer.classNumber")
        }
        let defaults: [(String, Double)] = [("softmaxforclassprob", 1), ("dosqrt", 1), ("coordscale", 1), ("objectscale", 5), ("predictionnotaobjectscale", 1),
                                            ("classscale", 1), ("detectionthreshold", 0.3), ("iouthreshold", 0.45), ("maxlabelperimage", 30), ("maxboxes", 30)]
        for (key, value) in defaults where s.numbers[key] == nil { s.numbers[key] = value }
        for (key, value) in [("coordtype", "RECT"), ("detectionmodeltype", "YOLOV2"), ("act", "AUTO")] where s.words[key] == nil { s.words[key] = value }
    }

    /// The engine options of a detection spec, every value checked again (a model table is a table anyone may edit).
    static func options(_ s: LayerSpec) throws(ActionError) -> YoloOptions {
        func bad(_ what: String) -> ActionError {
            ActionError(.parameterValue, "Detection layer '\(s.name)' has \(what) in its model table; rebuild the layer with deepLearn.addLayer.", parameter: "modelTable")
        }
        let anchors = s.list("anchors") ?? []
        guard !anchors.isEmpty, anchors.count % 2 == 0, anchors.allSatisfy({ $0 > 0 && $0 <= Double(Limits.maxImageSide) }) else {
            throw bad("anchors \(anchors.prefix(6)) (width, height pairs above 0 are needed)")
        }
        // whole numbers and on/off flags as addLayer would have stored them (2.5 classes or doSqrt=17 are edits)
        for key in ["classnumber", "maxlabelperimage", "gridnumber", "predictionspergrid", "maxboxes"] {
            if let v = s.number(key), v != v.rounded() { throw bad("\(ModelTable.casSpelling[key] ?? key) \(v) (a whole number)") }
        }
        for key in ["dosqrt", "softmaxforclassprob"] {
            if let v = s.number(key), v != 0, v != 1 { throw bad("\(ModelTable.casSpelling[key] ?? key) \(v) (0 or 1)") }
        }
        for key in ["coordtype", "detectionmodeltype"] {
            if let w = s.word(key), !Enumerations.allowed(key).contains(w) {
                throw bad("\(ModelTable.casSpelling[key] ?? key) \(w) (one of \(Enumerations.allowed(key).joined(separator: ", ")))")
            }
        }
        guard let classes = s.int("classnumber"), (1...65_536).contains(classes) else { throw bad("classNumber \(s.number("classnumber") ?? .nan)") }
        if let p = s.int("predictionspergrid"), p != anchors.count / 2 {
            throw bad("predictionsPerGrid \(p) for \(anchors.count / 2) anchors (one prediction per anchor)")
        }
        let maxLabels = s.int("maxlabelperimage") ?? 30
        guard (1...Limits.maxObjectsPerImage).contains(maxLabels) else { throw bad("maxLabelPerImage \(maxLabels) (1 to \(Limits.maxObjectsPerImage))") }
        var scales: [Float] = []
        for (key, d) in [("coordscale", 1.0), ("objectscale", 5), ("predictionnotaobjectscale", 1), ("classscale", 1)] {
            let v = s.number(key) ?? d
            guard v >= 0, v <= 1e6 else { throw bad("\(key) \(v) (0 to 1e6)") }
            scales.append(Float(v))
        }
        guard s.word("detectionmodeltype") ?? "YOLOV2" == "YOLOV2" else { throw bad("detectionModelType \(s.word("detectionmodeltype")!)") }
        guard ["AUTO", "LOGISTIC", "SIGMOID"].contains(s.word("act") ?? "AUTO") else { throw bad("act \(s.word("act")!)") }
        return YoloOptions(classes: classes, anchors: anchors.map(Float.init), softmaxClasses: s.number("softmaxforclassprob") != 0,
                           doSqrt: s.number("dosqrt") != 0, coordScale: scales[0], objectScale: scales[1], noObjectScale: scales[2],
                           classScale: scales[3], maxLabels: maxLabels, grid: s.int("gridnumber"))
    }

    /// The model's detection output, or nil when it has none. A detection layer that is not the output is an error.
    init?(_ m: ModelTable, _ engine: Model) throws(ActionError) {
        guard let spec = m.layers.last(where: { $0.kind == .detection }) else { return nil }
        guard let out = engine.outputLayer as? YoloDetectionLayer, out.name == spec.name else {
            throw ActionError(.parameterValue, "Detection layer '\(spec.name)' of model \(m.modelName) must be the model's output (the layer nothing reads).",
                              parameter: "modelTable")
        }
        guard let input = engine.inputLayer as? InputLayer else {
            throw ActionError(.parameterValue, "The model needs an input layer.", parameter: "modelTable")
        }
        let threshold = spec.number("detectionthreshold") ?? 0.3, iou = spec.number("iouthreshold") ?? 0.45, boxes = spec.int("maxboxes") ?? 30
        guard (0...1).contains(threshold), (0...1).contains(iou), (1...Limits.maxObjectsPerImage).contains(boxes) else {
            throw ActionError(.parameterValue, "Detection layer '\(spec.name)' has detectionThreshold \(threshold), iouThreshold \(iou), maxBoxes \(boxes) in its model table; thresholds are 0 to 1, maxBoxes 1 to \(Limits.maxObjectsPerImage).",
                              parameter: "modelTable")
        }
        layer = spec.name
        options = out.options
        coordType = spec.word("coordtype") ?? "RECT"
        (height, width) = (input.shape[0], input.shape[1])
        self.threshold = Float(threshold)
        iouThreshold = Float(iou)
        maxBoxes = boxes
    }

    /// Where a table keeps its objects: an optional count column, then per object the class column and four coordinates.
    struct Columns: Sendable {
        var count: String?
        var objects: [(cls: String, coords: [String])]
    }

    /// The object columns: those a dataSpecs entry names (`_nObjects_` first when listed, then five per object),
    /// else the table's own `_Object<i>_` columns with this coordType's coordinate names.
    func columns(_ t: DataTable, named: [String]?, parameter: String) throws(ActionError) -> Columns {
        var names = named ?? []
        var count: String?
        if let n = named {
            if let first = n.first, first.lowercased() == "_nobjects_" || n.count % 5 == 1 { count = first; names.removeFirst() }
            guard !names.isEmpty, names.count % 5 == 0 else {
                throw ActionError(.parameterValue, "The OBJECTDETECTION data spec for layer '\(layer)' lists \(n.count) columns; it needs the count column (_nObjects_) and then five per object: class, then \(suffixes.joined(separator: ", ")).",
                                  parameter: "dataSpecs")
            }
        } else {
            count = t.column("_nObjects_")?.name
            for i in 0..<options.maxLabels {
                guard t.column("_Object\(i)_") != nil else { break }
                names += ["_Object\(i)_"] + suffixes.map { "_Object\(i)_\($0)" }
            }
            guard !names.isEmpty else {
                throw ActionError(.parameterValue, "Table \(t.name) has no object columns for detection layer '\(layer)' (coordType \(coordType): _Object0_, \(suffixes.map { "_Object0_\($0)" }.joined(separator: ", ")), …); build it with DLPy's create_object_detection_table or name the columns in dataSpecs.",
                                  parameter: parameter)
            }
        }
        let objects = stride(from: 0, to: names.count, by: 5).map { (cls: names[$0], coords: Array(names[($0 + 1)..<($0 + 5)])) }
        guard objects.count <= options.maxLabels else {
            throw ActionError(.parameterValue, "The table's \(objects.count) objects per image are more than detection layer '\(layer)''s maxLabelPerImage (\(options.maxLabels)); raise maxLabelPerImage (addLayer) or name fewer object columns.",
                              parameter: named == nil ? parameter : "dataSpecs")
        }
        for c in (count.map { [$0] } ?? []) + names where t.column(c) == nil {
            throw ActionError(.notFound, "Column '\(c)' (objects of detection layer '\(layer)') does not exist in table \(t.name).", parameter: named == nil ? parameter : "dataSpecs")
        }
        for o in objects {
            for c in o.coords + (count.map { [$0] } ?? []) where t.column(c)!.type == .varchar || t.column(c)!.type == .varbinary {
                throw ActionError(.parameterValue, "Column '\(c)' of table \(t.name) must be numeric (a box coordinate or the object count) for detection layer '\(layer)'.",
                                  parameter: named == nil ? parameter : "dataSpecs")
            }
        }
        return Columns(count: count, objects: objects)
    }

    /// One row's objects: (class text, image-relative centre box). The count column (when there is one) says how many
    /// objects are read; without it every object whose class is not blank. A box that is not finite, has no area
    /// or whose centre lies outside the image is an error naming row, object and column.
    func objects(_ t: DataTable, row r: Int, _ c: Columns, parameter: String) throws(ActionError) -> [(String, DetectionBox)] {
        var n = c.objects.count
        if let count = c.count, let v = t.column(count)!.data.double(at: r) {
            guard v >= 0, v <= Double(c.objects.count), v == v.rounded() else {
                throw ActionError(.parameterValue, "Row \(r + 1) of table \(t.name) has \(count) = \(Fixed.text(v, 3)); it must be a whole number from 0 to the \(c.objects.count) objects the table has columns for.",
                                  parameter: parameter)
            }
            n = Int(v)
        }
        var out: [(String, DetectionBox)] = []
        for (i, o) in c.objects.prefix(n).enumerated() {
            let cell = t.column(o.cls)!.data.value(at: r)
            let text = cell.isNull ? "" : LevelText.text(cell).trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                if c.count == nil { continue }
                throw ActionError(.parameterValue, "Row \(r + 1) of table \(t.name) counts \(n) objects but object \(i) has no class in \(o.cls).", parameter: parameter)
            }
            var v: [Double] = []
            for name in o.coords {
                guard let d = t.column(name)!.data.double(at: r), d.isFinite else {
                    throw ActionError(.parameterValue, "Row \(r + 1) of table \(t.name): object \(i) (\(text)) has no value in \(name).", parameter: parameter)
                }
                v.append(d)
            }
            let (W, H) = (Double(width), Double(height))
            let box: DetectionBox = switch coordType {
            case "YOLO": DetectionBox(x: Float(v[0]), y: Float(v[1]), w: Float(v[2]), h: Float(v[3]))
            case "COCO": DetectionBox(x: Float((v[0] + v[2]) / 2 / W), y: Float((v[1] + v[3]) / 2 / H), w: Float((v[2] - v[0]) / W), h: Float((v[3] - v[1]) / H))
            default: DetectionBox(x: Float((v[0] + v[2] / 2) / W), y: Float((v[1] + v[3] / 2) / H), w: Float(v[2] / W), h: Float(v[3] / H))
            }
            // at most the image's size (a thousandth over for rounding in the annotation)
            guard box.w > 0, box.h > 0, box.w <= 1.001, box.h <= 1.001, (0...1).contains(box.x), (0...1).contains(box.y) else {
                throw ActionError(.parameterValue, "Row \(r + 1) of table \(t.name): object \(i) (\(text)) has box \(zip(o.coords, v).map { "\($0)=\(Fixed.text($1, 4))" }.joined(separator: " ")), which with coordType=\(coordType)\(coordType == "YOLO" ? "" : " on \(width)x\(height) images") has no area, a centre outside the image, or is wider or taller than the image.",
                                  parameter: parameter)
            }
            out.append((text, box))
        }
        return out
    }

    /// The objects of every decoded image's row, read once (`objects(_:row:_:parameter:)`).
    func objects(_ images: ImageSamples, _ t: DataTable, _ c: Columns, parameter: String) throws(ActionError) -> [[(String, DetectionBox)]] {
        try images.rows.map { row throws(ActionError) in try objects(t, row: row, c, parameter: parameter) }
    }

    /// Training samples: the decoded images and their `objects` (`levels` gives the class indices; a class not among
    /// them is an error naming the image's row). The boxes are charged to the session's memory first.
    func samples(_ images: ImageSamples, _ objects: [[(String, DetectionBox)]], table: String, levels: [String], parameter: String,
                 _ ctx: ActionContext) throws(ActionError) -> BoxDataSource {
        let per = options.maxLabels * 5
        let bytes = images.count.multipliedReportingOverflow(by: per * MemoryLayout<Float>.size)
        try ctx.reserve(bytes.overflow ? Int.max : bytes.partialValue, for: "boxes of \(images.count) images of table \(table)")
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($0.element, $0.offset) })
        var targets = [Float](repeating: -1, count: images.count * per)
        for (k, row) in images.rows.enumerated() {
            for (i, (cls, box)) in objects[k].enumerated() {
                guard let ci = index[cls] else {
                    throw ActionError(.parameterValue, "Row \(row + 1) of table \(table) has object class '\(cls)', which the training table does not have (\(levels.prefix(10).joined(separator: ", "))).",
                                      parameter: parameter)
                }
                targets.replaceSubrange((k * per + i * 5)..<(k * per + i * 5 + 5), with: [Float(ci), box.x, box.y, box.w, box.h])
            }
        }
        return BoxDataSource(values: images.values, targets: targets, sampleShape: images.shape, maxLabels: options.maxLabels)
    }

    /// The object classes of `objects` (the training rows'), sorted: the class indices. More than the layer's classNumber is an error.
    func levels(_ objects: [[(String, DetectionBox)]], table t: DataTable, _ c: Columns, parameter: String) throws(ActionError) -> [String] {
        let seen = Set(objects.joined().map(\.0))
        guard !seen.isEmpty else {
            throw ActionError(.parameterValue, "Table \(t.name) has no objects in its object columns (\(c.objects.first?.cls ?? "")…) for detection layer '\(layer)'.", parameter: parameter)
        }
        guard seen.count <= options.classes else {
            throw ActionError(.parameterValue, "Table \(t.name) has \(seen.count) object classes (\(seen.sorted().prefix(10).joined(separator: ", "))) but detection layer '\(layer)' has classNumber=\(options.classes); rebuild it (and the convolution before it: predictionsPerGrid × (5 + classes) filters) with classNumber=\(seen.count).",
                              parameter: parameter)
        }
        return seen.sorted()
    }
}
