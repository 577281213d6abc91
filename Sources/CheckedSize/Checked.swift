/// The one place where a number that came from outside (a request parameter, a table cell, a file
/// header) becomes a count, offset, dimension, shape or allocation size.
///
/// Every conversion checks for overflow and for a maximum and throws `SizeError` instead of
/// trapping. Modules that know nothing of CAS (DLEngine, ImageCodec) use it directly; CASCore turns
/// a `SizeError` into an Error disposition that names the parameter.
///
/// ```swift
/// let n = try Checked.count(args["n"], "n", max: Limits.maxTensorElements)
/// let elements = try Checked.product([batch, c, h, w], "activation of layer conv1", max: Limits.maxTensorElements)
/// ```
public enum Checked {
    /// A whole number from a Double (JSON numbers, numeric table cells): finite, integral and in `min...max`.
    public static func int(_ x: Double, _ what: String, min lo: Int = 0, max hi: Int) throws(SizeError) -> Int {
        guard x.isFinite, x == x.rounded(.towardZero) else {
            throw SizeError(what: what, value: describe(x), limit: hi, reason: .notWhole)
        }
        guard x >= Double(lo) else { throw SizeError(what: what, value: describe(x), limit: lo, reason: .belowMinimum) }
        // Double(Int.max) rounds up to 2^63, so compare before converting
        guard x <= Double(hi), x < 9_223_372_036_854_775_807.0 else {
            throw SizeError(what: what, value: describe(x), limit: hi, reason: .aboveMaximum)
        }
        let i = Int(x)
        guard i <= hi else { throw SizeError(what: what, value: describe(x), limit: hi, reason: .aboveMaximum) }
        return i
    }

    /// An integer in `min...max`.
    public static func int<I: BinaryInteger>(_ x: I, _ what: String, min lo: Int = 0, max hi: Int) throws(SizeError) -> Int {
        guard let i = Int(exactly: x) else {
            throw SizeError(what: what, value: "\(x)", limit: x < 0 ? lo : hi, reason: x < 0 ? .belowMinimum : .aboveMaximum)
        }
        guard i >= lo else { throw SizeError(what: what, value: "\(x)", limit: lo, reason: .belowMinimum) }
        guard i <= hi else { throw SizeError(what: what, value: "\(x)", limit: hi, reason: .aboveMaximum) }
        return i
    }

    /// The product of non-negative factors, refused on overflow or above `max`.
    public static func product(_ factors: [Int], _ what: String, max hi: Int) throws(SizeError) -> Int {
        var p = 1
        for f in factors {
            guard f >= 0 else { throw SizeError(what: what, value: factors.map(String.init).joined(separator: "×"), limit: 0, reason: .belowMinimum) }
            let (r, o) = p.multipliedReportingOverflow(by: f)
            guard !o else { throw SizeError(what: what, value: factors.map(String.init).joined(separator: "×"), limit: hi, reason: .aboveMaximum) }
            p = r
        }
        // a zero factor after an overflow-free prefix still counts as zero elements
        guard p <= hi else { throw SizeError(what: what, value: factors.map(String.init).joined(separator: "×"), limit: hi, reason: .aboveMaximum) }
        return p
    }

