import CASCore
import Foundation
import ImageCodec

/// loadImages `series=True`: DICOM slices grouped by folder and SeriesInstanceUID, each group one 3-D
/// ``HUVolume`` ordered by position along the slice normal (not by file name), spacing kept.
struct DICOMSeries {
    /// The DICOM elements a series needs from every slice (read whatever addColumns asks).
    static let keywords = [seriesUID, "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", modality] + oneSliceSpacings
    static let seriesUID = "SeriesInstanceUID", modality = "Modality"
    /// Where a one-slice series' z spacing comes from, in this order.
    static let oneSliceSpacings = ["SliceThickness", "SpacingBetweenSlices"]

    struct Slice {
        var entry: ImageFileList.Entry
        var file: ImageFileReader.Loaded
    }

    /// Slices by group key (folder + "\0" + SeriesInstanceUID), in arrival (path) order.
    private var groups: [String: [Slice]] = [:]

    mutating func add(_ file: ImageFileReader.Loaded, entry: ImageFileList.Entry) {
        let folder = (entry.relative as NSString).deletingLastPathComponent
        groups["\(folder)\u{0}\(file.dicomTags[Self.seriesUID, default: ""])", default: []].append(Slice(entry: entry, file: file))
    }

    /// One row per group, in folder order: the volume cell, an entry for the folder (so `_path_` is the
    /// folder and `labelLevels` counts from the folder that holds it, as for a file), and the first
    /// slice's tags; a group that does not form a volume is skipped with its reason.
    func volumes(reserve: (Int) throws(ActionError) -> Void, skipped: inout SkipReport) throws(ActionError)
        -> [(entry: ImageFileList.Entry, file: ImageFileReader.Loaded)] {
        var out: [(entry: ImageFileList.Entry, file: ImageFileReader.Loaded)] = []
        for key in groups.keys.sorted() {
            let slices = groups[key]!
            var entry = slices[0].entry
            entry.relative = (entry.relative as NSString).deletingLastPathComponent
            entry.foldersBelowCaslib = Array(entry.foldersBelowCaslib.dropLast())
            entry.foldersBelowRoot = Array(entry.foldersBelowRoot.dropLast())
            do {
                let volume = try Self.volume(slices, reserve: reserve)
                var file = slices[0].file
                file.bytes = volume.bytes
                file.fileSize = slices.reduce(0) { $0 + $1.file.fileSize }
                file.slices = slices.count
                file.spacing = volume.spacing
                out.append((entry, file))
            } catch let e as ActionError {
                throw e
            } catch {
                skipped.add(entry.relative + "/ (\(slices.count) slices)", "\(error)")
            }
        }
        return out
    }

