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
        let ctx = self.ctx, logLevel = self.logLevel
        let n = Self.threads(threads)
        if logLevel >= 1 {
            ctx.note("Training \(data.train.count) images (\(data.levels.count) classes: \(data.levels.joined(separator: ", "))), \(options.epochs) epochs, mini-batch \(options.batchSize), \(n) threads.")
        }
        let started = ServerClock.monotonic
        defer { ctx.server.metrics.recordTraining(images: data.train.count * options.epochs, seconds: ServerClock.monotonic - started) }
        let log = ctx.server.trainings, run = log.start(session: ctx.session.id, user: ctx.user, model: model, epochs: options.epochs)
        var ended = TrainingRecord.State.failed
        defer { log.finish(run, ended) }
        do {
            let result = try await ctx.cpu { () throws -> TrainingResult in
                EngineThreads.set(n)
                return try Trainer.train(engine, data: data.train, validation: data.valid, options: options, progress: { p in
                    let total = p.batchesPerEpoch * options.epochs
                    ctx.progress(done: (p.epoch - 1) * p.batchesPerEpoch + p.batch, total: total, unit: "batch",
                                 message: "epoch \(p.epoch - 1) batch \(p.batch)/\(p.batchesPerEpoch) loss \(Fixed.text(p.batchLoss, 4))")
                    if logLevel >= 3 {
                        ctx.note("Epoch \(p.epoch - 1) batch \(p.batch): loss \(Fixed.text(p.batchLoss, 6)), rate \(p.learningRate)")
                        log.addBatch(run, BatchPoint(epoch: p.epoch - 1, batch: p.batch, batches: p.batchesPerEpoch, loss: p.batchLoss,
                                                     learningRate: p.learningRate))
                    }
                    return ctx.isCancelled ? .stop : .proceed
                }, epochEnded: { r in
                    log.add(run, TrainingPoint(epoch: r.epoch - 1, learningRate: r.learningRate, loss: r.loss, fitError: r.error,
                                               validLoss: r.validLoss, validError: r.validError))
                    if logLevel >= 2 { ctx.note(Self.epochLine(r)) }
                })
            }
            ended = result.stopped ? .stopped : .finished
            return result
        } catch let e as EngineError where e.code == .diverged {
            throw ActionError(.parameterValue, "Training diverged: \(e.message). Lower optimizer.algorithm.learningRate (\(options.learningRate)) "
                + "or scale the inputs (input layer scale/offsets); no weights table was written.", parameter: "optimizer.algorithm.learningRate")
        } catch let e as EngineError {
            throw ActionError(.parameterValue, "Training failed: \(e.message)\(e.layer.map { " (layer \($0))" } ?? "")")
        } catch {
            throw ActionError(.internalError, "Training failed: \(error)")
        }
    }

    static func epochLine(_ r: HistoryRow) -> String {
        var s = "Epoch \(r.epoch - 1): learning rate \(r.learningRate), loss \(Fixed.text(r.loss, 6)), fit error \(Fixed.text(r.error * 100, 2))%"
        if let l = r.validLoss, let e = r.validError { s += ", valid loss \(Fixed.text(l, 6)), valid error \(Fixed.text(e * 100, 2))%" }
        return s
    }
}
