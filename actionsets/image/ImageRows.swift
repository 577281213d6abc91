import CASCore
import ImageCodec
import Synchronization

/// Runs per-image work over the rows of an image table: chunk by chunk, each chunk on all cores
/// (`ImageCodec.parallelMap` inside `ctx.cpu`, off the cooperative pool), with progress and a
/// cancellation check between chunks. Memory: only one chunk of decoded images is alive at a time.
enum ImageRows {
    static let chunkSize = 128

    /// Reserves memory from the parallel per-image work: a refusal by the session's budget is kept
    /// here (the work itself can only throw ImageCodecError) and rethrown after the chunk.
    final class Budget: Sendable {
        let ctx: ActionContext
        private let refusal = Mutex<ActionError?>(nil)
        /// Bytes reserved for images being processed (given back as each image finishes).
        private let transient = Mutex<Int>(0)

        init(_ ctx: ActionContext) { self.ctx = ctx }

        /// Reserves `bytes` for what this call keeps (`kept`) or for an image while it is made (given back by `done`).
        func reserve(_ bytes: Int, for what: String, kept: Bool = false) throws(ImageCodecError) {
            do { try ctx.reserve(bytes, for: what) } catch {
                refusal.withLock { if $0 == nil { $0 = error } }
                throw ImageCodecError(.invalidArgument, error.message)
            }
            if !kept { transient.withLock { $0 &+= bytes } }
        }

        /// Gives back the transient reservations of one finished image.
        func done(_ bytes: Int) {
            transient.withLock { $0 -= bytes }
            ctx.release(bytes)
        }

        func rethrow() throws(ActionError) { if let e = refusal.withLock({ $0 }) { throw e } }
    }

    /// Calls `body(row, cellBytes)` for every row in `rows` and hands each chunk's results, in
    /// row order, to `consume`. A missing cell is a `.empty` failure.
    static func forEachChunk<T: Sendable>(
        _ cells: [[UInt8]?], rows: [Int], _ ctx: ActionContext, unit: String = "image", budget: Budget? = nil,
        _ body: @escaping @Sendable (Int, [UInt8]) throws(ImageCodecError) -> T,
        consume: ([Int], [Result<T, ImageCodecError>]) throws -> Void
    ) async throws {
        for start in stride(from: 0, to: rows.count, by: chunkSize) {
            try ctx.checkCancellation()
            let chunk = Array(rows[start..<min(start + chunkSize, rows.count)])
            let cellsChunk = chunk.map { cells[$0] }
            let results = try await ctx.cpu { run(chunk, cellsChunk, body) }
            try budget?.rethrow()
            try consume(chunk, results)
            ctx.progress(done: start + chunk.count, total: rows.count, unit: unit, message: ctx.actionName)
        }
    }

    /// `forEachChunk` on the calling thread, without a session (a worker of an MPI server: no progress, no budget).
    static func forEachChunk<T: Sendable>(
        _ cells: [[UInt8]?], rows: [Int], _ body: @escaping @Sendable (Int, [UInt8]) throws(ImageCodecError) -> T,
        consume: ([Int], [Result<T, ImageCodecError>]) throws -> Void
    ) throws {
        for start in stride(from: 0, to: rows.count, by: chunkSize) {
            let chunk = Array(rows[start..<min(start + chunkSize, rows.count)])
            try consume(chunk, run(chunk, chunk.map { cells[$0] }, body))
        }
    }

    /// One chunk on all cores.
    static func run<T: Sendable>(_ chunk: [Int], _ cells: [[UInt8]?], _ body: @escaping @Sendable (Int, [UInt8]) throws(ImageCodecError) -> T) -> [Result<T, ImageCodecError>] {
        ImageCodec.parallelMap(count: chunk.count) { i in
            Result { () throws(ImageCodecError) -> T in
                guard let b = cells[i], !b.isEmpty else { throw ImageCodecError(.empty, "missing image") }
                return try body(chunk[i], b)
            }
        }
    }
}
