import CASWire

extension RESTRoutes {
    /// swat's `upload_frame` sends `importOptions` in its own dialect, in the `JSON-Parameters` header:
    /// `vars` as an object keyed by column name (`{"a": {"type": "double"}}`) and a `locale`.
    /// caslite's importOptions take `vars` as a list of `{"name", "type", …}` and have no locale,
    /// so the object form becomes the list form and `locale` is dropped.
    static func swatUploadParameters(_ params: ValueDict) -> ValueDict {
        guard case .dict(var options)? = params["importOptions"] else { return params }
        options["locale"] = nil
        if case .dict(let vars)? = options["vars"] {
            options["vars"] = .list(vars.entries.map { entry in
                var v = entry.value.dictValue ?? ValueDict()
                if v["name"] == nil { v = ValueDict([("name", .string(entry.key))] + v.entries.map { ($0.key, $0.value) }) }
                return .dict(v)
            })
        }
        var out = params
        out["importOptions"] = .dict(options)
        return out
    }
}
