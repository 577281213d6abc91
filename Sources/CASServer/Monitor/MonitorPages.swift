import CASCore
import CASWire
import Foundation
import NIOHTTP1

/// The monitor's HTML, rendered on the server. Every string that reaches a page passes through
/// `Markup.escape` (the one escaping function, shared with deepLearn's SVG pictures); the page's script then keeps the tables current from the
/// JSON endpoints, writing text only (`textContent`), never markup.
enum MonitorPages {
    static func login(mode: AuthMode, message: String?, status: HTTPResponseStatus) -> RESTResponse {
        let passwordNote = mode == .none ? "<p class=\"note\">This server runs with <code>--auth none</code>: any valid user name logs in; the password is not checked.</p>" : ""
        let body = """
            <main class="login"><h1>caslite monitor</h1>
            \(message.map { "<p class=\"error\" role=\"alert\">\(Markup.escape($0))</p>" } ?? "")
            <form method="post" action="/monitor/login">
            <label>User <input name="user" autocomplete="username" required autofocus></label>
            <label>Password <input name="password" type="password" autocomplete="current-password"></label>
            <button type="submit">Log in</button></form>\(passwordNote)</main>
            """
        return html(document(title: "Log in", page: nil, csrf: nil, header: "", body: body), status: status)
    }

    static func error(_ status: HTTPResponseStatus, _ error: String, details: String) -> RESTResponse {
        let body = "<main><h1>\(Markup.escape(error))</h1><p>\(Markup.escape(details))</p><p><a href=\"/monitor/server\">Back to the monitor</a></p></main>"
        return html(document(title: error, page: nil, csrf: nil, header: "", body: body), status: status)
    }

    static func page(_ page: MonitorPage, _ s: MonitorSnapshot, _ query: MonitorQuery, csrf: String) async -> RESTResponse {
        let content: String
        switch page {
        case .server: content = server(await s.serverRow())
        case .sessions: content = sessions(await s.sessionRows(), csrf: csrf)
        case .actions: content = actions(await s.actionRows(), csrf: csrf)
        case .tables: content = caslibs(await s.caslibRows()) + "<h2>Tables in memory</h2>" + tables(await s.tableRows(), csrf: csrf)
        case .training: content = training(s.trainings())
        case .log: content = log(await s.logLines(minLevel: query.level, session: query.session), query)
        }
        let body = "<main><h1>\(Markup.escape(page.title))</h1>\(content)<p class=\"updated\" id=\"updated\"></p></main>"
        return html(document(title: page.title, page: page, csrf: csrf, header: header(page, s.viewer, csrf: csrf), body: body), status: .ok)
    }

    static func server(_ r: MonitorSnapshot.ServerRow) -> String {
        let items: [(String, String, String)] = [
            ("version", "Version", r.version), ("uptime", "Up for", duration(r.uptime)), ("started", "Started", Session.isoStamp(r.started) ),
            ("nodes", "Nodes", "\(r.nodes): " + r.nodeList.map { "\($0.name) (\($0.role.rawValue), \($0.state.rawValue), \($0.cores) cores)" }.joined(separator: ", ")),
            ("cpu", "CPU in use", cpuText(r.cpu)), ("memory", "Memory in tables and actions", "\(ByteCount.text(r.memoryUsed)) of \(ByteCount.text(r.memoryLimit))"),
            ("sessionLimit", "Memory limit per session", ByteCount.text(r.sessionMemoryLimit)),
            ("resident", "Process resident memory, at most so far", r.peakResidentBytes.map(ByteCount.text) ?? "unknown"),
            ("sessions", "Sessions", String(r.sessions)), ("runningActions", "Running actions", String(r.runningActions)),
            ("actionSets", "Action sets", r.actionSets.joined(separator: ", ")),
        ]
        let rows = items.map { "<dt>\(Markup.escape($0.1))</dt><dd data-field=\"\($0.0)\">\(Markup.escape($0.2))</dd>" }.joined()
        return "<dl class=\"facts\">\(rows)</dl>"
    }

    /// `0.42 of 2 cores (21.0%) over the last 2.0 s`.
    static func cpuText(_ u: ProcessCPU.Use?) -> String {
        guard let u else { return "unknown" }
        return "\(Fixed.text(u.usedCores, 2)) of \(u.cores) cores (\(Fixed.text(u.percent, 1))%) over the last \(Fixed.text(u.interval, 1)) s"
    }

