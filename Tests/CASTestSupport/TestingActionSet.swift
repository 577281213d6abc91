import CASCore
import CASWire
import Foundation
import Synchronization

/// A tiny action set of the tests' own, registered next to the standard ones (`TestServer.coreSets`):
/// `testing.sleep` is a slow action that stops at its cancellation check points, for the lifecycle
/// and cancel tests.
public let testingActionSet = ActionSet(
    name: "testing", summary: "Actions for the tests: a cancellable sleep.", alwaysLoaded: true, actions: [Sleep.self])

/// `testing.sleep seconds=… tag=…`: reports progress once, then sleeps on a worker thread (as CPU-heavy
/// actions run, in `ctx.cpu`), checking cancellation every 5 ms. Its outcome is recorded under `tag`
/// in `Sleep.outcomes`, so a test can tell that cancellation reached the action itself.
public struct Sleep: Action {
    public static let name = "sleep"
    public static let summary = "Sleeps, checking for cancellation every 5 ms."
    static let seconds = P.double("seconds", "How long to sleep, in seconds.", default: 30, min: 0)
    static let tag = P.string("tag", "Name under which the outcome is recorded.", default: "")
    public static let parameters: [ParamSpec] = [seconds.spec, tag.spec]

    /// What became of each tagged sleep: `started`, then `finished` or `cancelled`.
    public static let outcomes = Mutex<[String: String]>([:])

    public static func outcome(_ tag: String) -> String? { outcomes.withLock { $0[tag] } }

    public static func run(_ args: Args, _ ctx: ActionContext) async throws -> ValueDict {
        let seconds = args[Self.seconds], tag = args[Self.tag]
        outcomes.withLock { $0[tag] = "started" }
        ctx.progress(done: 0, total: Int((seconds * 1000).rounded()), unit: "ms", message: "sleeping")
        do {
            try await ctx.cpu {
                let end = Date().addingTimeInterval(seconds)
                while Date() < end {
                    try ctx.checkCancellation()
                    usleep(5_000)
                }
            }
        } catch {
            outcomes.withLock { $0[tag] = "cancelled" }
            throw error
        }
        outcomes.withLock { $0[tag] = "finished" }
        return ["slept": .double(seconds)]
    }
}
