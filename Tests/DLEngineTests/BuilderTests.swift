import Testing
@testable import DLEngine

@Suite("Model builders")
struct BuilderTests {
    /// torchvision parameter counts (sum of p.numel() over model.parameters()) and state_dict sizes.
    @Test("ResNet-18, ResNet-50 and MobileNetV2 have torchvision's parameter counts and names")
    func torchvisionCounts() throws {
        let r18 = try Model(layers: ModelBuilders.resNet18Layers())
        #expect(r18.parameterCount == 11_689_512)
        let r50 = try Model(layers: ModelBuilders.resNet50Layers())
        #expect(r50.parameterCount == 25_557_032)
        #expect(r50.layer(named: "layer4.2.add")!.outputShape == [7, 7, 2048])
        let names = Set(r50.namedBlocks.map(\.name))
        for n in ["conv1.weight", "bn1.running_mean", "layer1.0.downsample.0.weight", "layer3.5.bn3.bias", "fc.weight"] {
            #expect(names.contains(n), "missing \(n)")
        }
        #expect(r50.namedBlocks.first { $0.name == "layer2.0.conv2.weight" }!.block.shape == [128, 128, 3, 3])
        let mnv2 = try Model(layers: ModelBuilders.mobileNetV2Layers())
        #expect(mnv2.parameterCount == 3_504_872)
        // 314 state_dict entries in torchvision minus 52 num_batches_tracked.
        #expect(mnv2.namedBlocks.count == 314 - 52)
        #expect(mnv2.layer(named: "features.18.1")!.outputShape == [7, 7, 1280])
        let m = Set(mnv2.namedBlocks.map(\.name))
        for n in ["features.0.0.weight", "features.1.conv.0.0.weight", "features.1.conv.2.running_var", "features.3.conv.1.0.weight",
                  "features.17.conv.3.bias", "classifier.1.weight"] {
            #expect(m.contains(n), "missing \(n)")
        }
        #expect(mnv2.namedBlocks.first { $0.name == "features.3.conv.1.0.weight" }!.block.shape == [144, 1, 3, 3])
        #expect(mnv2.layers.filter { $0 is ResidualLayer }.count == 10)
    }

    @Test("a narrow ResNet and MobileNetV2 run forward and backward with finite gradients")
    func smallNetworksTrainStep() throws {
        for layers in [ModelBuilders.resNet18Layers(classes: 3, inputShape: [32, 32, 3], width: 8),
                       ModelBuilders.resNet50Layers(classes: 3, inputShape: [32, 32, 3], width: 4),
                       ModelBuilders.mobileNetV2Layers(classes: 3, inputShape: [32, 32, 3], widthMultiplier: 0.25)] {
            let m = try Model(layers: layers, seed: 1)
            let p = try m.forward(randomTensor([2, 32, 32, 3], seed: 2), training: true)
            #expect(p.shape == [2, 3])
            m.zeroGradients()
            try m.backward(labels: [0, 2])
            #expect(m.gradients.array.allSatisfy(\.isFinite) && m.gradients.array.contains { $0 != 0 })
        }
    }
}