    static func sessions(_ rows: [MonitorSnapshot.SessionRow], csrf: String) -> String {
        let head = ["Name", "User", "Id", "State", "Idle", "Memory", "Tables", "Actions", ""]
        return table(head, rows.map { r in
            [Markup.escape(r.name), Markup.escape(r.user), "<code>\(Markup.escape(r.id))</code>", Markup.escape(r.state), duration(r.idleSeconds),
             ByteCount.text(r.memoryBytes), String(r.tables), String(r.actions),
             button("/monitor/api/sessions/\(r.id)/end", "End", csrf: csrf)]
        }, empty: "No sessions.")
    }

    static func actions(_ rows: [MonitorSnapshot.ActionRow], csrf: String) -> String {
        let head = ["Action", "User", "Session", "Started", "Progress", "ETA", ""]
        return table(head, rows.map { r in
            [Markup.escape(r.action), Markup.escape(r.user), "<code>\(Markup.escape(r.session))</code>", Markup.escape(Session.isoStamp(r.started)),
             progress(r), r.eta.map(duration) ?? "", button("/monitor/api/actions/\(r.id)/cancel", "Cancel", csrf: csrf)]
        }, empty: "No running actions.")
    }

    static func tables(_ rows: [MonitorSnapshot.TableRow], csrf: String) -> String {
        let head = ["Caslib", "Table", "Scope", "Rows", "Columns", "Memory", "Owner", "Access", ""]
        return table(head, rows.map { r in
            [Markup.escape(r.caslib), "<a href=\"/monitor/table?\(Markup.escape(r.ref.query))\">\(Markup.escape(r.name))</a>",
             r.session.map { "session <code>\(Markup.escape($0))</code>" } ?? "global",
             String(r.rows), String(r.columns), ByteCount.text(r.memoryBytes), Markup.escape(r.owner), Markup.escape(accessSummary(r)),
             tableButtons(r, csrf: csrf)]
        }, empty: "No tables.")
    }

    /// `session table` / `+Select bob (table); −DropTable every user (caslib)` / `owner and administrators only`.
    static func accessSummary(_ r: MonitorSnapshot.TableRow) -> String {
        guard r.session == nil else { return "its session only" }
        guard let entries = r.access else { return "not shown (no ReadInfo on the caslib)" }
        return entries.isEmpty ? "owner and administrators (no entries)" : entries.map(MonitorSnapshot.text).joined(separator: "; ")
    }

    /// The Drop / Promote / Save buttons the viewer's rights allow.
    static func tableButtons(_ r: MonitorSnapshot.TableRow, csrf: String) -> String {
        let allowed = TableOperation.allCases.filter(r.rights.allows)
        var fields = [("caslib", r.caslib), ("name", r.name)]
        if let s = r.session { fields.append(("session", s)) }
        return allowed.map { button("/monitor/api/tables/\($0.rawValue)", $0.label, csrf: csrf, fields: fields) }.joined(separator: " ")
    }

    static func caslibs(_ rows: [MonitorSnapshot.CaslibRow]) -> String {
        let head = ["Caslib", "Scope", "Description", "Path", "Subdirectories", "Owner"]
        return "<h2>Caslibs</h2>" + table(head, rows.map { r in
            [Markup.escape(r.caslib.name), Markup.escape(r.caslib.scope.rawValue) + (r.session.map { " <code>\(Markup.escape($0))</code>" } ?? ""),
             Markup.escape(r.caslib.description), "<code>\(Markup.escape(r.path))</code>", r.caslib.subdirectories ? "yes" : "no",
             Markup.escape(r.caslib.owner)]
        }, empty: "No caslibs.", id: "caslibs")
    }

