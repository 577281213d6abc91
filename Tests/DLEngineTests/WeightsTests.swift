import Foundation
import Testing
@testable import DLEngine

@Suite("Engine weights format")
struct WeightsTests {
    @Test("save then load reproduces parameters, buffers and predictions")
    func roundTrip() throws {
        let a = try Model(layers: branchyLayers(), seed: 1)
        try a.forward(randomTensor([2, 5, 5, 2], seed: 4), training: true)   // move the BN running stats off their init
        let b = try Model(layers: branchyLayers(), seed: 2)
        #expect(a.parameters.array != b.parameters.array)
        try b.loadWeights(a.saveWeights())
        #expect(a.parameters.array == b.parameters.array && a.buffers.array == b.buffers.array)
        let x = randomTensor([3, 5, 5, 2], seed: 9)
        #expect(try a.forward(x, training: false).array == b.forward(x, training: false).array)
    }

    @Test("names follow <layer>.<parameter> with torch shapes")
    func names() throws {
        let m = try Model(layers: branchyLayers())
        let names = m.namedBlocks.map(\.name)
        #expect(names.prefix(4) == ["a.weight", "a.bias", "b.weight", "b.bias"])
        #expect(names.contains("bn.running_var") && names.contains("fc.weight"))
        #expect(m.namedBlocks.first { $0.name == "a.weight" }!.block.shape == [4, 2, 3, 3])
        #expect(m.namedBlocks.first { $0.name == "fc.weight" }!.block.shape == [3, 8])
    }

    @Test("mismatches are listed and nothing is changed")
    func mismatches() throws {
        let m = try Model(layers: branchyLayers(), seed: 1)
        var tensors = m.exportWeights()
        tensors.removeAll { $0.name == "b.bias" }
        tensors[0].values = tensors[0].values.map { $0 + 1 }
        tensors[0].shape = [4, 2, 9]
        tensors.append(NamedTensor(name: "extra.weight", shape: [1], values: [0]))
        let before = m.parameters.array
        do {
            try m.loadWeights(tensors)
            Issue.record("expected a mismatch error")
        } catch let e as EngineError {
            #expect(e.code == .weightsMismatch)
            #expect(e.message.contains("b.bias") && e.message.contains("a.weight") && e.message.contains("extra.weight"))
        }
        #expect(m.parameters.array == before)
    }

    @Test("skipping a head with a different class count")
    func skipHead() throws {
        let source = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 4, seed: 1)
        let target = try ModelBuilders.smallCNN(inputShape: [8, 8, 1], classes: 2, seed: 2)
        let headBefore = target.layer(named: "fc")!.parameters.map { Array($0.value) }
        #expect(throws: EngineError.self) { try target.loadWeights(source.saveWeights()) }
        try target.loadWeights(source.saveWeights(), skipLayers: ["fc"])
        #expect(target.layer(named: "fc")!.parameters.map { Array($0.value) } == headBefore)
        #expect(Array(target.layer(named: "conv1")!.parameters[0].value) == Array(source.layer(named: "conv1")!.parameters[0].value))
    }

    @Test("corrupt files are refused")
    func corrupt() throws {
        #expect(throws: EngineError.self) { try WeightsFile.decode(Data("hello".utf8)) }
        var data = try WeightsFile.encode([NamedTensor(name: "x", shape: [3], values: [1, 2, 3])])
        #expect(try WeightsFile.decode(data) == [NamedTensor(name: "x", shape: [3], values: [1, 2, 3])])
        data.removeLast(4)
        #expect(throws: EngineError.self) { try WeightsFile.decode(data) }
    }
}
