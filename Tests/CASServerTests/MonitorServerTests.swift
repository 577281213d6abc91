import CASClient
import CASCore
@testable import CASServer
import CASTestSupport
import CASWire
import Foundation
import Synchronization
import Testing

/// The Server page's CPU use and nodes, and the monitor's logins and event streams in `/metrics`.
@Suite("Web monitor: server page and metrics", .serialized)
struct MonitorServerTests {
    @Test func theProcesssCPUTimeGrowsWithWorkDone() throws {
        let before = try #require(ProcessCPU.cpuSeconds())
        let start = Date()
        var x = 0.0
        while Date().timeIntervalSince(start) < 0.3 { x = (x + 1).squareRoot() }
        #expect(x > 0)
        let after = try #require(ProcessCPU.cpuSeconds())
        #expect(after - before > 0.05, "0.3 s of spinning on this thread is CPU time of the process: \(after - before)")
    }

    @Test func theNodesComeFromTheServerContextsNodeList() async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let one = try await a.api("server")
            #expect(one["nodes"] == 1)
            #expect(one["nodeList"] == [["name": .string(ProcessInfo.processInfo.hostName), "role": "controller", "state": "up",
                                         "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount))]])
            // what a controller of the MPI scale-out would report: the JSON and the page show the list as it is
            s.server.context.nodes.set([NodeState(name: "ctl", role: .controller, state: .up, cores: 8),
                                        NodeState(name: "<w1>", role: .worker, state: .down, cores: 16)])
            let two = try await a.api("server")
            #expect(two["nodes"] == 2)
            #expect(two["nodeList"][1] == ["name": "<w1>", "role": "worker", "state": "down", "cores": 16])
            let page = try await a.get("/monitor/server")
            #expect(page.text.contains("2: ctl (controller, up, 8 cores), &lt;w1&gt; (worker, down, 16 cores)"), "\(page.text)")
            await a.close()
        }
    }

    @Test func theServerPageShowsTheCPUInUseMeasuredOverAnInterval() async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run { s in
            let a = try await MonitorBrowser.loggedIn(s, "alice")
            let first = try await a.api("server")
            #expect(first["cpu"]["cores"] == .int(Int64(ProcessInfo.processInfo.activeProcessorCount)))
            #expect((first["cpu"]["intervalSeconds"].doubleValue ?? 0) > 0.2, "the first reading waits for an interval")
            #expect((first["cpu"]["usedCores"].doubleValue ?? -1) >= 0)
            #expect(first["nodeList"][0]["state"] == "up")
            #expect(first["nodeList"][0]["name"].stringValue == ProcessInfo.processInfo.hostName)

            // keep a thread busy for 1.5 s: the next reading (over at least a second) sees it
            let spinning = Atomic<Bool>(true)
            let spinner = Thread {
                var x = 0.0
                while spinning.load(ordering: .relaxed) { x = (x + 1).squareRoot() }
                _ = x
            }
            spinner.start()
            try await Task.sleep(for: .milliseconds(1500))
            let busy = try await a.api("server")
            spinning.store(false, ordering: .relaxed)
            #expect((busy["cpu"]["intervalSeconds"].doubleValue ?? 0) >= 1)
            #expect((busy["cpu"]["usedCores"].doubleValue ?? 0) > 0.1, "\(busy["cpu"])")
            let page = try await a.get("/monitor/server")
            #expect(page.text.contains("CPU in use") && page.text.contains(" cores ("))
            await a.close()
        }
    }

    @Test func monitorLoginsAndEventStreamsAreCountedInMetrics() async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run { s in
            let port = try #require(s.server.httpPort)
            func metric(_ name: String) async throws -> Double? {
                let reply = try await OperationsEndpointTests.scrape(port, user: "root", password: "pw")
                try #require(reply.status == 200)
                return try OperationsEndpointTests.parse(String(decoding: reply.body, as: UTF8.self)).first { $0.name == name }?.value
            }
            #expect(try await metric("caslite_monitor_logins_total") == 0)
            var a = try await MonitorBrowser.open(s)
            #expect(try await a.logIn("alice", "wrong").status == 401)
            try await a.logIn("alice")
            let b = try await MonitorBrowser.loggedIn(s, "bob")
            #expect(try await metric("caslite_monitor_logins_total") == 2, "refused logins are not counted here")
            #expect(try await metric("caslite_monitor_logins") == 2)
            #expect(try await metric("caslite_monitor_event_streams") == 0)
            let stream = try await EventStreamReader.open(s, cookie: b.cookie)
            #expect(stream.status.hasPrefix("HTTP/1.1 200"))
            while s.server.context.events.count == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try await metric("caslite_monitor_event_streams") == 1)
            #expect(try await a.post("/monitor/logout", csrf: a.csrf).status == 303)
            #expect(try await metric("caslite_monitor_logins") == 1)
            #expect(try await metric("caslite_monitor_logins_total") == 2)
            await a.close()
            await b.close()
        }
    }
}
