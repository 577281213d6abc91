/// The monitor's script and style sheet, embedded in the executable and served at `/monitor/static/<name>`.
/// Only these names are served: nothing is read from disk, so no path reaches a file.
enum MonitorAssets {
    static let files: [String: (type: String, text: String)] = [
        "monitor.js": ("text/javascript; charset=utf-8", script),
        "monitor.css": ("text/css; charset=utf-8", style),
    ]

    static func response(_ name: String) throws(MonitorError) -> RESTResponse {
        guard let f = files[name] else {
            throw MonitorError(.notFound, "No such file", details: "the monitor serves /monitor/static/monitor.js and /monitor/static/monitor.css")
        }
        return RESTResponse(status: .ok, body: Array(f.text.utf8), headers: [("Content-Type", f.type)])
    }

    /// Keeps the page's table current and writes text with `textContent` only. The Sessions, Running actions, Tables,
    /// Training and Log pages follow the event stream (`/monitor/api/events`): each event asks for the page's JSON twin,
    /// at most once a second. The Server page, and these while the stream is not open, poll it every 2 s.
    static let script = #"""
        "use strict";
        (function () {
          const page = document.body.dataset.page;
          if (!page) return;
          const csrfMeta = document.querySelector('meta[name="csrf-token"]');
          const csrf = csrfMeta ? csrfMeta.content : "";
          const POLL_MS = 2000, MIN_MS = 1000;
          // pages the event stream (/monitor/api/events) keeps current; the others poll
          const LIVE_PAGES = ["sessions", "actions", "tables", "training", "log"];

          function bytes(n) {
            const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
            let x = n, u = 0;
            while (x >= 1024 && u < units.length - 1) { x /= 1024; u++; }
            return u === 0 ? n + " bytes" : x.toFixed(x < 10 ? 1 : 0) + " " + units[u];
          }
          function duration(sec) {
            const s = Math.round(sec);
            if (s >= 3600) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
            if (s >= 60) return Math.floor(s / 60) + " min " + (s % 60) + " s";
            return s + " s";
          }
          function el(tag, text, cls) {
            const e = document.createElement(tag);
            if (text !== undefined && text !== null) e.textContent = String(text);
            if (cls) e.className = cls;
            return e;
          }
          function button(action, label, fields) {
            const f = el("form"); f.method = "post"; f.action = action;
            for (const [name, value] of [["csrf", csrf]].concat(fields || [])) {
              const h = el("input"); h.type = "hidden"; h.name = name; h.value = value; f.append(h);
            }
            const b = el("button", label); b.type = "submit";
            f.append(b);
            return f;
          }
          function acl(t) {
            if (t.session !== null) return "its session only";
            if (t.acl === null) return "not shown (no ReadInfo on the caslib)";
            if (t.acl.length === 0) return "owner and administrators (no entries)";
            return t.acl.map(e => (e.grant ? "+" : "\u2212") + e.permission + " " +
              (e.identityType === "Group" ? (e.identity === "*" ? "every user" : "group " + e.identity) : e.identity) + " (" + e.on + ")").join("; ");
          }
          function tableButtons(t) {
            const span = el("span");
            const fields = [["caslib", t.caslib], ["name", t.name]].concat(t.session === null ? [] : [["session", t.session]]);
            for (const [op, label] of [["drop", "Drop"], ["promote", "Promote"], ["save", "Save"]]) {
              if (t.rights[op]) span.append(button("/monitor/api/tables/" + op, label, fields), " ");
            }
            return span;
          }
          function tableLink(t) {
            const q = new URLSearchParams({ caslib: t.caslib, name: t.name });
            if (t.session !== null) q.set("session", t.session);
            const a = el("a", t.name); a.href = "/monitor/table?" + q.toString();
            return a;
          }
          function fill(rows, columns, cells) {
            const body = document.getElementById("rows");
            if (!body) return;
            body.replaceChildren();
            if (rows.length === 0) {
              const empty = { sessions: "No sessions.", actions: "No running actions.", tables: "No tables.", log: "No log lines." };
              const tr = el("tr", null, "empty"), td = el("td", empty[page]);
              td.colSpan = columns; tr.append(td); body.append(tr);
              return;
            }
            for (const r of rows) {
              const tr = el("tr");
              for (const c of cells(r)) { const td = el("td"); td.append(c); tr.append(td); }
              body.append(tr);
            }
          }
          function progress(a) {
            const span = el("span");
            if (a.state === "queued") { span.textContent = "queued"; return span; }
            if (!a.progress) { span.textContent = "running"; return span; }
            const p = a.progress;
            if (a.percent !== null) {
              const bar = el("progress"); bar.max = 100; bar.value = a.percent;
              span.append(bar, " " + a.percent.toFixed(1) + "% ");
            }
            span.append(el("span", (p.total > 0 ? p.done + "/" + p.total : p.done) + " " + p.unit + " " + p.message));
            return span;
          }
          function code(text) { return el("code", text); }
          const render = {
            server(d) {
              const values = {
                version: d.version, uptime: duration(d.uptimeSeconds), started: d.started,
                nodes: d.nodes + ": " + d.nodeList.map(n => n.name + " (" + n.role + ", " + n.state + ", " + n.cores + " cores)").join(", "),
                cpu: d.cpu === null ? "unknown" : d.cpu.usedCores.toFixed(2) + " of " + d.cpu.cores + " cores (" +
                  d.cpu.percent.toFixed(1) + "%) over the last " + d.cpu.intervalSeconds.toFixed(1) + " s",
                memory: bytes(d.memory.usedBytes) + " of " + bytes(d.memory.limitBytes),
                sessionLimit: bytes(d.memory.sessionLimitBytes),
                resident: d.memory.peakResidentBytes === null ? "unknown" : bytes(d.memory.peakResidentBytes),
                sessions: d.sessions, runningActions: d.runningActions, actionSets: d.actionSets.join(", "),
              };
              for (const [k, v] of Object.entries(values)) {
                const dd = document.querySelector('[data-field="' + k + '"]');
                if (dd) dd.textContent = String(v);
              }
            },
            sessions(d) {
              fill(d.sessions, 9, s => [s.name, s.user, code(s.id), s.state, duration(s.idleSeconds), bytes(s.memoryBytes),
                String(s.tables), String(s.actions), button("/monitor/api/sessions/" + encodeURIComponent(s.id) + "/end", "End")]);
            },
            actions(d) {
              fill(d.actions, 7, a => [a.action, a.user, code(a.session), a.started, progress(a),
                a.etaSeconds === null ? "" : duration(a.etaSeconds),
                button("/monitor/api/actions/" + encodeURIComponent(a.id) + "/cancel", "Cancel")]);
            },
            tables(d) {
              fill(d.tables, 9, t => {
                const scope = el("span", t.session === null ? "global" : "session ");
                if (t.session !== null) scope.append(code(t.session));
                return [t.caslib, tableLink(t), scope, String(t.rows), String(t.columns), bytes(t.memoryBytes), t.owner, acl(t), tableButtons(t)];
              });
            },
            log(d) {
              fill(d.lines, 5, l => [l.time, code(l.session), l.action, l.level, l.message]);
            },
            training(d) {
              const shown = Array.from(document.querySelectorAll("section.run")).map(s => s.dataset.run).sort().join(",");
              if (d.trainings.map(r => String(r.id)).sort().join(",") !== shown) { window.location.reload(); return; }
              for (const r of d.trainings) {
                const section = document.querySelector('section.run[data-run="' + r.id + '"]');
                if (!section) continue;
                // a batch chart or a confusion matrix that appeared since the page was drawn: draw it again
                // (and pictures made from the model since: dlEvaluatePictures, dlHeatMap)
                const pictures = r.pictures.map(p => p.url).join(",");
                const shownPictures = Array.from(section.querySelectorAll("img.picture")).map(i => new URL(i.src).pathname).reverse().join(",");
                if ((r.batches.length > 0 && !section.querySelector("img.batches")) || (r.confusion !== null && !section.querySelector("img.confusion")) ||
                    pictures !== shownPictures) {
                  window.location.reload(); return;
                }
                if (section.dataset.state !== "running" && r.state === section.dataset.state) continue;
                section.dataset.state = r.state;
                const last = r.history.length ? r.history[r.history.length - 1] : null;
                let text = r.user + ", session " + r.session + ", started " + r.started + ": " + r.state + ", " + (last ? last.epoch + 1 : 0) + " of " + r.epochs + " epochs";
                if (last) text += ", loss " + last.loss.toFixed(4) + ", fit error " + (last.fitError * 100).toFixed(2) + "%, learning rate " + last.learningRate;
                section.querySelector('[data-field="summary"]').textContent = text;
                section.querySelector("img.chart").src = "/monitor/api/training/" + r.id + "/chart.svg?t=" + Date.now();
                const batches = section.querySelector("img.batches");
                if (batches) batches.src = "/monitor/api/training/" + r.id + "/batches.svg?t=" + Date.now();
              }
            },
          };
          let lastFetch = 0, pending = null, live = false;
          async function refresh() {
            lastFetch = Date.now();
            try {
              const r = await fetch("/monitor/api/" + page + window.location.search, { credentials: "same-origin", headers: { Accept: "application/json" } });
              if (r.status === 401) { window.location.assign("/"); return; }
              if (r.ok) {
                render[page](await r.json());
                const u = document.getElementById("updated");
                if (u) u.textContent = (live ? "Live, updated " : "Updated ") + new Date().toLocaleTimeString();
              }
            } catch (e) { /* the server may be restarting: try again at the next tick */ }
          }
          // an event asks for a refresh: at most one a second (MIN_MS), however fast events come
          function schedule() {
            if (pending !== null) return;
            pending = window.setTimeout(() => { pending = null; refresh(); }, Math.max(0, lastFetch + MIN_MS - Date.now()));
          }
          // polling: every POLL_MS while the event stream is not open (or on pages it does not drive), and every
          // 5 × POLL_MS while it is, in case events stop coming on an open stream
          let polls = 0;
          function poll() {
            polls += 1;
            if (!live || polls % 5 === 0) refresh();
            window.setTimeout(poll, POLL_MS);
          }
          window.setTimeout(poll, POLL_MS);
          if (LIVE_PAGES.includes(page) && window.EventSource) {
            const events = new EventSource("/monitor/api/events");
            events.onopen = () => { live = true; schedule(); };
            events.onerror = () => { live = false; };  // EventSource reconnects by itself; polling covers the gap
            for (const name of ["call", "progress", "log", "training", "session", "table", "gap"]) events.addEventListener(name, schedule);
            events.addEventListener("logout", () => { events.close(); window.location.assign("/"); });
          }
        })();
        """#

    static let style = """
        :root { font-family: system-ui, sans-serif; color: #1d232a; background: #fafafa; }
        body { margin: 0; }
        header { display: flex; gap: 1.5em; align-items: center; padding: .6em 1.2em; background: #1f3b57; color: #fff; }
        header a { color: #d8e6f3; text-decoration: none; margin-right: 1em; }
        header a[aria-current="page"] { color: #fff; font-weight: 600; border-bottom: 2px solid #fff; }
        header .who { margin-left: auto; }
        header form { display: inline; }
        main { padding: 1em 1.2em; }
        main.login { max-width: 22em; margin: 4em auto; }
        main.login label { display: block; margin: .6em 0; }
        main.login input { display: block; width: 100%; padding: .3em; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #e2e5e8; vertical-align: middle; }
        th { background: #eef1f4; }
        td form, div.buttons form { display: inline-block; margin: 0 .3em 0 0; }
        div.buttons { margin: 1em 0; }
        tr.empty td { color: #67707a; font-style: italic; }
        progress { width: 10em; vertical-align: middle; }
        section.run { background: #fff; border: 1px solid #e2e5e8; padding: .6em 1em; margin-bottom: 1em; }
        section.run h2 { margin: .2em 0; font-size: 1.1em; }
        img.chart, img.confusion, img.picture { max-width: 100%; height: auto; vertical-align: top; }
        div.pictures { display: flex; flex-wrap: wrap; gap: 1em; }
        div.pictures figure { margin: 0; max-width: 660px; }
        div.pictures figcaption { color: #67707a; font-size: .9em; }
        img.heatmap { min-width: 160px; image-rendering: pixelated; }
        dl.facts { display: grid; grid-template-columns: max-content auto; gap: .4em 1.5em; }
        dl.facts dt { font-weight: 600; }
        dl.facts dd { margin: 0; }
        .error { color: #a4161a; }
        .note, .updated { color: #67707a; font-size: .9em; }
        p.filter a { margin-right: 1em; }
        p.filter a[aria-current="true"] { font-weight: 600; }
        button { cursor: pointer; }
        """
}