    /// One table: what it is, its columns, its first rows (with Select), and the buttons.
    static func table(_ d: MonitorSnapshot.TableDetail, _ s: MonitorSnapshot, csrf: String) -> RESTResponse {
        let r = d.row
        let facts: [(String, String)] = [
            ("Caslib", r.caslib), ("Scope", r.session.map { "session \($0)" } ?? "global"), ("Rows", String(r.rows)), ("Columns", String(r.columns)),
            ("Memory", ByteCount.text(r.memoryBytes)), ("Owner", r.owner), ("Created", Session.isoStamp(r.created)), ("Access", accessSummary(r)),
        ]
        let dl = "<dl class=\"facts\">" + facts.map { "<dt>\(Markup.escape($0.0))</dt><dd>\(Markup.escape($0.1))</dd>" }.joined() + "</dl>"
        let columns = table(["Column", "Label", "Type", "Length", "Format"], d.columns.map { c in
            [Markup.escape(c.name), Markup.escape(c.label), Markup.escape(c.type.rawValue), String(c.width), Markup.escape(c.format)]
        }, empty: "No columns.", id: "columns")
        let rows: String
        if let head = d.head {
            rows = "<h2>First \(min(d.limit, r.rows)) of \(r.rows) rows</h2>"
                + table(d.columns.map(\.name), head.map { $0.map { Markup.escape(MonitorSnapshot.cellText($0)) } }, empty: "No rows.", id: "head")
        } else {
            rows = "<p class=\"note\">You may see this table but not read its rows (Select).</p>"
        }
        let body = "<main><h1>\(Markup.escape(r.name))</h1>\(dl)<div class=\"buttons\">\(tableButtons(r, csrf: csrf))</div><h2>Columns</h2>\(columns)\(rows)"
            + "<p><a href=\"/monitor/tables\">All tables</a></p></main>"
        return html(document(title: r.name, page: nil, csrf: csrf, header: header(.tables, s.viewer, csrf: csrf), body: body), status: .ok)
    }

