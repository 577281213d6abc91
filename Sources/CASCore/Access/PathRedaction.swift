/// The last line of defence for "errors show caslib-relative paths only": every error line leaves the
/// dispatcher through `redact`, which replaces the server's own folders with what a client may see.
public struct PathRedaction: Sendable {
    /// Known folders, longest first, with what each is shown as.
    let folders: [(path: String, shown: String)]

    public init(dataRoot: String, caslibs: [Caslib]) {
        var f = caslibs.map { (RealPath.resolve($0.path), "caslib \($0.name):") }
        f += caslibs.map { ($0.path, "caslib \($0.name):") }
        f.append((dataRoot, "<data>"))
        folders = f.filter { !$0.0.isEmpty && $0.0 != "/" }.sorted { $0.0.count > $1.0.count }
    }

    public func redact(_ text: String) -> String {
        guard text.contains("/") else { return text }
        var out = text
        for (path, shown) in folders where out.contains(path) {
            out = out.replacingOccurrences(of: path + "/", with: shown.hasSuffix(":") ? shown : shown + "/")
            out = out.replacingOccurrences(of: path, with: shown.hasSuffix(":") ? String(shown.dropLast()) : shown)
        }
        return out
    }
}

extension ActionContext {
    /// The redaction for this call's errors: the data folder and every caslib the session can see.
    public func pathRedaction() async -> PathRedaction {
        let libs = (try? await visibleCaslibs()) ?? server.caslibs.builtins(for: user)
        return PathRedaction(dataRoot: server.caslibs.dataRoot, caslibs: libs + (await server.globalCaslibs.all()))
    }
}
