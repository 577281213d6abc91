import Foundation
import CASCore
import CASWire

/// The outcome of dlScore: probabilities per used row, and the tables made from them.
struct Scoring: Sendable {
    var samples: ImageSamples
    /// [N · K]
    var probabilities: [Float]
    var predicted: [Int]
    var levels: [String]

    var k: Int { levels.count }
    func p(_ n: Int, _ j: Int) -> Float { probabilities[n * k + j] }

    /// `predicted` of a row whose probabilities are not all numbers (a diverged model): no level, a missing I_ column.
    static let noPrediction = -1

    init(samples: ImageSamples, probabilities: [Float], predicted: [Int], levels: [String]) {
        self.samples = samples; self.probabilities = probabilities; self.levels = levels
        let k = levels.count
        self.predicted = predicted.enumerated().map { n, best in
            probabilities[(n * k)..<((n + 1) * k)].allSatisfy(\.isFinite) ? best : Self.noPrediction
        }
    }

    /// Rows without a prediction (their model output is not a number).
    var unscorable: Int { predicted.filter { $0 == Self.noPrediction }.count }

    /// Rows whose label is one of the levels: (sample, true class).
    var labelled: [(Int, Int)] {
        let index = Dictionary(uniqueKeysWithValues: levels.enumerated().map { ($0.element, $0.offset) })
        return samples.labels.enumerated().compactMap { n, l in l.flatMap { index[$0] }.map { (n, $0) } }
    }

    func table(_ input: DataTable, target: String, copyVars: [String], topProbs: Int, encode: Bool) throws(ActionError) -> DataTable {
        var out = DataTable(name: input.name)
        for v in copyVars {
            guard let c = input.column(v) else {
                throw ActionError(.notFound, "Column '\(v)' (copyVars) does not exist in table \(input.name).", parameter: "copyVars")
            }
            var g = c
            g.data = c.data.gather(samples.rows)
            out.columns.append(g)
        }
        for (j, level) in levels.enumerated() {
            let name = "P_\(target)\(encode ? level.replacingSpaces : level)"
            out.columns.append(Column(name: name, label: "Predicted: \(target)=\(level)", data: .double((0..<samples.count).map { Double(p($0, j)) })))
        }
        out.columns.append(Column(name: "I_\(target)", label: "Into: \(target)",
                                  data: .varchar(predicted.map { $0 == Self.noPrediction ? nil : levels[$0] })))
        out.columns.append(Column(name: "_DL_PredP_", label: "Predicted probability", data: .double((0..<samples.count).map {
            predicted[$0] == Self.noPrediction ? .nan : Double(p($0, predicted[$0])) })))
        for i in 0..<min(topProbs, k) {
            let ranked = (0..<samples.count).map { n in
                predicted[n] == Self.noPrediction ? nil : (0..<k).sorted { p(n, $0) > p(n, $1) || (p(n, $0) == p(n, $1) && $0 < $1) }[i]
            }
            out.columns.append(Column(name: "_DL_Top\(i + 1)Level_", data: .varchar(ranked.map { $0.map { levels[$0] } })))
            out.columns.append(Column(name: "_DL_Top\(i + 1)P_", data: .double(ranked.enumerated().map { n, j in j.map { Double(p(n, $0)) } ?? .nan })))
        }
        return out
    }

    /// ScoreInfo (Descr, Value) as CAS shows it.
    func info(read: Int) -> DataTable {
        let l = labelled
        var rows: [(String, String)] = [("Number of Observations Read", String(read)), ("Number of Observations Used", String(samples.count))]
        if !l.isEmpty {
            let wrong = l.filter { predicted[$0.0] != $0.1 }.count
            let loss = l.map { -log(Double(max(p($0.0, $0.1), 1e-12))) }.reduce(0, +) / Double(l.count)
            rows += [("Misclassification Error (%)", Fixed.text(Double(wrong) / Double(l.count) * 100, 4)), ("Loss Error", Fixed.text(loss, 6))]
        }
        return .result("ScoreInfo", label: "Score Information", columns: [("Descr", .varchar), ("Value", .varchar)],
                       rows: rows.map { [.string($0.0), .string($0.1)] })
    }

    /// Per-class accuracy of the labelled rows.
    /// counts[actual][predicted] over the labelled rows; nil when no row has a label.
    func confusion() -> [[Int]]? {
        let l = labelled
        guard !l.isEmpty else { return nil }
        var counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (n, actual) in l where predicted[n] >= 0 && predicted[n] < k { counts[actual][predicted[n]] += 1 }
        return counts
    }

    func classAccuracy() -> DataTable {
        let l = labelled
        return .result("ClassAccuracy", label: "Accuracy by Class", columns: [("Level", .varchar), ("NObs", .double), ("Correct", .double), ("Accuracy", .double)],
                       rows: levels.enumerated().map { j, level in
                           let mine = l.filter { $0.1 == j }, right = mine.filter { predicted[$0.0] == j }.count
                           return [.string(level), .double(Double(mine.count)), .double(Double(right)),
                                   mine.isEmpty ? .null : .double(Double(right) / Double(mine.count) * 100)]
                       })
    }
}

extension String {
    var replacingSpaces: String { String(map { $0 == " " ? "_" : $0 }) }
}
