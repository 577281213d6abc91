import CASCore
import ImageCodec

/// Runs per-image work over the rows of an image table: chunk by chunk, each chunk on all cores
/// (`ImageCodec.parallelMap` inside `ctx.cpu`, off the cooperative pool), with progress and a
/// cancellation check between chunks. Memory: only one chunk of decoded images is alive at a time.
enum ImageRows {
    static let chunkSize = 128

    /// Calls `body(row, cellBytes)` for every row in `rows` and hands each chunk's results, in
    /// row order, to `consume`. A missing cell is a `.empty` failure.
    static func forEachChunk<T: Sendable>(
        _ cells: [[UInt8]?], rows: [Int], _ ctx: ActionContext, unit: String = "image",
        _ body: @escaping @Sendable (Int, [UInt8]) throws(ImageCodecError) -> T,
        consume: ([Int], [Result<T, ImageCodecError>]) throws -> Void
    ) async throws {
        for start in stride(from: 0, to: rows.count, by: chunkSize) {
            try ctx.checkCancellation()
            let chunk = Array(rows[start..<min(start + chunkSize, rows.count)])
            let cellsChunk = chunk.map { cells[$0] }
            let results = try await ctx.cpu {
                ImageCodec.parallelMap(count: chunk.count) { i in
                    Result { () throws(ImageCodecError) -> T in
                        guard let b = cellsChunk[i], !b.isEmpty else { throw ImageCodecError(.empty, "missing image") }
                        return try body(chunk[i], b)
                    }
                }
            }
            try consume(chunk, results)
            ctx.progress(done: start + chunk.count, total: rows.count, unit: unit, message: ctx.actionName)
        }
    }
}
