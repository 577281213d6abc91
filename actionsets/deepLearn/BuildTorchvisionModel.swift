import CASCore
import CASWire
import DLEngine

/// `deepLearn.buildTorchvisionModel`: a whole model table in one call — ResNet-18/50 or MobileNetV2 with
/// torchvision's topology and layer names, so torchvision .pth weights import by name
/// (docs/decisions/005-model-builders.md).
struct BuildTorchvisionModel: Action {
    static let name = "buildTorchvisionModel"
    static let summary = "Builds a ResNet-18, ResNet-50 or MobileNetV2 model table (torchvision topology and names) with nClasses outputs."
    static let model = P.outTable("model", "The model table to create (a string names it).", required: true)
    static let architecture = P.string("architecture", "The network.", allowed: ["RESNET18", "RESNET50", "MOBILENETV2"])
    static let nClasses = P.int("nClasses", "Number of classes of the output layer.", default: 1000, min: 1)
    static let width = P.int("width", "Input image width.", default: 224, min: 8)
    static let height = P.int("height", "Input image height.", default: 224, min: 8)
    static let nChannels = P.int("nChannels", "Input channels.", default: 3, min: 1)
    static let normalization = P.string("normalization", "IMAGENET: scale 1/255, torchvision's ImageNet mean and std (what its weights expect), in BGR order like the images (docs/deeplearn.md); NONE.",
                                        default: "IMAGENET", allowed: ["IMAGENET", "NONE"])
    static let parameters = [model.spec, architecture.spec, nClasses.spec, width.spec, height.spec, nChannels.spec, normalization.spec]

    static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let out = args[model]
        guard let name = out.name, !name.isEmpty else { throw ActionError(.parameterMissing, "Parameter 'model.name' is required.", parameter: "model.name") }
        let shape = [args[height], args[width], args[nChannels]], k = args[nClasses]
        let norm: ModelBuilders.InputNormalization = args[normalization] == "IMAGENET" && shape[2] == 3 ? ChannelOrder.imageNetBGR : .none
        let layers: [Layer] = switch args[architecture] {
        case "RESNET18": ModelBuilders.resNet18Layers(classes: k, inputShape: shape, normalization: norm)
        case "RESNET50": ModelBuilders.resNet50Layers(classes: k, inputShape: shape, normalization: norm)
        default: ModelBuilders.mobileNetV2Layers(classes: k, inputShape: shape, normalization: norm)
        }
        let m = ModelTable(modelName: name, layers: EngineGraph.specs(layers))
        let t = try await ctx.store(m.table(name: name), out: out, defaultName: name, parameter: "model")
        ctx.note("Model table \(t.name): \(args[architecture]) with \(m.layers.count) layers and \(k) classes.")
        return ["OutputCasTables": .table(.outputCasTables([t]))]
    }
}
