import Foundation
import Synchronization

/// One machine of the server, as the web monitor's Server page shows it.
public struct NodeState: Sendable, Equatable {
    /// What the node does: the controller takes the clients' calls; workers (the MPI scale-out, later) compute.
    public enum Role: String, Sendable {
        case controller, worker
    }

    /// Whether the node answers.
    public enum State: String, Sendable {
        case up, down
    }

    public var name: String
    public var role: Role
    public var state: State
    public var cores: Int

    public init(name: String, role: Role, state: State, cores: Int) {
        self.name = name
        self.role = role
        self.state = state
        self.cores = cores
    }

    /// This process's machine as the controller.
    public static var thisMachine: NodeState {
        NodeState(name: ProcessInfo.processInfo.hostName, role: .controller, state: .up, cores: ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// The server's nodes: the one place the Server page reads them from. Today there is one, this machine (the
/// controller); a controller of the MPI scale-out will report its workers and their state here with `set`.
public final class ServerNodes: Sendable {
    private let nodes: Mutex<[NodeState]>

    public init(_ nodes: [NodeState] = [.thisMachine]) { self.nodes = Mutex(nodes) }

    /// Every node, the controller first.
    public func all() -> [NodeState] { nodes.withLock { $0 } }

    /// Replaces the node list (a controller that learned its workers' state).
    public func set(_ list: [NodeState]) { nodes.withLock { $0 = list } }
}
