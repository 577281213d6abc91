import CASClient
import CASWire
import Foundation
import Testing

/// A headless Chromium driven through chromedriver's W3C WebDriver HTTP API (no Selenium: the API is a
/// handful of JSON requests). Screenshots go to `.build/monitor-screenshots/` for a person to look at.
public final class HeadlessBrowser: Sendable {
    public static let chromium = "/usr/bin/chromium", chromedriver = "/usr/bin/chromedriver"
    public static var available: Bool { FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver) }
    public static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
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
    public static func start() async throws -> HeadlessBrowser {
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
    public func command(_ method: String, _ path: String, _ body: Value = .dict(ValueDict())) async throws -> Value {
        let reply = try await http.send(method, "/session/\(session)\(path)", body: method == "GET" ? [] : body.jsonBytes(), user: .some(nil))
        let v = try reply.json["value"]
        if reply.status != 200 { throw ClientError("WebDriver \(method) \(path): \(v["error"].stringValue ?? "") \(v["message"].stringValue ?? "")") }
        return v
    }

    public func open(_ url: String) async throws { try await command("POST", "/url", ["url": .string(url)]) }
    public var url: String { get async throws { try await command("GET", "/url").stringValue ?? "" } }

    /// The elements a CSS selector finds, by WebDriver id.
    public func find(_ css: String) async throws -> [String] {
        let v = try await command("POST", "/elements", ["using": "css selector", "value": .string(css)])
        return v.listValue?.compactMap { $0.dictValue?.entries.first?.value.stringValue } ?? []
    }

    public func type(_ css: String, _ text: String) async throws {
        let e = try #require(try await find(css).first, "no \(css)")
        try await command("POST", "/element/\(e)/value", ["text": .string(text)])
    }

    public func click(_ css: String) async throws {
        let e = try #require(try await find(css).first, "no \(css)")
        try await command("POST", "/element/\(e)/click")
    }

    public func text(_ css: String) async throws -> String {
        guard let e = try await find(css).first else { return "" }
        return try await command("GET", "/element/\(e)/text").stringValue ?? ""
    }

    /// How many of the images `css` finds have loaded and decoded (`complete`, with a natural width): a picture served
    /// with a wrong type or broken bytes is not.
    public func loadedImages(_ css: String) async throws -> Int {
        let script = "return Array.from(document.querySelectorAll(arguments[0])).filter(i => i.complete && i.naturalWidth > 0).length;"
        return Int(try await command("POST", "/execute/sync", ["script": .string(script), "args": [.string(css)]]).intValue ?? -1)
    }

    /// Scrolls the first element `css` finds to the top of the window (for a screenshot of it).
    public func scroll(to css: String) async throws {
        try await command("POST", "/execute/sync", ["script": "document.querySelector(arguments[0]).scrollIntoView();", "args": [.string(css)]])
    }

    /// Waits (up to `seconds`) until the text of `css` satisfies `ok`; returns the last text seen.
    @discardableResult
    public func wait(_ css: String, seconds: Double = 10, until ok: (String) -> Bool) async throws -> String {
        try await poll(seconds, { try await self.text(css) }, until: ok)
    }

    /// Waits (up to `seconds`) until the page's address satisfies `ok` (a click's navigation has finished).
    @discardableResult
    public func waitForURL(seconds: Double = 10, until ok: (String) -> Bool) async throws -> String {
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

    /// Logs in to the monitor at `base` through its form; returns the address the browser lands on.
    @discardableResult
    public func logIn(_ base: String, _ user: String, _ password: String) async throws -> String {
        try await open(base + "/")
        try await type("input[name=user]", user)
        try await type("input[name=password]", password)
        try await click("button[type=submit]")
        return try await waitForURL { $0 == base + "/monitor/server" }
    }

    /// Saves a PNG of the page as `.build/monitor-screenshots/<name>.png`.
    public func screenshot(_ name: String) async throws {
        let base64 = try #require(try await command("GET", "/screenshot").stringValue)
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        try #require(Data(base64Encoded: base64)).write(to: Self.screenshots.appendingPathComponent("\(name).png"))
    }

    /// The browser console's messages at level SEVERE (script errors, refused resources, CSP violations).
    public func severeConsoleMessages() async throws -> [String] {
        let v = try await command("POST", "/se/log", ["type": "browser"])
        return v.listValue?.filter { $0["level"] == "SEVERE" }.compactMap { $0["message"].stringValue } ?? []
    }

    /// Ends the browser and chromedriver (which ignores SIGTERM while a client is connected: it is asked to
    /// shut down, then killed if it has not within 2 s).
    public func quit() async {
        _ = try? await http.send("DELETE", "/session/\(session)", user: .some(nil))
        _ = try? await http.send("GET", "/shutdown", user: .some(nil))
        await http.close()
        for _ in 0..<40 where driver.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
    }
}
