extension ClientFrame {
    public var value: Value {
        switch self {
        case .hello(let user, let password, let session, let v):
            var h = ValueDict([("user", .string(user)), ("protocol", .int(v))])
            if let password { h["password"] = .string(password) }
            if let session { h["session"] = .string(session) }
            return ["hello": .dict(h)]
        case .request(let id, let action, let params):
            return ["id": .int(id), "action": .string(action), "params": .dict(params)]
        case .cancel(let id):
            return ["cancel": .int(id)]
        }
    }

    /// One JSON line (with the trailing newline).
    public var line: [UInt8] { var b = value.jsonBytes(); b.append(0x0A); return b }

    /// Decodes a client line.
    public init(line: [UInt8]) throws(FrameError) {
        let v: Value
        do { v = try JSONParser.parse(line) } catch { throw FrameError("malformed JSON: \(error.description)") }
        guard case .dict(let d) = v else { throw FrameError("a frame must be a JSON object, got a \(v.typeName)") }
        if let h = d["hello"] {
            guard case .dict = h, let user = h["user"].stringValue else {
                throw FrameError("hello: expected {\"user\": \"NAME\", \"password\": …, \"session\": …, \"protocol\": 1}")
            }
            self = .hello(user: user, password: h["password"].stringValue, session: h["session"].stringValue,
                          protocolVersion: h["protocol"].intValue ?? protocolVersion)
        } else if let c = d["cancel"] {
            guard let id = c.intValue else { throw FrameError("cancel: expected the integer id of a running call") }
            self = .cancel(id: id)
        } else if d["action"] != nil || d["id"] != nil {
            let id = d["id"]?.intValue
            guard let id else { throw FrameError("request: expected an integer \"id\"") }
            guard let action = d["action"]?.stringValue, !action.isEmpty else {
                throw FrameError("request \(id): expected \"action\": \"set.action\"", id: id)
            }
            let params: ValueDict
            switch d["params"] ?? .dict(ValueDict()) {
            case .dict(let p): params = p
            case .null: params = ValueDict()
            default: throw FrameError("request \(id): \"params\" must be an object", id: id)
            }
            self = .request(id: id, action: action, params: params)
        } else {
            throw FrameError("unknown frame: expected one of \"hello\", \"action\" (with \"id\"), \"cancel\"")
        }
    }
}

extension Response {
    public var value: Value {
        var d = ValueDict()
        d["disposition"] = [
            "severity": .string(disposition.severity.rawValue), "reason": .string(disposition.reason),
            "statusCode": .int(disposition.statusCode), "formattedStatus": .string(disposition.formattedStatus),
        ]
        d["results"] = .dict(results)
        d["performance"] = [
            "elapsedTime": .double(performance.elapsedTime), "cpuUserTime": .double(performance.cpuUserTime),
            "cpuSystemTime": .double(performance.cpuSystemTime),
        ]
        return .dict(d)
    }

    public init(value v: Value) {
        let disp = v["disposition"]
        self.init(
            disposition: Disposition(
                severity: Severity(rawValue: disp["severity"].stringValue ?? "Normal") ?? .error,
                reason: disp["reason"].stringValue ?? "ok", statusCode: disp["statusCode"].intValue ?? 0,
                formattedStatus: disp["formattedStatus"].stringValue ?? ""),
            results: v["results"].dictValue ?? ValueDict(),
            performance: Performance(elapsedTime: v["performance"]["elapsedTime"].doubleValue ?? 0,
                                     cpuUserTime: v["performance"]["cpuUserTime"].doubleValue ?? 0,
                                     cpuSystemTime: v["performance"]["cpuSystemTime"].doubleValue ?? 0))
    }
}

extension ServerFrame {
    public var value: Value {
        switch self {
        case .welcome(let session, let user, let server, let v):
            return ["welcome": ["session": .string(session), "user": .string(user), "server": .string(server), "protocol": .int(v)]]
        case .log(let id, let line):
            return ["id": id.map { .int($0) } ?? .null, "log": ["level": .string(line.level.rawValue), "message": .string(line.message)]]
        case .progress(let id, let p):
            return ["id": .int(id), "progress": ["done": .int(p.done), "total": .int(p.total), "unit": .string(p.unit), "message": .string(p.message)]]
        case .response(let id, let r):
            return ["id": .int(id), "response": r.value]
        case .error(let id, let message):
            return ["id": id.map { .int($0) } ?? .null, "error": ["message": .string(message)]]
        }
    }

    /// One JSON line with its newline.
    public var line: [UInt8] { var b = value.jsonBytes(); b.append(0x0A); return b }

    /// The same line as `line`, handed to `emit` in pieces of about `chunk` bytes while it is written
    /// (a table of a million rows goes out while its later rows are still being formatted).
    public func writeLine(chunk: Int = 1 << 20, _ emit: (UnsafeRawBufferPointer) -> Void) {
        withoutActuallyEscaping(emit) { emit in
            var w = JSONWriter()
            w.sink = (chunk, emit)
            w.value(value)
            w.byte(0x0A)
            w.bytes.withUnsafeBytes(emit)
        }
    }

    public init(line: [UInt8]) throws(FrameError) {
        let v: Value
        do { v = try JSONParser.parse(line) } catch { throw FrameError("malformed JSON from server: \(error.description)") }
        let id = v["id"].intValue
        if case .dict(let w) = v["welcome"] {
            self = .welcome(session: w["session"]?.stringValue ?? "", user: w["user"]?.stringValue ?? "",
                            server: w["server"]?.stringValue ?? "", protocolVersion: w["protocol"]?.intValue ?? 0)
        } else if case .dict(let l) = v["log"] {
            self = .log(id: id, LogLine(LogLevel(rawValue: l["level"]?.stringValue ?? "NOTE") ?? .note, l["message"]?.stringValue ?? ""))
        } else if case .dict(let p) = v["progress"], let id {
            self = .progress(id: id, Progress(done: p["done"]?.intValue ?? 0, total: p["total"]?.intValue ?? 0,
                                              unit: p["unit"]?.stringValue ?? "", message: p["message"]?.stringValue ?? ""))
        } else if case .dict = v["response"], let id {
            self = .response(id: id, Response(value: v["response"]))
        } else if case .dict(let e) = v["error"] {
            self = .error(id: id, message: e["message"]?.stringValue ?? "")
        } else {
            throw FrameError("unknown server frame")
        }
    }
}
