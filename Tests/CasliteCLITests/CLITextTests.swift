import CASWire
import Testing

@testable import caslite

/// What the command line shows: progress lines, numbers, column headings, JSON errors, Tab's candidates.
@Suite("CLI text")
struct CLITextTests {
    @Test func progressWithATotalHasABarPercentRateAndETA() {
        let p = Progress(done: 250_000, total: 1_000_000, unit: "bytes", message: "12000 rows")
        #expect(ProgressDisplay.render(p, elapsed: 0.5, width: 100) == "[#####---------------]   25%  250.0 KB/1.0 MB  500.0 KB/s  ETA 0:02  12000 rows")
        #expect(ProgressDisplay.render(p, elapsed: 0.5, width: 0) == " 25%  250.0 KB/1.0 MB  500.0 KB/s  ETA 0:02  12000 rows")
    }

    @Test func progressWithoutATotalCountsAndRates() {
        let p = Progress(done: 65536, total: 0, unit: "rows", message: "loading T")
        #expect(ProgressDisplay.render(p, elapsed: 2, width: 80) == "65536 rows  32768 rows/s  loading T")
        #expect(ProgressDisplay.render(Progress(done: 3, total: 10, unit: "batch"), elapsed: 0, width: 0) == " 30%  3 batch/10 batch")
    }

    @Test(arguments: [(7.0, "0:07"), (0.2, "0:01"), (754, "12:34"), (3723, "1:02:03")])
    func durations(_ seconds: Double, _ text: String) { #expect(ProgressDisplay.duration(seconds) == text) }

    @Test func progressIsCutToTheTerminalWidth() {
        let p = Progress(done: 1, total: 2, unit: "file", message: String(repeating: "x", count: 300))
        #expect(ProgressDisplay.render(p, elapsed: 1, width: 79).count == 79)
    }

    @Test(arguments: [(1.796_340_000_123e9, "1796340000.12"), (2.0, "2.0"), (0.5, "0.5"), (1.0 / 3, "0.333333"), (1e-7, "1e-07")])
    func numbersWithoutNeedlessExponents(_ d: Double, _ text: String) { #expect(Printer.number(d) == text) }

    @Test func positionalColumnsAreHeadedByTheirLabels() {
        let t = DataTable(name: "Crosstab", columns: [Column(name: "sensor", data: .varchar(["S1"])), Column(name: "Col1", label: "north", data: .double([2])),
                                                       Column(name: "Total", label: "all", data: .double([2]))])
        #expect(Printer.render(t).split(separator: "\n").first == "   sensor  north  Total")
    }

    @Test func brokenJSONIsAnErrorThatPointsAtThePlace() throws {
        #expect {
            try ParamSyntax.parse(["table={\"name\":\"gh\",\"caslib\":\"public\""])
        } throws: { e in
            let lines = String(describing: e).split(separator: "\n", omittingEmptySubsequences: false)
            return lines[0].contains("'table' starts with '{' but is not valid JSON") && lines[2].split(separator: "^")[0].count == lines[1].count
        }
        #expect(throws: ParamSyntax.Failure.self) { try ParamSyntax.parse(["vars=[1,2"]) }
        #expect(try ParamSyntax.parse(["where=x > [1]", "name=a {b}"])["name"] == "a {b}")
    }

    @Test func tabCompletesActionsParametersAndTables() {
        let c = Completion(sets: Shell.standardSets, tables: ["greenhouse", "gaps"])
        #expect(c.candidates(before: "", word: "table.fet") == ["table.fetch"])
        #expect(c.candidates(before: "", word: "qu") == ["quit"])
        #expect(c.candidates(before: "table.fetch ", word: "sortB") == ["sortBy="])
        #expect(c.candidates(before: "table.fetch ", word: "table.na") == ["table.name="])
        #expect(c.candidates(before: "table.fetch to=2 ", word: "table.name=g") == ["table.name=gaps", "table.name=greenhouse"])
        #expect(c.candidates(before: "table.fetch ", word: "table=gr") == ["table=greenhouse"])
        #expect(c.candidates(before: "help ", word: "simple.su") == ["simple.summary"])
    }

    @Test func tabCompletesUserDefinedSetsFromReflect() throws {
        var c = Completion(sets: Shell.standardSets)
        let reflected = try JSONParser.parse("""
            {"geometry": {"name": "geometry", "actions": [{"name": "hypot", "params": [{"name": "a"}, {"name": "b"},
             {"name": "opts", "parmList": [{"name": "round"}]}]}]}}
            """)
        guard case .dict(let d) = reflected else { Issue.record("not a dictionary"); return }
        c.add(reflected: d)
        #expect(c.candidates(before: "", word: "geometry.h") == ["geometry.hypot"])
        #expect(c.candidates(before: "geometry.hypot a=3 ", word: "") == ["a=", "b=", "opts=", "opts.round="])
    }
}
