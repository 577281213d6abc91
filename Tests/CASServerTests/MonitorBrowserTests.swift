import CASClient
import CASTestSupport
import CASWire
import Foundation
import Testing

/// A headless Chromium driven through chromedriver's W3C WebDriver HTTP API (no Selenium: the API is a
/// handful of JSON requests). Screenshots go to `.build/monitor-screenshots/` for a person to look at.
final class HeadlessBrowser: Sendable {
    static let chromium = "/usr/bin/chromium", chromedriver = "/usr/bin/chromedriver"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver) }
    static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/monitor-screenshots")

    let driver: Process
    let http: RESTClient
    let session: String

    private init(driver: Process, http: RESTClient, session: String) {
        self.driver = driver
        self.http = http
        self.session = session
    }

    /// Starts chromedriver on a free port and a headless Chromium session.
    static func start() async throws -> HeadlessBrowser {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("chromedriver-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=0"]
        driver.standardOutput = try FileHandle(forWritingTo: log)
        try driver.run()
        var port: Int?
        for _ in 0..<200 where port == nil {
            try await Task.sleep(for: .milliseconds(50))
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            port = text.firstMatch(of: /started successfully on port (\d+)/).flatMap { Int($0.1) }
        }
        guard let port else {
            kill(driver.processIdentifier, SIGKILL)
            throw ClientError("chromedriver did not start: \(log.path)")
        }
        let http = try await RESTClient.connect(port: port, user: "", password: "")
        let caps: Value = ["capabilities": ["alwaysMatch": ["goog:loggingPrefs": ["browser": "ALL"], "goog:chromeOptions": [
            "binary": .string(chromium), "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800"],
        ]]]]
        let reply = try await http.send("POST", "/session", body: caps.jsonBytes(), user: .some(nil))
        guard let id = try reply.json["value"]["sessionId"].stringValue else {
            kill(driver.processIdentifier, SIGKILL)
            throw ClientError("chromedriver refused a session: \(String(decoding: reply.body, as: UTF8.self))")
        }
        return HeadlessBrowser(driver: driver, http: http, session: id)
    }

    /// One WebDriver command; its `value`.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: Value = .dict(ValueDict())) async throws -> Value {
        let reply = try await http.send(method, "/session/\(session)\(path)", body: method == "GET" ? [] : body.jsonBytes(), user: .some(nil))
        let v = try reply.json["value"]
        if reply.status != 200 { throw ClientError("WebDriver \(method) \(path): \(v["error"].stringValue ?? "") \(v["message"].stringValue ?? "")") }
        return v
    }

    func open(_ url: String) async throws { try await command("POST", "/url", ["url": .string(url)]) }
    var url: String { get async throws { try await command("GET", "/url").stringValue ?? "" } }

    /// The elements a CSS selector finds, by WebDriver id.
    func find(_ css: String) async throws -> [String] {
        let v = try await command("POST", "/elements", ["using": "css selector", "value": .string(css)])
        return v.listValue?.compactMap { $0.dictValue?.entries.first?.value.stringValue } ?? []
    }

    func type(_ css: String, _ text: String) async throws {
        let e = try #require(try await find(css).first, "no \(css)")
        try await command("POST", "/element/\(e)/value", ["text": .string(text)])
    }

    func click(_ css: String) async throws {
        let e = try #require(try await find(css).first, "no \(css)")
        try await command("POST", "/element/\(e)/click")
    }

    func text(_ css: String) async throws -> String {
        guard let e = try await find(css).first else { return "" }
        return try await command("GET", "/element/\(e)/text").stringValue ?? ""
    }

    /// Waits (up to `seconds`) until the text of `css` satisfies `ok`; returns the last text seen.
    @discardableResult
    func wait(_ css: String, seconds: Double = 10, until ok: (String) -> Bool) async throws -> String {
        try await poll(seconds, { try await self.text(css) }, until: ok)
    }

    /// Waits (up to `seconds`) until the page's address satisfies `ok` (a click's navigation has finished).
    @discardableResult
    func waitForURL(seconds: Double = 10, until ok: (String) -> Bool) async throws -> String {
        try await poll(seconds, { try await self.url }, until: ok)
    }

    func poll(_ seconds: Double, _ read: () async throws -> String, until ok: (String) -> Bool) async throws -> String {
        let end = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < end {
            last = try await read()
            if ok(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        return last
    }

    /// Saves a PNG of the page as `.build/monitor-screenshots/<name>.png`.
    func screenshot(_ name: String) async throws {
        let base64 = try #require(try await command("GET", "/screenshot").stringValue)
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        try #require(Data(base64Encoded: base64)).write(to: Self.screenshots.appendingPathComponent("\(name).png"))
    }

    /// The browser console's messages at level SEVERE (script errors, refused resources, CSP violations).
    func severeConsoleMessages() async throws -> [String] {
        let v = try await command("POST", "/se/log", ["type": "browser"])
        return v.listValue?.filter { $0["level"] == "SEVERE" }.compactMap { $0["message"].stringValue } ?? []
    }

    /// Ends the browser and chromedriver (which ignores SIGTERM while a client is connected: it is asked to
    /// shut down, then killed if it has not within 2 s).
    func quit() async {
        _ = try? await http.send("DELETE", "/session/\(session)", user: .some(nil))
        _ = try? await http.send("GET", "/shutdown", user: .some(nil))
        await http.close()
        for _ in 0..<40 where driver.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
    }
}

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
                try await browser.open(base + "/")
                try await browser.screenshot("login")
                try await browser.type("input[name=user]", "alice")
                try await browser.type("input[name=password]", "pw")
                try await browser.click("button[type=submit]")
                #expect(try await browser.waitForURL { $0 == base + "/monitor/server" } == base + "/monitor/server")
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
                try await browser.screenshot("sessions")
                #expect(try await browser.severeConsoleMessages() == [], "no script errors or refused resources")
            } catch {
                await browser.quit()
                throw error
            }
            await browser.quit()
        }
    }
}
