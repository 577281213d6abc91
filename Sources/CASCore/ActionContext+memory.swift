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

    /// Gives back what `reserve` took (the dispatcher calls this when the call ends).
    func releaseReservations() {
        let n = reservedBytes.withLock { n in defer { n = 0 }; return n }
        server.memory.release(n, session: session.id)
    }
}