    /// `a + b`, refused on overflow or above `max`.
    public static func sum(_ a: Int, _ b: Int, _ what: String, max hi: Int = Int.max) throws(SizeError) -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        guard !o, r <= hi else { throw SizeError(what: what, value: "\(a)+\(b)", limit: hi, reason: .aboveMaximum) }
        return r
    }

    /// Bytes of `count` elements of `elementSize` bytes each, refused on overflow or above `max`
    /// (an allocation size from a header: `Checked.bytes(n, 4, "floats of tensor w", max: fileSize)`).
    public static func bytes(_ count: Int, _ elementSize: Int, _ what: String, max hi: Int = Int.max) throws(SizeError) -> Int {
        guard count >= 0 else { throw SizeError(what: what, value: "\(count)", limit: 0, reason: .belowMinimum) }
        let (r, o) = count.multipliedReportingOverflow(by: elementSize)
        guard !o, r <= hi else { throw SizeError(what: what, value: "\(count)×\(elementSize) bytes", limit: hi, reason: .aboveMaximum) }
        return r
    }

    /// `offset ..< offset+length` as a range inside `0 ..< size` (a slice of a file or blob named by a
    /// header), refused when any part lies outside or the sum overflows.
    public static func slice(offset: Int, length: Int, size: Int, _ what: String) throws(SizeError) -> Range<Int> {
        guard offset >= 0 else { throw SizeError(what: "offset of \(what)", value: "\(offset)", limit: 0, reason: .belowMinimum) }
        guard length >= 0 else { throw SizeError(what: "length of \(what)", value: "\(length)", limit: 0, reason: .belowMinimum) }
        guard offset <= size, length <= size - offset else {
            throw SizeError(what: "end of \(what)", value: "\(offset)+\(length)", limit: size, reason: .aboveMaximum)
        }
        return offset..<(offset + length)
    }

    /// The rows `first ... first+count-1` (1-based `first`) that exist in a table of `rows` rows, as a
    /// 0-based range; empty when `first` lies past the end. Never overflows, whatever the inputs.
    public static func window(first: Int, count: Int, rows: Int) -> Range<Int> {
        guard first >= 1, count > 0, rows > 0, first <= rows else { return 0..<0 }
        let start = first - 1
        let end = count >= rows - start ? rows : start + count
        return start..<end
    }

    /// `lo ... hi` clipped to `0 ..< size` (both given as start and length, which may be huge or
    /// negative): the overlap of an object at `offset` of `length` with `0 ..< size`; nil when none.
    public static func overlap(offset: Int, length: Int, size: Int) -> Range<Int>? {
        guard length > 0, size > 0 else { return nil }
        let start = Swift.max(offset, 0)
        let (end, o) = offset.addingReportingOverflow(length)
        let stop = o ? (offset > 0 ? Int.max : Int.min) : end
        let clippedStop = Swift.min(stop, size)
        guard start < clippedStop else { return nil }
        return start..<clippedStop
    }

    static func describe(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "infinity" : "-infinity" }
        if abs(x) < 1e15, x == x.rounded() { return String(Int64(x)) }
        return String(x)
    }
}

/// A number from outside that cannot become a size: it overflowed, was not whole, or passed a limit.
public struct SizeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case notWhole, belowMinimum, aboveMaximum
    }

    /// What the number is for, e.g. `width` or `elements of tensor fc1.weight`.
    public var what: String
    /// The number as given (shortened).
    public var value: String
    /// The minimum or maximum that was crossed.
    public var limit: Int
    public var reason: Reason

    public init(what: String, value: String, limit: Int, reason: Reason) {
        self.what = what
        self.value = value.count > 60 ? String(value.prefix(60)) + "…" : value
        self.limit = limit
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .notWhole: "\(what) must be a whole number, but got \(value)"
        case .belowMinimum: "\(what) must be at least \(limit), but got \(value)"
        case .aboveMaximum: "\(what) must be at most \(Limits.readable(limit)), but got \(value)"
        }
    }
}

