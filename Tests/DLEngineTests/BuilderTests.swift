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

    /// The torch twins' counts (bench/torch/models.py: `sum(p.numel() for p in m.parameters())`; VGG16 and Inception v3
    /// are torchvision's 138,357,544 and 23,834,568 at 1000 classes; the benchmark's 2-class heads only change the last
    /// layer) and state_dict sizes without num_batches_tracked.
    @Test("VGG16, Inception v3 and Tiny YOLOv2 have their torch twins' parameter counts and names")
    func zooCounts() throws {
        let vgg = try Model(layers: ModelBuilders.vgg16Layers())
        #expect(vgg.parameterCount == 138_357_544)
        #expect(vgg.namedBlocks.count == 32)
        #expect(vgg.layer(named: "features.30")!.outputShape == [7, 7, 512])
        #expect(vgg.namedBlocks.first { $0.name == "features.28.weight" }!.block.shape == [512, 512, 3, 3])
        #expect(vgg.namedBlocks.first { $0.name == "classifier.0.weight" }!.block.shape == [4096, 25088])
        #expect(vgg.namedBlocks.contains { $0.name == "classifier.6.bias" })

        let inception = try Model(layers: ModelBuilders.inceptionV3Layers())
        #expect(inception.parameterCount == 23_834_568)
        #expect(inception.namedBlocks.count == 566 - 94)
        for (name, shape) in [("maxpool2", [35, 35, 192]), ("Mixed_5b", [35, 35, 256]), ("Mixed_5d", [35, 35, 288]),
                              ("Mixed_6a", [17, 17, 768]), ("Mixed_6e", [17, 17, 768]), ("Mixed_7a", [8, 8, 1280]),
                              ("Mixed_7c", [8, 8, 2048])] {
            #expect(inception.layer(named: name)!.outputShape == shape, "\(name)")
        }
        let names = Set(inception.namedBlocks.map(\.name))
        for n in ["Conv2d_1a_3x3.conv.weight", "Conv2d_4a_3x3.bn.running_var", "Mixed_6b.branch7x7dbl_5.conv.weight",
                  "Mixed_7c.branch3x3dbl_3b.bn.bias", "fc.weight"] {
            #expect(names.contains(n), "missing \(n)")
        }
        #expect(inception.namedBlocks.first { $0.name == "Mixed_6c.branch7x7_2.conv.weight" }!.block.shape == [160, 160, 1, 7])
        #expect((inception.layer(named: "Mixed_5b.branch1x1.bn") as! BatchNormLayer).epsilon == 0.001)

        let yolo = try Model(layers: ModelBuilders.tinyYoloV2Layers())
        #expect(yolo.parameterCount == 11_078_032)
        #expect(yolo.namedBlocks.count == 49 - 8)
        #expect(yolo.layer(named: "pool5")!.outputShape == [13, 13, 256])
        #expect(yolo.layer(named: "pool6")!.outputShape == [13, 13, 512])
        #expect(yolo.layer(named: "conv9")!.outputShape == [13, 13, 125])
        #expect(yolo.outputLayer is YoloDetectionLayer)
    }

    @Test("a narrow Inception v3, VGG and Tiny YOLOv2 train a step with finite, non-zero gradients")
    func zooTrainStep() throws {
        for layers in [ModelBuilders.inceptionV3Layers(classes: 3, inputShape: [75, 75, 3], width: 0.0625),
                       ModelBuilders.vggLayers(stages: [[4], [8, 8]], classes: 3, inputShape: [16, 16, 3], hidden: 8)] {
            let m = try Model(layers: layers, seed: 1)
            let p = try m.forward(randomTensor([2] + m.inputLayer.outputShape, seed: 2), training: true)
            #expect(p.shape == [2, 3])
            m.zeroGradients()
            try m.backward(labels: [0, 2])
            #expect(m.gradients.array.allSatisfy(\.isFinite) && m.gradients.array.contains { $0 != 0 })
        }
        let options = YoloOptions(classes: 2, anchors: [1, 1, 2, 2], maxLabels: 2)
        let yolo = try Model(layers: ModelBuilders.tinyYoloV2Layers(options: options, size: 64, widths: [2, 2, 4, 4, 4, 4, 8, 4]), seed: 1)
        #expect(yolo.layer(named: "conv9")!.outputShape == [2, 2, 14])
        try yolo.forward(randomTensor([2, 64, 64, 3], seed: 3), training: true)
        yolo.zeroGradients()
        // sample 0: one box (class 1) and an unused slot; sample 1: two boxes
        let targets: [Float] = [1, 0.3, 0.6, 0.2, 0.3, -1, 0, 0, 0, 0,
                                0, 0.7, 0.2, 0.5, 0.4, 1, 0.2, 0.2, 0.1, 0.1]
        try yolo.backward(targets: targets)
        #expect(yolo.detectionLoss(targets: targets).loss > 0)
        #expect(yolo.gradients.array.allSatisfy(\.isFinite) && yolo.gradients.array.contains { $0 != 0 })
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