    /// The lines, with links that choose the lowest level shown (the script polls with the same query).
    static func log(_ lines: [(session: String, line: SessionLogLine)], _ query: MonitorQuery) -> String {
        let filter = LogLevel.allCases.map { l in
            let href = "/monitor/log?level=\(l.rawValue)" + (query.session.map { "&session=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? "")
            return "<a href=\"\(Markup.escape(href))\"\(l == query.level ? " aria-current=\"true\"" : "")>\(l.rawValue) and above</a>"
        }.joined(separator: " ")
        let rows = table(["Time", "Session", "Action", "Level", "Message"], lines.map { l in
            [Markup.escape(Session.isoStamp(l.line.time)), "<code>\(Markup.escape(l.session))</code>", Markup.escape(l.line.action),
             Markup.escape(l.line.line.level.rawValue), Markup.escape(l.line.line.message)]
        }, empty: "No log lines.")
        return "<p class=\"filter\">\(filter)</p>\(rows)"
    }

    /// One section per run, newest first: what it is, its last epoch, and its curves as an SVG image (the script
    /// refreshes it while the run trains).
    static func training(_ runs: [TrainingRecord]) -> String {
        guard !runs.isEmpty else { return "<p class=\"note\">No training runs yet: deepLearn.dlTrain runs appear here as they train.</p>" }
        return runs.reversed().map { r in
            "<section class=\"run\" data-run=\"\(r.id)\" data-state=\"\(r.state.rawValue)\"><h2>\(Markup.escape(r.model))</h2>"
                + "<p class=\"facts\" data-field=\"summary\">\(Markup.escape(summary(r)))</p>"
                + "<img class=\"chart\" src=\"/monitor/api/training/\(r.id)/chart.svg\" width=\"560\" height=\"340\" alt=\"\(Markup.escape("Loss and fit error per epoch of \(r.model)"))\">"
                + (r.batches.isEmpty ? "" : "<img class=\"chart batches\" src=\"/monitor/api/training/\(r.id)/batches.svg\" width=\"560\" height=\"340\" alt=\"\(Markup.escape("Loss per batch of \(r.model)"))\">")
                + (r.confusion == nil ? "" : "<img class=\"confusion\" src=\"/monitor/api/training/\(r.id)/confusion.svg\" alt=\"\(Markup.escape("Confusion matrix of \(r.model)"))\">")
                + pictures(r) + "</section>"
        }.joined()
    }

    /// The pictures made from the run's model, newest first, each an image (never inline markup) with its caption.
    static func pictures(_ r: TrainingRecord) -> String {
        guard !r.pictures.isEmpty else { return "" }
        let figures = r.pictures.reversed().map { p in
            let what = p.kind == .evaluation ? "Evaluation" : "Heat map"
            return "<figure><img class=\"picture \(p.kind == .evaluation ? "evaluation" : "heatmap")\" src=\"\(MonitorSnapshot.pictureURL(r, p))\" alt=\"\(Markup.escape("\(what): \(p.caption)"))\">"
                + "<figcaption>\(Markup.escape("\(what), \(p.caption)"))</figcaption></figure>"
        }
        return "<h3>Pictures of the model</h3><div class=\"pictures\">\(figures.joined())</div>"
    }

    /// `alice, session …, started …: running, 3 of 10 epochs, loss 0.4123, fit error 12.50%, learning rate 0.001`.
    static func summary(_ r: TrainingRecord) -> String {
        var s = "\(r.user), session \(r.session), started \(Session.isoStamp(r.started)): \(r.state.rawValue), \(r.epochsDone) of \(r.epochs) epochs"
        if let p = r.points.last {
            s += ", loss \(Fixed.text(p.loss, 4)), fit error \(Fixed.text(p.fitError * 100, 2))%, learning rate \(p.learningRate)"
        }
        return s
    }

    static func progress(_ r: MonitorSnapshot.ActionRow) -> String {
        guard r.running else { return "queued" }
        guard let p = r.progress else { return "running" }
        let bar = r.percent.map { "<progress max=\"100\" value=\"\(Fixed.text($0, 1))\"></progress> \(Fixed.text($0, 1))%" } ?? ""
        let count = p.total > 0 ? "\(p.done)/\(p.total)" : "\(p.done)"
        return "\(bar) <span>\(Markup.escape("\(count) \(p.unit) \(p.message)"))</span>"
    }

    // MARK: pieces

    static func table(_ head: [String], _ rows: [[String]], empty: String, id: String = "rows") -> String {
        let th = head.map { "<th>\(Markup.escape($0))</th>" }.joined()
        let body = rows.isEmpty
            ? "<tr class=\"empty\"><td colspan=\"\(head.count)\">\(Markup.escape(empty))</td></tr>"
            : rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined()
        return "<table><thead><tr>\(th)</tr></thead><tbody id=\"\(id)\">\(body)</tbody></table>"
    }

    /// A POST form of one button, carrying the CSRF token and `fields` as hidden inputs.
    static func button(_ action: String, _ label: String, csrf: String, fields: [(String, String)] = []) -> String {
        let hidden = ([("csrf", csrf)] + fields).map { "<input type=\"hidden\" name=\"\(Markup.escape($0.0))\" value=\"\(Markup.escape($0.1))\">" }.joined()
        return "<form method=\"post\" action=\"\(Markup.escape(action))\">\(hidden)<button type=\"submit\">\(Markup.escape(label))</button></form>"
    }

    static func header(_ current: MonitorPage, _ viewer: LoginIdentity, csrf: String) -> String {
        let links = MonitorPage.allCases.map { p in
            "<a href=\"/monitor/\(p.rawValue)\"\(p == current ? " aria-current=\"page\"" : "")>\(Markup.escape(p.title))</a>"
        }.joined(separator: " ")
        return """
            <header><strong>caslite</strong> <nav>\(links)</nav>
            <span class="who">\(Markup.escape(viewer.user))\(viewer.isAdmin ? " (administrator)" : "")</span>
            \(button("/monitor/logout", "Log out", csrf: csrf))</header>
            """
    }

    static func document(title: String, page: MonitorPage?, csrf: String?, header: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>caslite monitor — \(Markup.escape(title))</title>
        \(csrf.map { "<meta name=\"csrf-token\" content=\"\(Markup.escape($0))\">" } ?? "")
        <link rel="icon" href="data:,"><link rel="stylesheet" href="/monitor/static/monitor.css"><script src="/monitor/static/monitor.js" defer></script></head>
        <body data-page="\(page?.rawValue ?? "")">\(header)\(body)</body></html>
        """
    }

    static func html(_ text: String, status: HTTPResponseStatus) -> RESTResponse {
        RESTResponse(status: status, body: Array(text.utf8), headers: [("Content-Type", "text/html; charset=utf-8")])
    }

    /// `3 h 12 min`, `4 min 5 s`, `12 s`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }
}
