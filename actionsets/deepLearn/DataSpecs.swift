import CASCore
import CASWire

/// dlTrain's `dataSpecs` (DLPy's `DataSpec` list): which columns feed which layer. caslite reads the two kinds image
/// models use — IMAGE (the input layer's image column) and OBJECTDETECTION (a detection layer's object columns) —
/// and refuses the text and numeric kinds, which feed models this server does not build.
enum DataSpecKeys: ParamGroup {
    static let type = P.string("type", "What the columns are: IMAGE (an image column for an input layer) or OBJECTDETECTION (the object count and, per object, the class and four coordinates for a detection layer); NUMERICNOMINAL, NUMNOM and TEXT are refused.",
                               allowed: ["IMAGE", "OBJECTDETECTION", "NUMERICNOMINAL", "NUMNOM", "TEXT"])
    static let layer = P.string("layer", "The layer the columns feed (model-table name).")
    static let data = P.stringList("data", "The columns, in order.")
    static let dataLayer = P.optionalString("dataLayer", "The input layer bound to an output layer (accepted; one input layer is supported).")
    static let nominals = P.stringList("nominals", "Nominal columns among data (accepted; object classes are always nominal).")
    static let numericNominalParms = P.value("numericNominalParms", "Numeric-nominal options (only for NUMERICNOMINAL specs, which are refused).")
    static let lossScaleFactor = P.optionalDouble("lossScaleFactor", "Loss weight of a task layer (only 1 is supported).", min: 1, max: 1)
    static let parameters = [type.spec, layer.spec, data.spec, dataLayer.spec, nominals.spec, numericNominalParms.spec, lossScaleFactor.spec]

    /// The image column and the object columns the specs name (nil where no spec names them), checked against the model.
    static func read(_ specs: [Args], _ m: ModelTable) throws(ActionError) -> (image: String?, objects: [String]?) {
        var image: String?, objects: [String]?
        for (i, s) in specs.enumerated() {
            let kind = s[type].uppercased(), name = s[layer].lowercased()
            guard let spec = m.layers.first(where: { $0.name == name }) else {
                throw ActionError(.notFound, "dataSpecs[\(i + 1)]: layer '\(s[layer])' does not exist in model \(m.modelName).", parameter: "dataSpecs")
            }
            switch kind {
            case "IMAGE":
                guard spec.kind == .input else {
                    throw ActionError(.parameterValue, "dataSpecs[\(i + 1)]: an IMAGE spec feeds the input layer, but '\(s[layer])' is a \(spec.kind.label) layer.", parameter: "dataSpecs")
                }
                guard s[data].count == 1 else {
                    throw ActionError(.parameterValue, "dataSpecs[\(i + 1)]: an IMAGE spec names one image column, got \(s[data].count).", parameter: "dataSpecs")
                }
                image = s[data][0]
            case "OBJECTDETECTION":
                guard spec.kind == .detection else {
                    throw ActionError(.parameterValue, "dataSpecs[\(i + 1)]: an OBJECTDETECTION spec feeds a detection layer, but '\(s[layer])' is a \(spec.kind.label) layer.", parameter: "dataSpecs")
                }
                objects = s[data]
            default:
                throw ActionError(.parameterValue, "dataSpecs[\(i + 1)]: type \(kind) feeds text and numeric models, which this server does not build; image models use IMAGE and OBJECTDETECTION specs.",
                                  parameter: "dataSpecs")
            }
        }
        return (image, objects)
    }
}
