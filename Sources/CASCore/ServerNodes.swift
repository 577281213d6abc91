import Foundation
import Synchronization

/// One machine of the server, as the web monitor's Server page shows it.
public struct NodeState: Sendable, Equatable {
    /// What the node does: the controller takes the clients' calls; workers (the MPI scale-out) hold table rows and compute.
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

/// The server's nodes: the one place the Server page and serverStatus read them from. One process: this machine
/// (the controller); an MPI scale-out server (`serve --mpi`): the controller and its workers, from the cluster.
public final class ServerNodes: Sendable {
    private let nodes: Mutex<[NodeState]>
    private let source: (@Sendable () -> [NodeState])?

    public init(_ nodes: [NodeState] = [.thisMachine]) {
        self.nodes = Mutex(nodes)
        self.source = nil
    }

    /// Nodes read from `source` each time (an MPI cluster's controller and workers).
    public init(source: @escaping @Sendable () -> [NodeState]) {
        self.nodes = Mutex([])
        self.source = source
    }

    /// Every node, the controller first.
    public func all() -> [NodeState] { source?() ?? nodes.withLock { $0 } }

    /// Replaces the node list (a controller that learned its workers' state).
    public func set(_ list: [NodeState]) { nodes.withLock { $0 = list } }
}
