import CASClient
import CASCore
import CASTestSupport
import CASWire
import Testing

/// dlTrain's per-epoch history on the web monitor's Training page (docs/monitor.md), over HTTP.
@Suite("dlTrain on the web monitor")
struct MonitorTrainingTests {
    /// Logs in to the monitor as `user` (auth none: no password) and returns the client and its cookie header.
    func monitor(_ s: TestServer, _ user: String) async throws -> (RESTClient, [(String, String)]) {
        let http = try await RESTClient.connect(port: try #require(s.server.httpPort), user: user, password: "")
        let login = try await http.send("POST", "/monitor/login", body: Array(#"{"user": "\#(user)"}"#.utf8), user: .some(nil))
        try #require(login.status == 200)
        let cookie = try #require(login.headers.first(name: "set-cookie")?.split(separator: ";").first)
        return (http, [("Cookie", String(cookie))])
    }

    @Test func aTrainingRunsHistoryIsOnTheTrainingPageAsItsOwnerSeesIt() async throws {
        try await TestServer.start(sets: allSets, http: true).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            let r = try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 3, valid: true))
            let history = try r.table("OptIterHistory")
            let (alice, cookie) = try await monitor(s, "alice")
            let runs = try #require(try await alice.send("GET", "/monitor/api/training", headers: cookie, user: .some(nil)).json["trainings"].listValue)
            #expect(runs.count == 1)
            let run = try #require(runs.first)
            #expect(run["model"] == "cnn")
            #expect(run["state"] == "finished")
            #expect(run["epochs"] == 3)
            #expect(run["session"].stringValue == c.sessionId)
            let points = try #require(run["history"].listValue)
            #expect(points.count == history.rowCount)
            for (i, p) in points.enumerated() {
                #expect(p["epoch"].doubleValue == history.column("Epoch")?.data.double(at: i))
                #expect(p["loss"].doubleValue == history.column("Loss")?.data.double(at: i))
                #expect(p["fitError"].doubleValue == history.column("FitError")?.data.double(at: i))
                #expect(p["validLoss"].doubleValue == history.column("ValidLoss")?.data.double(at: i))
                #expect(p["learningRate"].doubleValue == history.column("LearningRate")?.data.double(at: i))
            }

            let id = try #require(run["id"].intValue)
            let chart = try await alice.send("GET", "/monitor/api/training/\(id)/chart.svg", headers: cookie, user: .some(nil))
            #expect(chart.status == 200)
            #expect(chart.headers.first(name: "content-type") == "image/svg+xml; charset=utf-8")
            let svg = String(decoding: chart.body, as: UTF8.self)
            #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count == 5, "loss, fit error, valid loss, valid error")
            let page = String(decoding: try await alice.send("GET", "/monitor/training", headers: cookie, user: .some(nil)).body, as: UTF8.self)
            #expect(page.contains("src=\"/monitor/api/training/\(id)/chart.svg\""))
            #expect(page.contains("finished, 3 of 3 epochs"))

            let (bob, bobs) = try await monitor(s, "bob")
            #expect(try await bob.send("GET", "/monitor/api/training", headers: bobs, user: .some(nil)).json["trainings"].listValue?.isEmpty == true)
            #expect(try await bob.send("GET", "/monitor/api/training/\(id)/chart.svg", headers: bobs, user: .some(nil)).status == 404)
            await alice.close()
            await bob.close()
            await c.close()
        }
    }
}