    /// The slices as one volume (a CLRV blob and its spacing): same size, orientation and modality, valid geometry,
    /// sorted along the normal, uniform gaps. One slice: z spacing from SliceThickness, else SpacingBetweenSlices, else 1.
    static func volume(_ slices: [Slice], reserve: (Int) throws(ActionError) -> Void) throws -> (bytes: [UInt8], spacing: SIMD3<Double>) {
        let files = slices.map(\.file)
        let geometry = try slices.map { try Geometry($0.file, name: $0.entry.filename) }
        let first = geometry[0]
        let modalities = Set(files.map { $0.dicomTags[Self.modality, default: "none"] })
        guard modalities.count == 1 else {
            throw ImageCodecError(.unsupported, "slices differ in Modality (\(modalities.sorted().joined(separator: " and "))): not one 3-D image")
        }
        for (g, f) in zip(geometry, files) {
            guard f.width == files[0].width, f.height == files[0].height else { throw ImageCodecError(.unsupported, "slices differ in size") }
            guard zip(g.orientation, first.orientation).allSatisfy({ abs($0 - $1) < 1e-4 }) else {
                throw ImageCodecError(.unsupported, "slices differ in ImageOrientationPatient")
            }
            guard abs(g.pixelSpacing.x - first.pixelSpacing.x) <= 1e-4 * first.pixelSpacing.x,
                  abs(g.pixelSpacing.y - first.pixelSpacing.y) <= 1e-4 * first.pixelSpacing.y else {
                throw ImageCodecError(.unsupported, "slices differ in PixelSpacing (\(first.pixelSpacing.y)\\\(first.pixelSpacing.x) and \(g.pixelSpacing.y)\\\(g.pixelSpacing.x))")
            }
            // each slice must sit on the line through the first along the normal: a gantry tilt shifts them sideways,
            // and stacking them would shear the volume (the in-plane offset may be 0.05 mm, or 1 % of the distance)
            let along = g.distance - first.distance, offset = g.position - first.position - along * first.normal
            let sideways = (offset * offset).sum().squareRoot()
            guard sideways <= max(0.05, 0.01 * abs(along)) else {
                throw ImageCodecError(.unsupported, "slice positions do not lie along the normal (one is \(sideways) mm to the side at \(along) mm along it: a gantry tilt?); a tilted series is not a regular 3-D image")
            }
        }
        let (order, step) = try Self.alongNormal(geometry.map(\.distance), oneSlice: oneSliceSpacing(files[0].dicomTags))
        let (w, h, d) = (files[0].width, files[0].height, files.count)
        try reserve(try HUVolume.voxels(width: w, height: h, depth: d) * 2)
        let spacing = SIMD3(first.pixelSpacing.x, first.pixelSpacing.y, step)
        let bytes = try HUVolume.rawBytes(slices: order.map { files[$0].bytes }, width: w, height: h, spacing: spacing,
                                          origin: geometry[order[0]].position)
        return (bytes, spacing)
    }

