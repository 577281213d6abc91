import CASWire

extension ActionContext {
    /// Reserves `bytes` of the session's and the server's memory budget for this call's temporary data
    /// (decoded files, images being processed, a model being trained) *before* allocating it; refused
    /// with an error that names the limit and its flag. Everything reserved is given back when the call ends.
    public func reserve(_ bytes: Int, for what: String) throws(ActionError) {
        guard bytes > 0 else { return }
        try server.memory.charge(bytes, session: session.id, for: what)
        reservedBytes.withLock { $0 &+= bytes }
    }

    /// Gives back `bytes` of what `reserve` took (at most what this call holds).
    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let n = reservedBytes.withLock { held in
            let n = min(held, bytes)
            held -= n
            return n
        }
        server.memory.release(n, session: session.id)
    }

    /// Gives back everything `reserve` took (when the call ends, and when its result becomes a table,
    /// which is charged for itself).
    public func releaseReservations() {
        let n = reservedBytes.withLock { n in defer { n = 0 }; return n }
        server.memory.release(n, session: session.id)
    }
}
