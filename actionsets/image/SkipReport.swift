import CASCore

/// Collects files or rows an action skipped, and reports them in ONE warning:
/// how many, and the first few names with the reason.
struct SkipReport: Sendable {
    private(set) var count = 0
    private var first: [String] = []
    static let shown = 5

    mutating func add(_ name: String, _ reason: String) {
        count += 1
        if first.count < Self.shown { first.append("\(name) (\(reason))") }
    }

    /// The skipped items named in the warning ("name (reason)").
    var named: [String] { first }

    /// Takes in another report's count and names (a worker's part of an MPI server's call), after this one's.
    mutating func add(count n: Int, named: [String]) {
        count += n
        first += named.prefix(Self.shown - min(Self.shown, first.count))
    }

    /// Logs the warning, if anything was skipped. `what` is e.g. "files" or "images".
    func warn(_ ctx: ActionContext, _ what: String, _ why: String) {
        guard count > 0 else { return }
        var msg = "\(count) \(what) \(why) and were skipped: \(first.joined(separator: ", "))"
        if count > first.count { msg += ", and \(count - first.count) more" }
        ctx.warning(msg + ".")
    }
}
