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

    @Test func perBatchPointsWithLogLevel3AndTheConfusionMatrixOfALaterDlScore() async throws {
        try await TestServer.start(sets: allSets, http: true).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            var params = trainParams(epochs: 2, valid: false)
            params["optimizer"] = ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "momentum": 0.9], "miniBatchSize": 4, "maxEpochs": 2, "logLevel": 3]
            try await ok(c, "deepLearn.dlTrain", params)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, weights: "quiet_w", valid: false))  // logLevel 2: no batches
            let (alice, cookie) = try await monitor(s, "alice")
            let get = { (path: String) in try await alice.send("GET", path, headers: cookie, user: .some(nil)) }
            let runs = try #require(try await get("/monitor/api/training").json["trainings"].listValue)
            #expect(runs.count == 2)
            let (detailed, quiet) = (runs[0], runs[1])
            let batches = try #require(detailed["batches"].listValue)
            let train = try await fetchAll(c, "train")
            let perEpoch = try #require(batches.first?["batchesPerEpoch"].intValue)
            #expect(perEpoch >= Int64(train.rowCount / 4), "mini-batches of 4 rows")
            #expect(batches.count == 2 * Int(perEpoch), "every batch of both epochs")
            #expect(batches.first?["epoch"] == 0 && batches.first?["batch"] == 1)
            #expect(batches.last?["epoch"] == 1 && batches.last?["batch"] == .int(perEpoch))
            #expect(batches.allSatisfy { ($0["loss"].doubleValue ?? .nan).isFinite })
            #expect(quiet["batches"] == [])
            #expect(detailed["confusion"] == .null, "not scored yet")
            let detailedId = try #require(detailed["id"].intValue), quietId = try #require(quiet["id"].intValue)
            let batchChart = try await get("/monitor/api/training/\(detailedId)/batches.svg")
            #expect(batchChart.status == 200)
            #expect(String(decoding: batchChart.body, as: UTF8.self).contains("BatchLoss"))
            #expect(try await get("/monitor/api/training/\(quietId)/batches.svg").status == 404)
            #expect(try await get("/monitor/api/training/\(detailedId)/confusion.svg").status == 404)

            // scoring the model on labelled rows: the matrix goes with the newest run of that model (the quiet one)
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "quiet_w", "casOut": ["name": "scored", "replace": true]])
            let scoredRuns = try #require(try await get("/monitor/api/training").json["trainings"].listValue)
            let matrix = try #require(scoredRuns[1]["confusion"].dictValue.map(Value.dict))
            #expect(matrix["table"] == "valid")
            let levels = try #require(matrix["levels"].listValue)
            let counts = try #require(matrix["counts"].listValue?.map { $0.listValue?.compactMap(\.intValue) ?? [] })
            #expect(counts.count == levels.count && counts.allSatisfy { $0.count == levels.count })
            let valid = try await fetchAll(c, "valid")
            #expect(counts.flatMap { $0 }.reduce(0, +) == Int64(valid.rowCount), "every labelled row counted once")
            let picture = try await get("/monitor/api/training/\(quietId)/confusion.svg")
            #expect(picture.status == 200 && String(decoding: picture.body, as: UTF8.self).contains("predicted"))
            let page = String(decoding: try await get("/monitor/training").body, as: UTF8.self)
            #expect(page.contains("src=\"/monitor/api/training/\(quietId)/confusion.svg\"") && page.contains("src=\"/monitor/api/training/\(detailedId)/batches.svg\""))

            let (bob, bobs) = try await monitor(s, "bob")
            #expect(try await bob.send("GET", "/monitor/api/training/\(quietId)/confusion.svg", headers: bobs, user: .some(nil)).status == 404)
            await alice.close()
            await bob.close()
            await c.close()
        }
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

    @Test func evaluationPicturesAndHeatMapsAreShownWithTheRunThatTrainedTheModel() async throws {
        try await TestServer.start(sets: allSets, http: true).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 1, valid: false))
            try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "casOut": ["name": "scored", "replace": true],
                                                  "copyVars": ["_id_", "_label_"]])
            try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "valid", "nImages": 2])
            try await ok(c, "deepLearn.dlHeatMap", ["table": "valid", "model": "cnn", "initWeights": "cnn_w", "maskWidth": 5, "maskHeight": 5,
                                                    "stepSize": 2, "maxImages": 2, "casOut": ["name": "heat", "replace": true]])
            let (alice, cookie) = try await monitor(s, "alice")
            let get = { (path: String) in try await alice.send("GET", path, headers: cookie, user: .some(nil)) }
            let run = try #require(try await get("/monitor/api/training").json["trainings"].listValue?.first)
            let pictures = try #require(run["pictures"].listValue)
            #expect(pictures.map(\.["kind"]) == ["evaluation", "evaluation", "heatMap", "heatMap"])
            #expect(pictures.allSatisfy { $0["caption"].stringValue?.hasPrefix("id ") == true })
            let page = String(decoding: try await get("/monitor/training").body, as: UTF8.self)
            for p in pictures {
                let url = try #require(p["url"].stringValue)
                let reply = try await get(url)
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "x-content-type-options") == "nosniff")
                #expect(reply.headers.first(name: "content-security-policy")?.hasPrefix("default-src 'none'") == true)
                #expect(Int64(reply.body.count) == p["bytes"].intValue)
                if p["kind"] == "evaluation" {
                    #expect(reply.headers.first(name: "content-type") == "image/svg+xml; charset=utf-8")
                    #expect(String(decoding: reply.body, as: UTF8.self).hasPrefix("<svg") && String(decoding: reply.body, as: UTF8.self).contains("class probabilities"))
                } else {
                    #expect(reply.headers.first(name: "content-type") == "image/png")
                    #expect(Array(reply.body.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                }
                #expect(page.contains("<img class=\"picture \(p["kind"] == "evaluation" ? "evaluation" : "heatmap")\" src=\"\(url)\""),
                        "an image on the run's page, never inline markup")
            }
            #expect(!page.contains("<svg"), "no picture's markup is inlined into the page")
            let id = try #require(run["id"].intValue)
            #expect(try await get("/monitor/api/training/\(id)/picture/999999").status == 404)

            let (bob, bobs) = try await monitor(s, "bob")
            for p in pictures {
                #expect(try await bob.send("GET", try #require(p["url"].stringValue), headers: bobs, user: .some(nil)).status == 404, "another user's run")
            }
            await alice.close()
            await bob.close()
            await c.close()
        }
    }

    @Test func aRunKeepsABoundedNumberAndSizeOfPictures() throws {
        let log = TrainingLog()
        #expect(log.addPictures([TrainingPicture(.heatMap, caption: "x", bytes: [1])], user: "alice", model: "cnn") == nil, "no run of that model: nothing kept")
        let first = log.start(session: "s", user: "alice", model: "cnn", epochs: 1)
        let many = (0..<(Limits.trainingPicturesPerRun + 5)).map { TrainingPicture(.heatMap, caption: "\($0)", bytes: [UInt8](repeating: 1, count: 100)) }
        #expect(log.addPictures(many, user: "alice", model: "CNN") == first)
        #expect(log.addPictures(many, user: "bob", model: "cnn") == nil, "another user's run is not bob's")
        var run = try #require(log.all().first)
        #expect(run.pictures.count == Limits.trainingPicturesPerRun)
        #expect(run.pictures.last?.caption == "\(Limits.trainingPicturesPerRun + 4)", "the newest are kept")
        #expect(Set(run.pictures.map(\.number)).count == run.pictures.count, "each has its own number")

        // the byte bound holds over every run: a second run's big pictures push out the first run's oldest
        let second = log.start(session: "s", user: "alice", model: "big", epochs: 1)
        let big = Limits.trainingPictureBytes / 3
        log.addPictures((0..<3).map { TrainingPicture(.evaluation, caption: "big \($0)", bytes: [UInt8](repeating: 2, count: big)) }, user: "alice", model: "big")
        let total = log.all().reduce(0) { $0 + $1.pictures.reduce(0) { $0 + $1.bytes.count } }
        #expect(total <= Limits.trainingPictureBytes)
        run = try #require(log.all().first { $0.id == first })
        #expect(run.pictures.count < Limits.trainingPicturesPerRun, "the oldest went first")
        #expect(log.all().first { $0.id == second }?.pictures.count == 3)
        let huge = TrainingPicture(.evaluation, caption: "huge", bytes: [UInt8](repeating: 0, count: Limits.trainingPictureBytes + 1))
        #expect(log.addPictures([huge], user: "alice", model: "big") == nil, "a picture larger than the bound alone is not kept")
    }

    /// Review finding: bob's big pictures pushed alice's off her Training page. The user holding the most bytes loses first.
    @Test func oneUsersPicturesDoNotPushOutAnothers() throws {
        let log = TrainingLog()
        let alice = log.start(session: "a", user: "alice", model: "cnn", epochs: 1)
        log.addPictures((0..<2).map { TrainingPicture(.heatMap, caption: "a\($0)", bytes: [UInt8](repeating: 1, count: 1000)) }, user: "alice", model: "cnn")
        let bob = log.start(session: "b", user: "bob", model: "cnn", epochs: 1)
        let chunk = Limits.trainingPictureBytes / 4
        for round in 0..<3 {
            log.addPictures((0..<4).map { TrainingPicture(.evaluation, caption: "b\(round)\($0)", bytes: [UInt8](repeating: 2, count: chunk)) },
                            user: "bob", model: "cnn")
        }
        let runs = log.all()
        #expect(runs.first { $0.id == alice }?.pictures.map(\.caption) == ["a0", "a1"])
        let bobs = try #require(runs.first { $0.id == bob }?.pictures)
        #expect(!bobs.isEmpty && bobs.last?.caption == "b23", "bob keeps his newest")
        #expect(runs.reduce(0) { $0 + $1.pictures.reduce(0) { $0 + $1.bytes.count } } <= Limits.trainingPictureBytes)
    }

    /// The epochs done that a run's summary line states (`…: running, 12 of 5000 epochs, …`).
    static func epochs(_ summary: String) -> Int { summary.firstMatch(of: /(\d+) of \d+ epochs/).flatMap { Int($0.1) } ?? 0 }

    /// The issue's end-to-end check in a real browser: the Training page's curve gains points while dlTrain
    /// runs, the run is cancelled from the monitor, and it ends as stopped with the epochs it completed.
    @Test(.enabled(if: HeadlessBrowser.available, "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"))
    func theTrainingCurveGrowsInTheBrowserAndTheRunIsCancelledFromThePage() async throws {
        try await TestServer.start(sets: allSets, http: true).run { s in
            let base = "http://127.0.0.1:\(try #require(s.server.httpPort))"
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            let browser = try await HeadlessBrowser.start()
            do {
                try await browser.logIn(base, "alice", "")
                try await browser.open(base + "/monitor/training")
                var params = trainParams(epochs: 1_000_000, valid: true)   // runs until cancelled (20 000 epochs of 3 batches could end first)
                params["optimizer"] = ["algorithm": ["method": "MOMENTUM", "learningRate": 0.05, "momentum": 0.9], "miniBatchSize": 4,
                                       "maxEpochs": 1_000_000, "logLevel": 3]  // every batch: the page draws the loss per batch too
                let events = c.stream("deepLearn.dlTrain", params)
                let response = Task { () -> (Response, [String])? in
                    var warnings: [String] = []
                    for await e in events {
                        switch e {
                        case .log(let l) where l.level == .warning: warnings.append(l.message)
                        case .response(let r): return (r, warnings)
                        default: continue
                        }
                    }
                    return nil
                }
                // the page reloads itself when the run appears, then its script redraws as epochs end
                let first = try await browser.wait("section.run p", seconds: 20) { Self.epochs($0) >= 2 }
                let later = try await browser.wait("section.run p", seconds: 20) { Self.epochs($0) > Self.epochs(first) + 2 }
                #expect(Self.epochs(later) > Self.epochs(first), "\(first) → \(later)")
                #expect(try await browser.find("section.run img.chart").count >= 1)
                try await browser.screenshot("training")

                try await browser.open(base + "/monitor/actions")
                try await browser.wait("#rows") { $0.contains("deepLearn.dlTrain") }
                try await browser.click("#rows button")
                // the run has no natural end: a click that did not cancel it must fail the test, not hang it
                let outcome = try await withThrowingTaskGroup(of: (Response, [String])?.self) { g in
                    g.addTask { await response.value }
                    g.addTask { try await Task.sleep(for: .seconds(90)); return nil }
                    defer { g.cancelAll() }
                    return try await g.next() ?? nil
                }
                let (r, warnings) = try #require(outcome, "the Cancel button did not end dlTrain within 90 s")
                #expect(r.disposition.severity == .warning, "dlTrain keeps the weights of a cancelled run and warns")
                #expect(warnings.contains { $0.contains("Training stopped early (cancelled)") }, "\(warnings)")
                try await browser.open(base + "/monitor/training")
                #expect(try await browser.text("section.run p").contains(": stopped, "))
                #expect(try await browser.find("section.run img.batches").count == 1, "the loss per batch (logLevel=3)")
                try await browser.screenshot("training-stopped")

                // scoring the model: its confusion matrix joins the run on the page
                try await ok(c, "deepLearn.dlScore", ["table": "valid", "modelTable": "cnn", "initWeights": "cnn_w", "casOut": ["name": "scored", "replace": true],
                                                      "copyVars": ["_id_", "_label_"]])
                try await browser.open(base + "/monitor/training")
                #expect(try await browser.find("section.run img.confusion").count == 1)
                try await browser.wait("#updated") { $0.hasPrefix("Live") }

                // pictures made from the model join it on the open page (its script redraws it): SVG and PNG images
                try await ok(c, "deepLearn.dlEvaluatePictures", ["table": "scored", "imageTable": "valid", "nImages": 2])
                try await ok(c, "deepLearn.dlHeatMap", ["table": "valid", "model": "cnn", "initWeights": "cnn_w", "maskWidth": 5, "maskHeight": 5,
                                                        "stepSize": 2, "maxImages": 2, "casOut": ["name": "heat", "replace": true]])
                let captions = try await browser.wait("section.run div.pictures", seconds: 10) {
                    $0.components(separatedBy: "Heat map,").count == 3 && $0.components(separatedBy: "Evaluation,").count == 3
                }
                #expect(captions.contains("Heat map,") && captions.contains("Evaluation,"), "\(captions)")
                var loaded = 0
                for _ in 0..<50 where loaded < 4 {
                    loaded = try await browser.loadedImages("section.run img.picture")
                    if loaded < 4 { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(loaded == 4, "each picture loads as an image")
                try await browser.screenshot("training-scored")
                try await browser.scroll(to: "section.run h3")
                try await browser.screenshot("training-pictures")
                #expect(try await browser.severeConsoleMessages() == [])
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
            await c.close()
        }
    }
}

/// A long run keeps at most `TrainingLog.maxPoints` epochs, spread over the whole run, and always its last.
@Test func aLongRunsHistoryIsThinnedNotCut() {
    let log = TrainingLog()
    let id = log.start(session: "s", user: "alice", model: "m", epochs: 10_000)
    for e in 0..<10_000 { log.add(id, TrainingPoint(epoch: e, learningRate: 0.1, loss: 1, fitError: 0)) }
    let run = try! #require(log.all().first)
    #expect(run.points.count <= TrainingLog.maxPoints && run.points.count > TrainingLog.maxPoints / 2)
    #expect(run.epochsDone == 10_000)
    #expect(run.points.first!.epoch < 10)
    #expect(zip(run.points, run.points.dropFirst()).allSatisfy { $0.epoch < $1.epoch })
}
