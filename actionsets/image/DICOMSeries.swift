import CASCore
import Foundation
import ImageCodec

/// loadImages `series=True`: DICOM slices grouped by folder and SeriesInstanceUID, each group one 3-D
/// ``HUVolume`` ordered by position along the slice normal (not by file name), spacing kept.
struct DICOMSeries {
    /// The DICOM elements a series needs from every slice (read whatever addColumns asks).
    static let keywords = [seriesUID, "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing"]
    static let seriesUID = "SeriesInstanceUID"

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
                let volume = try Self.volume(slices.map(\.file), reserve: reserve)
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

    /// The slices as one volume (a CLRV blob and its spacing): same size and orientation, sorted along the
    /// normal, uniform gaps.
    static func volume(_ files: [ImageFileReader.Loaded], reserve: (Int) throws(ActionError) -> Void) throws
        -> (bytes: [UInt8], spacing: SIMD3<Double>) {
        let geometry = try files.map { try Geometry($0) }
        let first = geometry[0]
        for (g, f) in zip(geometry, files) {
            guard f.width == files[0].width, f.height == files[0].height else { throw ImageCodecError(.unsupported, "slices differ in size") }
            guard zip(g.orientation, first.orientation).allSatisfy({ abs($0 - $1) < 1e-4 }) else {
                throw ImageCodecError(.unsupported, "slices differ in ImageOrientationPatient")
            }
        }
        let (order, step) = try Self.alongNormal(geometry.map(\.distance))
        let (w, h, d) = (files[0].width, files[0].height, files.count)
        try reserve(try HUVolume.voxels(width: w, height: h, depth: d) * 2)
        let spacing = SIMD3(first.pixelSpacing.x, first.pixelSpacing.y, step)
        let bytes = try HUVolume.rawBytes(slices: order.map { files[$0].bytes }, width: w, height: h, spacing: spacing,
                                          origin: geometry[order[0]].position)
        return (bytes, spacing)
    }

    /// The order of slices at `distances` along the normal, and the mean step; throws when the gaps are not even
    /// (any gap more than 1 % or 0.01 mm off the mean: a missing or repeated slice).
    static func alongNormal(_ distances: [Double]) throws(ImageCodecError) -> (order: [Int], step: Double) {
        let order = distances.indices.sorted { distances[$0] < distances[$1] }
        let sorted = order.map { distances[$0] }
        let gaps = zip(sorted.dropFirst(), sorted).map { $0 - $1 }
        let step = gaps.isEmpty ? 1 : (sorted.last! - sorted[0]) / Double(gaps.count)
        if let bad = gaps.first(where: { abs($0 - step) > max(0.01, 0.01 * step) }) ?? (step <= 0 ? step : nil) {
            throw ImageCodecError(.unsupported, "slice positions are not evenly spaced along the normal (a gap of \(bad) mm, \(step) mm on average: a missing or repeated slice?)")
        }
        return (order, step)
    }

    /// The unit normal of a slice plane from ImageOrientationPatient (row direction × column direction).
    static func normal(_ o: [Double]) -> SIMD3<Double> {
        let r = SIMD3(o[0], o[1], o[2]), c = SIMD3(o[3], o[4], o[5])
        return SIMD3(r.y * c.z - r.z * c.y, r.z * c.x - r.x * c.z, r.x * c.y - r.y * c.x)
    }

    /// A multi-frame file's volume with its frames put in order along the normal by their per-frame positions
    /// (an Enhanced CT need not store them in order), the z spacing and origin taken from those positions.
    static func ordered(_ v: HUVolume, positions: [SIMD3<Double>], orientation: [Double], pixelSpacing: SIMD2<Double>)
        throws(ImageCodecError) -> HUVolume {
        let n = normal(orientation)
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

        init(_ f: ImageFileReader.Loaded) throws {
            func numbers(_ k: String, _ n: Int) throws -> [Double] {
                let v = (f.dicomTags[k] ?? "").split(separator: "\\").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard v.count == n else { throw ImageCodecError(.unsupported, "a slice has no valid \(k) (\(n) numbers)") }
                return v
            }
            let p = try numbers("ImagePositionPatient", 3), o = try numbers("ImageOrientationPatient", 6), s = try numbers("PixelSpacing", 2)
            let n = DICOMSeries.normal(o)
            position = SIMD3(p[0], p[1], p[2])
            orientation = o
            pixelSpacing = SIMD2(s[1], s[0])  // PixelSpacing is row spacing \ column spacing
            distance = (position * n).sum()
        }
    }
}
