import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// The monitor in a real headless Chromium: log in through the form, watch an action started over
/// JSON-lines appear through the page's script, cancel it with the page's button, and check the client
/// got the cancel. Skipped (with the reason) where Chromium or chromedriver is not installed.
@Suite("Web monitor in a browser", .serialized)
struct MonitorBrowserTests {
    @Test(.enabled(if: HeadlessBrowser.available, "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"))
    func logInWatchAnActionAndCancelItFromThePage() async throws {
        try await TestServer.start(auth: .password, users: MonitorTests.users, http: true).run { s in
            let base = "http://127.0.0.1:\(try #require(s.server.httpPort))"
            let browser = try await HeadlessBrowser.start()
            do {
                #expect(try await browser.logIn(base, "alice", "pw") == base + "/monitor/server")
                #expect(try await browser.text("header .who") == "alice")
                try await browser.screenshot("server")

                try await browser.open(base + "/monitor/actions")
                #expect(try await browser.text("#rows") == "No running actions.")
                let c = try await s.connect("alice", password: "pw")
                let tag = "browser-\(UUID().uuidString)"
                let call = try await MonitorTests().startSleep(c, tag: tag)
                let row = try await browser.wait("#rows") { $0.contains("testing.sleep") }
                #expect(row.contains("testing.sleep") && row.contains("ms sleeping"), "the page's script shows the new action: \(row)")
                #expect(try await browser.find("#rows progress").count == 1)
                let status = try await browser.wait("#updated") { $0.hasPrefix("Live") }
                #expect(status.hasPrefix("Live, updated"), "the page follows the event stream, not polling: \(status)")
                try await browser.screenshot("actions")

                try await browser.click("#rows button")
                let r = try #require(await call.value)
                #expect(r.disposition.reason == "abort")
                #expect(Sleep.outcome(tag) == "cancelled")
                #expect(try await browser.waitForURL { $0 == base + "/monitor/actions" } == base + "/monitor/actions")
                try await browser.wait("#rows") { $0 == "No running actions." }
                try await browser.screenshot("actions-cancelled")

                try await ok(c, "session.sessionName", ["name": "<img src=x onerror=alert(1)>"])
                try await browser.open(base + "/monitor/sessions")
                #expect(try await browser.text("#rows").contains("<img src=x onerror=alert(1)>"), "shown as text")
                #expect(try await browser.find("#rows img").isEmpty, "never as markup")
                // the page follows the event stream: a new session appears without waiting for a poll
                try await browser.wait("#updated") { $0.hasPrefix("Live") }
                let arriving = try await s.connect("alice", password: "pw")
                try await ok(arriving, "session.sessionName", ["name": "arrived live"])
                #expect(try await browser.wait("#rows", seconds: 5) { $0.contains("arrived live") }.contains("arrived live"))
                try await browser.screenshot("sessions")

                let rows: [Value] = (1...25).map { i in [.int(Int64(i)), .string(["Acura", "Audi", "BMW", "<b>Buick</b>"][i % 4]), .double(Double(20_000 + 1_375 * i))] }
                try await ok(c, "table.addTable", ["table": "cars", "caslib": "Public", "vars": [["name": "id", "type": "int64"], ["name": "make", "type": "varchar"],
                                                                                           ["name": "msrp", "format": "DOLLAR8."]], "rows": .list(rows)])
                try await browser.open(base + "/monitor/tables")
                #expect(try await browser.text("#rows").contains("cars"))
                #expect(try await browser.text("#caslibs").contains("CASUSER(alice)"))
                try await browser.wait("#rows") { $0.contains("Promote") }  // the script redraws the rows with their buttons
                try await browser.wait("#updated") { $0.hasPrefix("Live") }
                try await ok(c, "table.addTable", ["table": "arrived", "vars": [["name": "x"]], "rows": [[1]]])  // a table event
                #expect(try await browser.wait("#rows", seconds: 5) { $0.contains("arrived") }.contains("arrived"))
                try await browser.screenshot("tables")
                try await browser.click("#rows a[href*='name=cars']")
                let head = try await browser.wait("#head") { $0.contains("<b>Buick</b>") }
                #expect(head.contains("Acura"), "the first rows, HTML shown as text")
                #expect(try await browser.find("#head b").isEmpty)
                try await browser.screenshot("table")

                try await browser.open(base + "/monitor/log")
                try await browser.wait("#updated") { $0.hasPrefix("Live") }
                _ = try await c.call("table.fetch", ["table": "nosuchtable"])  // an ERROR line, pushed to the open page
                let log = try await browser.wait("#rows") { $0.contains("nosuchtable") }
                #expect(log.contains("ERROR"))
                try await browser.screenshot("log")
                #expect(try await browser.severeConsoleMessages() == [], "no script errors or refused resources")
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
        }
    }
}