/// Fixed ceilings that no request may pass, whatever the memory budget (which is set per server
/// with `caslite serve --max-memory` / `--max-session-memory` and checked separately).
public enum Limits {
    /// Elements of one tensor: BLAS and oneDNN index with 32-bit integers in places.
    public static let maxTensorElements = Int(Int32.max)
    /// One side of an image, in pixels.
    public static let maxImageSide = 32_767
    /// Pixels of one image (about 11 585²).
    public static let maxImagePixels = 1 << 27
    /// Voxels of one 3-D image (a DICOM series; 2 bytes each: 1 GiB; a 600-slice 512² CT has 157 M).
    public static let maxVolumeVoxels = 1 << 29
    /// Rows of one table.
    public static let maxRows = Int(Int32.max)
    /// Characters of a string a program computes (SAS's longest character value).
    public static let maxComputedString = 32_767
    /// Columns of one table read from a file (CSV header, saved table).
    public static let maxColumns = 1 << 20
    /// Windows one sliding-window sweep over an image may produce (augmentImages sweeps, heat maps).
    public static let maxImageWindows = 1 << 20
    /// Bytes of a string parameter, unless its declaration allows more (`Param.text(maxBytes:)`, e.g. CASL code):
    /// labels, formats, descriptions and options are short, and what a table or caslib keeps is charged to
    /// the memory budget only as cells are.
    public static let maxStringParameter = 1 << 16
    /// Objects (boxes) one image may hold in a detection table, and boxes dlScore writes per image (`maxLabelPerImage`,
    /// `maxBoxes`: each is five columns per object).
    public static let maxObjectsPerImage = 1_000
    /// Layers of one model table (the largest DLPy application, EfficientNetB7, has about 800).
    public static let maxModelLayers = 10_000
    /// Result tables one `table.fetch` may return (its from..to range in batches of maxRows rows).
    public static let maxFetchTables = 10_000
    /// By-groups one action may answer with (a result table or more per group). swat asks for larger
    /// groupings through casOut above the same number (its `cas.dataset.bygroup_casout_threshold`).
    public static let maxByGroups = 25_000
    /// Columns one `transpose.transpose` may make from its id values (one per distinct value): a hostile id
    /// column with a million distinct values is refused while it is read, before any output is allocated.
    public static let maxTransposedColumns = 32_767
    /// Bytes of one HTTP request's header lines on the REST port. swat's `upload_frame` puts one
    /// `importOptions.vars` entry per column (about 40 bytes) in its JSON-Parameters header: 1 MiB is some
    /// 25 000 columns. Read before the credentials are checked, so with `LoginLimits.maxPending` (256)
    /// connections waiting this bounds pre-login header memory at 256 MiB (docs/security.md).
    public static let maxHTTPHeaderBytes = 1 << 20
    /// Bytes of a parameter holding a program (CASL scripts, action definitions, computed-variable programs).
    public static let maxProgramParameter = 1 << 24
    /// Bins of one variable in one histogram (`datapreprocess.histogram`'s `nBins`, or what a `binWidth` makes).
    public static let maxHistogramBins = 100_000
    /// DO-loop iterations of one DATA step run, all loops and rows together (`dataStep.runCode`): a loop whose
    /// bounds ask for more is refused before it starts, a DO WHILE / UNTIL that runs past it is stopped.
    public static let maxDataStepLoopIterations = 100_000_000
    /// Parentheses, function calls, `not` and unary minus nested in one expression (the where parser, and the DATA
    /// step's LAG/DIF calls, which it rewrites before parsing): each level is a few stack frames.
    public static let maxExpressionNesting = 200
    /// Calls a session's history keeps (`builtins.history`); older ones are dropped.
    public static let historyEntries = 1_000
    /// Characters of one call's parameters kept in the history (1 000 × 500: about 0.5 MB per session at most).
    public static let historyParameterCharacters = 500

    /// Bytes of events the web monitor's event streams (`/monitor/api/events`) may hold, all together, for browsers that
    /// have not read them yet: each open stream may hold its share (this divided by the streams open) before it is
    /// closed. What they hold is also charged to the server's memory budget.
    public static let monitorEventBytes = 16 << 20
    /// Web-monitor event streams one user may have open at once (one per browser tab; a review opened thousands).
    public static let monitorStreamsPerUser = 16
    /// Pictures (`dlEvaluatePictures`, `dlHeatMap`) the web monitor keeps with one training run; older ones are dropped.
    public static let trainingPicturesPerRun = 24
    /// Bytes of the pictures kept with all training runs together (the oldest are dropped first). In memory, not
    /// charged to any session: the bound is this constant.
    public static let trainingPictureBytes = 32 << 20

    /// `2147483647 (2^31-1)`-style text for messages.
    public static func readable(_ n: Int) -> String {
        if n > 0, n & (n - 1) == 0 { return "\(n) (2^\(n.trailingZeroBitCount))" }
        if n > 1, n & (n &+ 1) == 0 { return "\(n) (2^\(Int.bitWidth - n.leadingZeroBitCount)-1)" }
        return "\(n)"
    }
}
