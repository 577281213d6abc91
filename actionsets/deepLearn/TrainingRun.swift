import CASCore
import DLEngine
import Foundation

/// One dlTrain run on the CPU queue: progress frames per batch, a NOTE per epoch (logLevel ≥ 2),
/// cancellation between batches.
struct TrainingRun: Sendable {
    let ctx: ActionContext
    let logLevel: Int
    let threads: Int
    /// The model table's name, for the web monitor's Training page.
    let model: String

    /// Engine threads for an action's `nThreads`: 0 means every core, more than the cores is capped.
    static func threads(_ requested: Int) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return requested > 0 ? min(requested, cores) : cores
    }

    func train(_ engine: Model, _ data: TrainingData, _ options: TrainingOptions) async throws(ActionError) -> TrainingResult {
        let ctx = self.ctx, n = Self.threads(threads)
        return try await run(images: data.train.count, levels: data.levels, options: options) { progress, epochEnded in
            try await ctx.cpu { () throws -> TrainingResult in
                EngineThreads.set(n)
                return try Trainer.train(engine, data: data.train, validation: data.valid, options: options, progress: progress, epochEnded: epochEnded)
            }
        }
    }

    typealias Progress = @Sendable (TrainingProgress) -> TrainingControl
    typealias EpochEnded = @Sendable (HistoryRow) -> Void

    /// A training run's notes, progress frames, cancellation, monitor record and metrics around `body`, which
    /// trains with the callbacks it is given (on this server's CPU, or across the workers of an MPI server).
    func run(images: Int, levels: [String], options: TrainingOptions, workers: Int? = nil,
             _ body: (@escaping Progress, @escaping EpochEnded) async throws -> TrainingResult) async throws(ActionError) -> TrainingResult {
        let ctx = self.ctx, logLevel = self.logLevel
        let n = Self.threads(threads)
        if logLevel >= 1 {
            let across = workers.map { ", across \($0) workers (\(options.batchSize / max($0, 1)) images each per step)" } ?? ""
            ctx.note("Training \(images) images (\(levels.count) classes: \(levels.joined(separator: ", "))), \(options.epochs) epochs, mini-batch \(options.batchSize)\(across), \(n) threads.")
        }
        let started = ServerClock.monotonic
        defer { ctx.server.metrics.recordTraining(images: images * options.epochs, seconds: ServerClock.monotonic - started) }
        let log = ctx.server.trainings, run = log.start(session: ctx.session.id, user: ctx.user, model: model, epochs: options.epochs)
        var ended = TrainingRecord.State.failed
        defer { log.finish(run, ended) }
        let progress: Progress = { p in
            let total = p.batchesPerEpoch * options.epochs
            ctx.progress(done: (p.epoch - 1) * p.batchesPerEpoch + p.batch, total: total, unit: "batch",
                         message: "epoch \(p.epoch - 1) batch \(p.batch)/\(p.batchesPerEpoch) loss \(Fixed.text(p.batchLoss, 4))")
            if logLevel >= 3 {
                ctx.note("Epoch \(p.epoch - 1) batch \(p.batch): loss \(Fixed.text(p.batchLoss, 6)), rate \(p.learningRate)")
                log.addBatch(run, BatchPoint(epoch: p.epoch - 1, batch: p.batch, batches: p.batchesPerEpoch, loss: p.batchLoss,
                                             learningRate: p.learningRate))
            }
            return ctx.isCancelled ? .stop : .proceed
        }
        let epochEnded: EpochEnded = { r in
            log.add(run, TrainingPoint(epoch: r.epoch - 1, learningRate: r.learningRate, loss: r.loss, fitError: r.error,
                                       validLoss: r.validLoss, validError: r.validError))
            if logLevel >= 2 { ctx.note(Self.epochLine(r)) }
        }
        do {
            let result = try await body(progress, epochEnded)
            ended = result.stopped ? .stopped : .finished
            return result
        } catch {
            throw Self.failure(error, rate: options.learningRate)
        }
    }

    /// A training error as the action reports it (the same text on the controller and on an MPI server's workers).
    static func failure(_ error: any Error, rate: Double) -> ActionError {
        switch error {
        case let e as ActionError: e
        case let e as EngineError where e.code == .diverged:
            ActionError(.parameterValue, "Training diverged: \(e.message). Lower optimizer.algorithm.learningRate (\(rate)) "
                + "or scale the inputs (input layer scale/offsets); no weights table was written.", parameter: "optimizer.algorithm.learningRate")
        case let e as EngineError:
            ActionError(.parameterValue, "Training failed: \(e.message)\(e.layer.map { " (layer \($0))" } ?? "")")
        default:
            ActionError(.internalError, "Training failed: \(error)")
        }
    }

    static func epochLine(_ r: HistoryRow) -> String {
        var s = "Epoch \(r.epoch - 1): learning rate \(r.learningRate), loss \(Fixed.text(r.loss, 6)), fit error \(Fixed.text(r.error * 100, 2))%"
        if let l = r.validLoss, let e = r.validError { s += ", valid loss \(Fixed.text(l, 6)), valid error \(Fixed.text(e * 100, 2))%" }
        return s
    }
}
