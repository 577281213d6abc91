import CASClient
import CASCore
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// dlScore layerOut= (feature maps, DLPy's get_feature_maps / get_features), dlExportModel casOut=
/// and the astore set.
@Suite("deepLearn layerOut and analytic stores", .serialized)
struct LayerOutTests {
    /// The trained small CNN scoring `valid`; WIDE activations of the input, conv1 and the output.
    @Test func featureMapsHoldTheActivationsTheModelComputed() async throws {
        try await TestServer.start(sets: allSets).run { s in try await Self.featureMaps(s) }
    }

    static func featureMaps(_ s: TestServer) async throws {
        do {
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 2, valid: false))
            let base: ValueDict = ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "copyVars": ["_id_", "_image_"],
                                   "casOut": ["name": "scored", "replace": true]]
            let wide = try await ok(c, "deepLearn.dlScore", base.merging([
                "layerOut": ["name": "acts", "replace": true], "layers": ["data", "CONV1", "output"], "layerImageType": "wide"]))
            #expect(try wide.table("OutputCasTables").strings("Name").contains("acts"))
            let scored = try await fetchAll(c, "scored"), acts = try await fetchAll(c, "acts")
            #expect(acts.rowCount == scored.rowCount && acts.rowCount > 0)
            // 16·16·3 input values, 16·16·8 conv1 values, 2 probabilities; nothing else
            #expect(acts.columns.count == 768 + 2048 + 2)
            #expect(acts.columns.first?.name == "_LayerAct_0_0_" && acts.columns.last?.name == "_LayerAct_5_1_")
            for r in 0..<acts.rowCount {
                // the output layer's values are the scored probabilities
                for (k, level) in ["A", "B"].enumerated() {
                    let p = acts.columns.first { $0.name == "_LayerAct_5_\(k)_" }!.data.double(at: r)!
                    #expect(abs(p - scored.columns.first { $0.name == "P__label_\(level)" }!.data.double(at: r)!) < 1e-6)
                }
                // the input layer's channel planes are the image's planes × scale (1/255), row by row
                guard case .varbinary(let blobs) = scored.column("_image_")!.data, let bytes = blobs[r] else { Issue.record("no image"); return }
                let img = try ImageCodec.decode(bytes, as: .rgb)
                for ch in 0..<3 {
                    let plane = (0..<256).map { acts.columns[ch * 256 + $0].data.double(at: r)! }
                    let matches = (0..<3).contains { src in
                        (0..<256).allSatisfy { p in abs(plane[p] - Double(img[p % 16, p / 16, src]) / 255) < 1e-6 }
                    }
                    #expect(matches, "row \(r) channel \(ch) is not one of the image's planes in row-major order")
                }
            }
            // JPG: one grayscale image per channel of every spatial layer (DLPy counts them per layer)
            let jpg = try await ok(c, "deepLearn.dlScore", base.merging(["layerOut": ["name": "maps", "replace": true], "layerImageType": "JPG"]))
            #expect(jpg.logs.contains { $0.message.contains("into table maps") })
            let maps = try await fetchAll(c, "maps")
            var perLayer: [Int: Int] = [:]
            for col in maps.columns {
                let parts = col.name.split(separator: "_", omittingEmptySubsequences: false)
                #expect(parts.count == 6 && parts[1] == "LayerAct" && parts[3] == "IMG", "\(col.name)")
                perLayer[Int(parts[2])!, default: 0] = max(perLayer[Int(parts[2])!] ?? 0, Int(parts[4])! + 1)
                #expect(col.attributes["MIMEType"]?.stringValue == "image/jpeg")
            }
            #expect(perLayer == [0: 3, 1: 8, 2: 8, 3: 8, 4: 8])
            // conv1 channel maps: the WIDE values scaled min..max to 0..255, within JPEG's loss
            for ch in 0..<8 {
                guard case .varbinary(let cells) = maps.column("_LayerAct_1_IMG_\(ch)_")!.data, let jpeg = cells[0] else { Issue.record("no map"); return }
                let img = try ImageCodec.decode(jpeg)
                #expect(img.width == 16 && img.height == 16 && img.format == .gray)
                let v = (0..<256).map { p in acts.columns[768 + ch * 256 + p].data.double(at: 0)! }
                let lo = v.min()!, hi = v.max()!
                guard hi > lo else { continue }
                let diff = (0..<256).map { p in abs(Double(img[p % 16, p / 16, 0]) - (v[p] - lo) / (hi - lo) * 255) }
                #expect(diff.reduce(0, +) / 256 < 4, "channel \(ch): mean difference \(diff.reduce(0, +) / 256)")
            }
        }
    }

    @Test func layerOutErrorsNameTheParameter() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false))
            let base: ValueDict = ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "layerOut": ["name": "acts"]]
            try await fails(c, "deepLearn.dlScore", base.merging(["layers": ["conv9"]]), "Layer 'conv9'", "layers[1]", "conv1")
            try await fails(c, "deepLearn.dlScore", base.merging(["layers": ["output"]]), "no spatial output", "WIDE")
            try await fails(c, "deepLearn.dlScore", base.merging(["layerImageType": "png"]), "layerImageType")
            try await fails(c, "deepLearn.dlScore", base.merging(["layerOut": ["name": "valid"]]), "layerOut", "valid")
            // nothing was written by the failed calls
            try await fails(c, "table.columnInfo", ["table": "acts"], "acts")
        }
    }

    /// A model table of more than Limits.maxModelLayers layers is refused (a crafted analytic store of
    /// 100 000 layers held both cores for minutes); a layer named twice in layers= is refused.
    @Test func hugeModelsAndRepeatedLayersAreRefused() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 4)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false))
            try await fails(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "layerOut": ["name": "a"],
                                                     "layers": ["conv1", "CONV1"]], "named twice", "layers[2]")
            let n = Limits.maxModelLayers + 1
            let rows: [Value] = (0..<n).map { i in [.string("l\(i)"), "layertype", .string(i == 0 ? "Input" : "Full Connect"), .double(1), .double(Double(i))] }
            try await ok(c, "table.addTable", ["table": "big", "vars": [["name": "_DLKey0_", "type": "varchar"], ["name": "_DLKey1_", "type": "varchar"],
                                                                        ["name": "_DLChrVal_", "type": "varchar"], ["name": "_DLNumVal_"], ["name": "_DLLayerID_"]],
                                               "rows": .list(rows)])
            try await fails(c, "deepLearn.modelInfo", ["model": "big"], "more than \(Limits.maxModelLayers) layers", "model")
            try await ok(c, "builtins.ping")
        }
    }

    /// dlExportModel casOut= → astore.download → astore.upload → extract → the same scores.
    @Test func analyticStoreRoundTripsAndScoresTheSame() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 2, valid: false))
            try await ok(c, "builtins.loadActionSet", ["actionSet": "astore"])
            try await fails(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w"], "path=", "casOut=")
            let e = try await ok(c, "deepLearn.dlExportModel", ["modelTable": "cnn", "initWeights": "cnn_w",
                                                                 "casOut": ["name": "cnn_astore", "replace": true], "randomCrop": "none"])
            #expect(try e.table("OutputCasTables").strings("Name") == ["cnn_astore"])
            let d = try await ok(c, "astore.download", ["rstore": "cnn_astore"])
            let blob = try #require(d.results["blob"]?.blobValue)
            #expect(blob.starts(with: Array("CASLITE-ASTORE 2\nblake2b ".utf8)))
            try await ok(c, "astore.upload", ["rstore": ["name": "copy", "replace": true], "store": .blob(blob)])
            let info = try await ok(c, "astore.describe", ["rstore": "copy"])
            #expect(try info.table("Description").info("Levels") == "A, B")
            #expect(try info.table("Layers").rowCount == 6)
            try await ok(c, "astore.extract", ["rstore": "copy", "modelOut": ["name": "cnn2"], "weightsOut": ["name": "cnn2_w"]])
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "casOut": ["name": "s1"]])
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn2", "initWeights": "cnn2_w", "casOut": ["name": "s2"]])
            let a = try await fetchAll(c, "s1"), b = try await fetchAll(c, "s2")
            #expect(a.rowCount > 0 && a.doubles("P__label_A") == b.doubles("P__label_A"))
            // a damaged or foreign blob is refused; nothing is written
            try await fails(c, "astore.upload", ["rstore": ["name": "bad"], "store": .blob(Array(blob.prefix(blob.count / 2)))], "store", "damaged")
            var flipped = blob
            flipped[flipped.count / 2] = UInt8(ascii: "{")
            try await fails(c, "astore.upload", ["rstore": ["name": "bad"], "store": .blob(flipped)], "store", "damaged")
            // a changed digit inside the weights' base64 still parses: the digest catches it
            var digit = blob
            let at = try #require(digit.indices.reversed().first { digit[$0] == UInt8(ascii: "A") })
            digit[at] = UInt8(ascii: "B")
            try await fails(c, "astore.upload", ["rstore": ["name": "bad"], "store": .blob(digit)], "do not match its digest")
            // a version 1 blob (no digest line, as earlier caslite wrote) is still read
            let body = blob.drop { $0 != UInt8(ascii: "\n") }.dropFirst().drop { $0 != UInt8(ascii: "\n") }.dropFirst()
            try await ok(c, "astore.upload", ["rstore": ["name": "v1", "replace": true], "store": .blob(Array("CASLITE-ASTORE 1\n".utf8) + Array(body))])
            #expect(try await ok(c, "astore.describe", ["rstore": "v1"]).table("Description").info("Levels") == "A, B")
            try await fails(c, "astore.upload", ["rstore": ["name": "bad"], "store": .blob(Array("SASASTORE".utf8))], "not a caslite analytic store")
            try await fails(c, "astore.describe", ["rstore": "valid"], "is not an analytic store", "rstore")
        }
    }
}
