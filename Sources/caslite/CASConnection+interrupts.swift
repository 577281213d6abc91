import CASClient
import CASWire
import Foundation
import Synchronization

extension CASConnection {
    /// `call`, with Ctrl-C sending `{"cancel": id}` for this call (the response then has reason `abort`).
    func callInterruptibly(_ action: String, _ params: ValueDict, onEvent: (@Sendable (CallEvent) -> Void)? = nil) async throws -> Response {
        let id = Mutex<Int64?>(nil)
        return try await Interrupts.with({ [self] in
            guard let id = id.withLock({ $0 }) else { return }
            FileHandle.standardError.write(Data("\ncaslite: cancelling \(action) (Ctrl-C again within a second to quit)\n".utf8))
            Task { try? await self.cancel(id) }
        }) {
            try await call(action, params, onStart: { started in id.withLock { $0 = started } }, onEvent: onEvent)
        }
    }
}

extension Response {
    /// Whether the call ended because it was cancelled.
    var wasCancelled: Bool { disposition.severity == .error && disposition.reason == "abort" }
}
