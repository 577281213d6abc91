import CASCore

/// The collectives of a collective run (`TableCluster.runCollective`) over MPI_COMM_WORLD: the controller and
/// every worker. `stop` gives up a pending all-reduce (a participant is lost: it can never complete); after that
/// the run is `broken` — the others may wait in it for good.
final class MPICollectives: Collectives, @unchecked Sendable {
    let world: MPIWorld
    let stop: () -> String?
    private(set) var broken: String?

    init(world: MPIWorld, stop: @escaping () -> String?) {
        self.world = world
        self.stop = stop
    }

    func allReduceSum(_ values: inout [Float]) throws(ActionError) {
        if let broken { throw ActionError(.internalError, "The all-reduce was broken before: \(broken)") }
        do throws(ClusterError) { try world.allreduceSum(&values, stop: stop) } catch {
            broken = error.description
            throw ActionError(.internalError, "An all-reduce across the workers failed: \(error.description)")
        }
    }
}