    /// The z spacing of a one-slice series: SliceThickness, else SpacingBetweenSlices (the first that is a positive
    /// finite number), else 1 mm (unknown; docs/images.md).
    static func oneSliceSpacing(_ tags: [String: String]) -> Double {
        for k in oneSliceSpacings {
            if let v = tags[k].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), v.isFinite, v > 0 { return v }
        }
        return 1
    }

    /// Slices closer than this along the normal (mm) cannot be told apart from a repeated slice: the evenly-spaced
    /// check's own tolerance (positions are often written with 2 or 3 decimals).
    static let minSliceStep = 0.01

    /// The order of slices at `distances` along the normal, and the mean step (`oneSlice` for a single slice); throws
    /// when a distance is not finite, the slices are closer than ``minSliceStep``, or the gaps are not even (any gap
    /// more than 1 % or 0.01 mm off the mean: a missing or repeated slice).
    static func alongNormal(_ distances: [Double], oneSlice: Double = 1) throws(ImageCodecError) -> (order: [Int], step: Double) {
        guard distances.allSatisfy(\.isFinite) else { throw ImageCodecError(.unsupported, "a slice position along the normal is not a finite number") }
        let order = distances.indices.sorted { distances[$0] < distances[$1] }
        let sorted = order.map { distances[$0] }
        let gaps = zip(sorted.dropFirst(), sorted).map { $0 - $1 }
        guard !gaps.isEmpty else { return (order, oneSlice) }
        let step = (sorted.last! - sorted[0]) / Double(gaps.count)
        guard step >= minSliceStep else {
            throw ImageCodecError(.unsupported, "the slices are \(step) mm apart on average along the normal, less than \(minSliceStep) mm: repeated slices (the same position twice) or positions too close to order")
        }
        if let bad = gaps.first(where: { abs($0 - step) > max(0.01, 0.01 * step) }) {
            throw ImageCodecError(.unsupported, "slice positions are not evenly spaced along the normal (a gap of \(bad) mm, \(step) mm on average: a missing or repeated slice?)")
        }
        return (order, step)
    }

    /// The unit normal of a slice plane from ImageOrientationPatient (row direction × column direction); throws when
    /// the two directions are not unit vectors (within 1 %) at right angles (within 0.01 of a zero dot product).
    static func normal(_ o: [Double], of name: String) throws(ImageCodecError) -> SIMD3<Double> {
        let r = SIMD3(o[0], o[1], o[2]), c = SIMD3(o[3], o[4], o[5])
        let text = o.map { "\($0)" }.joined(separator: "\\")
        func length(_ v: SIMD3<Double>) -> Double { (v * v).sum().squareRoot() }
        guard o.allSatisfy(\.isFinite), abs(length(r) - 1) <= 0.01, abs(length(c) - 1) <= 0.01 else {
            throw ImageCodecError(.unsupported, "\(name) has ImageOrientationPatient \(text): its row and column directions are not unit vectors")
        }
        guard abs((r * c).sum()) <= 0.01 else {
            throw ImageCodecError(.unsupported, "\(name) has ImageOrientationPatient \(text): its row and column directions are not at right angles")
        }
        return SIMD3(r.y * c.z - r.z * c.y, r.z * c.x - r.x * c.z, r.x * c.y - r.y * c.x)
    }

    /// Refuses a pixel spacing (x, y in mm) that is not two positive finite numbers.
    static func checkPixelSpacing(_ xy: SIMD2<Double>, of name: String) throws(ImageCodecError) {
        guard xy.x.isFinite, xy.y.isFinite, xy.x > 0, xy.y > 0 else {
            throw ImageCodecError(.unsupported, "\(name) has PixelSpacing \(xy.y)\\\(xy.x): the spacing must be positive millimetres")
        }
    }

    /// A multi-frame file's volume with its frames put in order along the normal by their per-frame positions
    /// (an Enhanced CT need not store them in order), the z spacing and origin taken from those positions.
    static func ordered(_ v: HUVolume, positions: [SIMD3<Double>], orientation: [Double], pixelSpacing: SIMD2<Double>)
        throws(ImageCodecError) -> HUVolume {
        let n = try normal(orientation, of: "the file")
        try checkPixelSpacing(pixelSpacing, of: "the file")
        let (order, step) = try alongNormal(positions.map { ($0 * n).sum() })
        let plane = v.width * v.height
        let pixels = order.flatMap { v.pixels[($0 * plane)..<(($0 + 1) * plane)] }
        return try HUVolume(width: v.width, height: v.height, depth: v.depth, spacing: SIMD3(pixelSpacing.x, pixelSpacing.y, step),
                            origin: positions[order[0]], pixels: pixels, inverted: v.inverted)
    }

    /// Where one slice lies, from its DICOM elements.
    struct Geometry {
        var position: SIMD3<Double>
        var orientation: [Double]
        /// Column and row spacing (x, y), mm.
        var pixelSpacing: SIMD2<Double>
        /// Position along the slice normal (row direction × column direction).
        var distance: Double
        /// The unit normal of the slice plane.
        var normal: SIMD3<Double>

        init(_ f: ImageFileReader.Loaded, name: String) throws {
            func numbers(_ k: String, _ n: Int) throws -> [Double] {
                let text = f.dicomTags[k] ?? ""
                let parsed = text.split(separator: "\\", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
                let v = parsed.compactMap { $0 }
                guard parsed.count == n, v.count == n, v.allSatisfy(\.isFinite) else {
                    let shown = text.isEmpty ? "none" : "'\(text.prefix(80))'"
                    throw ImageCodecError(.unsupported, "slice \(name) has no valid \(k) (\(n) finite numbers; it has \(shown))")
                }
                return v
            }
            let p = try numbers("ImagePositionPatient", 3), o = try numbers("ImageOrientationPatient", 6), s = try numbers("PixelSpacing", 2)
            let n = try DICOMSeries.normal(o, of: "slice \(name)")
            let xy = SIMD2(s[1], s[0])  // PixelSpacing is row spacing \ column spacing
            try DICOMSeries.checkPixelSpacing(xy, of: "slice \(name)")
            position = SIMD3(p[0], p[1], p[2])
            orientation = o
            pixelSpacing = xy
            distance = (position * n).sum()
            normal = n / (n * n).sum().squareRoot()
        }
    }
}
