import Dispatch
import Synchronization

extension ImageCodec {
    /// Runs `body(i)` for `i` in `0..<count` on `threads` worker threads (default: all cores)
    /// and returns the results in input order. Workers take the next index from a shared atomic
    /// counter, so at most `threads` items are in flight and uneven items balance out.
    /// Memory is bounded by the caller: pass chunks (e.g. 256 blobs) rather than a whole folder.
    public static func parallelMap<T: Sendable>(
        count: Int, threads: Int = ProcessInfoLite.activeProcessorCount, _ body: @Sendable (Int) -> T
    ) -> [T] {
        guard count > 0 else { return [] }
        let slots = ResultSlots<T>(count: count)
        let next = Atomic<Int>(0)
        let workers = max(1, min(threads, count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if i >= count { break }
                slots.set(i, body(i))
            }
        }
        return slots.collect()
    }

    /// Decodes `blobs` in parallel; then applies `transform` (e.g. resize + normalize) in the same
    /// worker so each image is touched while in cache. One `Result` per blob, in order — a bad blob
    /// is a `.failure`, never a crash, and does not stop the others.
    ///
    /// ```swift
    /// let out = ImageCodec.decodeBatch(chunk, as: .rgb) { img throws(ImageCodecError) in
    ///     try img.resized(width: 224, height: 224).normalizedMinMax(alpha: 0, beta: 255)
    /// }
    /// ```
    public static func decodeBatch(
        _ blobs: [[UInt8]], as format: PixelFormat? = nil, options: DecodeOptions = .init(),
        threads: Int = ProcessInfoLite.activeProcessorCount,
        transform: @Sendable (Image) throws(ImageCodecError) -> Image = { $0 }
    ) -> [Result<Image, ImageCodecError>] {
        parallelMap(count: blobs.count, threads: threads) { i in
            Result { () throws(ImageCodecError) -> Image in
                try transform(try decode(blobs[i], as: format, options: options))
            }
        }
    }
}

/// Output slots written by exactly one worker each.
/// `@unchecked Sendable`: every index is written once, by the single worker that claimed it from the
/// atomic counter, and read only after `concurrentPerform` returns (which joins all workers).
final class ResultSlots<T>: @unchecked Sendable {
    private let buf: UnsafeMutableBufferPointer<T?>

    init(count: Int) {
        buf = .allocate(capacity: count)
        buf.initialize(repeating: nil)
    }

    deinit {
        buf.deinitialize()
        buf.deallocate()
    }

    func set(_ i: Int, _ value: T) { buf[i] = value }

    func collect() -> [T] { buf.map { $0! } }
}

/// Core count without Foundation.
public enum ProcessInfoLite {
    /// Online processors (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
    public static var activeProcessorCount: Int {
        #if canImport(Glibc) || canImport(Darwin)
            return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
            return 1
        #endif
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
