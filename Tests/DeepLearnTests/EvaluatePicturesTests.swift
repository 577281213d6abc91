import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// deepLearn.dlEvaluatePictures over a real server: picks by imageType, probability bars equal to the
/// scored table's, the embedded image is the row's image, files, seeded random picks, clear errors.
@Suite("deepLearn evaluation pictures", .serialized)
struct EvaluatePicturesTests {
    /// The data URI's PNG of a picture, decoded.
    static func embedded(_ svg: String) throws -> Image {
        let start = try #require(svg.range(of: "href=\"data:image/png;base64,"))
        let rest = svg[start.upperBound...]
        let b64 = String(rest[..<rest.firstIndex(of: "\"")!])
        return try ImageCodec.decode(try #require(Base64.decode(b64)))
    }

    /// Bars: (level, probability text) in drawing order.
    static func bars(_ svg: String) -> [(String, String)] {
        svg.split(separator: "\n").compactMap { line -> (String, String)? in
            guard line.contains("<rect"), line.contains("text-anchor=\"end\">") else { return nil }
            let texts = line.components(separatedBy: "</text>").compactMap { $0.components(separatedBy: ">").last }.filter { !$0.isEmpty }
            return texts.count >= 2 ? (texts[0], texts[1]) : nil
        }
    }

    @Test func picturesShowTheImageAndItsProbabilities() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await deepLearnSession(s)
            try await addSquares(c, "squares", perClass: 16)
            try await splitSquares(c)
            try await buildSmallCNN(c)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 4, valid: false))
            // 10 new images, three of them labelled with the wrong class: whatever the model learnt, the
            // picks of C and M differ and both are non-empty when it learnt the squares
            var rows: [Value] = []
            for i in 0..<10 {
                let a = i % 2 == 0, lie = [1, 4, 7].contains(i)
                let img = try squareImage(classA: a, seed: UInt64(9000 + i))
                rows.append([.int(Int64(100 + i)), .string((a != lie) ? "A" : "B"), .blob(img.rawBytes())])
            }
            try await ok(c, "table.addTable", ["table": "evalset", "replace": true, "vars": [
                ["name": "_id_", "type": "int64"], ["name": "_label_", "type": "varchar"], ["name": "_image_", "type": "varbinary"]], "rows": .list(rows)])
            try await ok(c, "deepLearn.dlScore", ["table": "evalset", "modelTable": "cnn", "initWeights": "cnn_w",
                                                  "casOut": ["name": "scored", "replace": true], "copyVars": ["_id_", "_label_"]])
            let scored = try await fetch(c, "scored")
            let ids: [String] = scored.doubles("_id_").map { String(Int($0)) }, actual: [String] = scored.strings("_label_"), predicted: [String] = scored.strings("I__label_")
            let right = Set(ids.indices.filter { actual[$0] == predicted[$0] }.map { ids[$0] })
            let images = try await fetch(c, "evalset", vars: ["_id_", "_image_"])
            #expect(right.count > 0 && right.count < ids.count, "\(right.count) of \(ids.count) right")

            for (type, want) in [("A", Set(ids)), ("C", right), ("M", Set(ids).subtracting(right))] {
                let r = try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "imageType": .string(type),
                                                                         "nImages": 100, "caslib": "casuser", "path": "eval", "replace": true])  // C and M rewrite A's files
                let t = try r.table("EvaluatePictures")
                #expect(Set(t.strings("_id_")) == want, "imageType \(type)")
                #expect(t.strings("_id_") == ids.filter { want.contains($0) }, "table order")  // not randomized
                for row in 0..<t.rowCount {
                    let id: String = t.strings("_id_")[row]
                    let n = try #require(ids.firstIndex(of: id))
                    let svg = String(decoding: try #require(t.column("Picture")?.data.value(at: row).blobValue), as: UTF8.self)
                    #expect(svg.hasPrefix("<svg") && svg.contains("actual \(actual[n]), predicted \(predicted[n])"))
                    // the bars are the scored probabilities, most probable first
                    let b = Self.bars(svg)
                    #expect(b.count == 2)
                    let pA = scored.doubles("P__label_A")[n], pB = scored.doubles("P__label_B")[n]
                    let expected = pA >= pB ? [("A", pA), ("B", pB)] : [("B", pB), ("A", pA)]
                    for (got, exp) in zip(b, expected) {
                        #expect(got.0 == exp.0)
                        #expect(abs((Double(got.1) ?? -1) - exp.1) < 1e-4)
                    }
                    // the embedded picture is the row's image (stored BGR, shown RGB)
                    let imageIDs: [String] = images.doubles("_id_").map { String(Int($0)) }
                    let m = try #require(imageIDs.firstIndex(of: id))
                    let cell = try #require(images.column("_image_")?.data.value(at: m).blobValue)
                    #expect(try Self.embedded(svg) == ImageCodec.decode(cell, as: .rgb))
                    let fileNames: [String] = t.strings("File")
                    let file = try #require(fileNames[row].isEmpty ? nil : fileNames[row])
                    #expect(try String(contentsOfFile: "\(s.dataRoot)/casuser/alice/\(file)", encoding: .utf8) == svg)
                }
            }
            // nImages, seeded random picks: reproducible, and (with 10 rows) another order than the table's
            let a = try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "nImages": 3, "randomize": true, "seed": 11])
            let b = try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "nImages": 3, "randomize": true, "seed": 11])
            let all = try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "nImages": 100, "randomize": true, "seed": 11])
            let pickA: [String] = try a.table("EvaluatePictures").strings("_id_"), pickB: [String] = try b.table("EvaluatePictures").strings("_id_")
            #expect(pickA.count == 3 && pickA == pickB)
            let shuffled: [String] = try all.table("EvaluatePictures").strings("_id_")
            #expect(shuffled != ids)
            #expect(Set(shuffled) == Set(ids))

            // errors name the parameter; the session stays usable
            try await fails(c, "deepLearn.dlEvaluatePictures", ["table": "valid"], "has no column I__label_", "dlScore output")
            try await fails(c, "deepLearn.dlEvaluatePictures", ["table": "scored"], "no varbinary _image_ column", "imageTable")
            try await fails(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "imageType": "X"], "imageType")
            try await fails(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "idVar": "nosuch"], "nosuch")
            try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "evalset", "nImages": 1])
        }
    }
}
