import CASClient
import CASCore
import CASTestSupport
import CASWire
import Testing

/// dlTrain feeds `/metrics` (docs/operations.md "Health and metrics"): images trained and their rate.
@Suite("dlTrain metrics")
struct TrainingMetricsTests {
    @Test func aTrainingRunCountsItsImagesAndRate() async throws {
        try await TestServer.start(sets: allSets).run { s in
            let c = try await squaresWithSmallCNN(s, perClass: 8)
            let rows = try await fetch(c, "train").rowCount
            try await ok(c, "deepLearn.dlTrain", trainParams(epochs: 2, valid: false))
            let snap = s.server.context.metrics.snapshot()
            #expect(snap.trainedImages == rows * 2)
            #expect((snap.lastTrainingRate ?? 0) > 0 && snap.trainingSeconds > 0)
            #expect(snap.calls[ServerMetrics.ActionSeverity(action: "deepLearn.dlTrain", severity: "Normal")] == 1)
            await c.close()
        }
    }
}
