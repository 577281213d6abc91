import CheckedSize

// A 3-D Hounsfield image (a DICOM series) as a cell, "CLRV": a 72-byte header and int16 samples.
//
//   offset size  field
//   0      4     magic "CLRV" (43 4C 52 56)
//   4      1     version = 1
//   5      1     sample type = 3 (int16 little-endian, Hounsfield units), 4 (the same, shown inverted: MONOCHROME1)
//   6      2     0
//   8      4     width (columns), UInt32 little-endian
//   12     4     height (rows)
//   16     4     depth (slices)
//   20     4     0
//   24     24    spacing x, y, z in mm (float64 ×3: PixelSpacing's column and row spacing, slice distance)
//   48     24    origin: ImagePositionPatient of the first slice, mm (float64 ×3)
//   72     ...   width·height·depth samples, slice after slice, each row-major

/// `depth` slices of `width × height` Hounsfield units, ordered along the slice normal (first = lowest
/// position), with the spacing between voxels kept. What loadImages stores for a DICOM series
/// (`series=True`); processImages' SLICE step cuts it into ``HUImage``s.
public struct HUVolume: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let depth: Int
    /// Millimetres between columns, rows and slices.
    public let spacing: SIMD3<Double>
    /// Patient position of the first voxel of the first slice, mm.
    public let origin: SIMD3<Double>
    /// `width * height * depth` values: slice-major, then row-major.
    public let pixels: [Int16]
    /// Shown inverted (MONOCHROME1); its slices are too (``HUImage/inverted``).
    public let inverted: Bool

    public static let magic: [UInt8] = [0x43, 0x4C, 0x52, 0x56]
    public static let headerSize = 72

    /// Wraps values; throws when the count disagrees or the size passes `Limits.maxImageSide` /
    /// `Limits.maxVolumeVoxels`.
    public init(width: Int, height: Int, depth: Int, spacing: SIMD3<Double>, origin: SIMD3<Double>, pixels: [Int16],
                inverted: Bool = false) throws(ImageCodecError) {
        let count = try Self.voxels(width: width, height: height, depth: depth)
        guard pixels.count == count else { throw .invalid("volume \(width)×\(height)×\(depth) needs \(count) values, got \(pixels.count)") }
        (self.width, self.height, self.depth, self.spacing, self.origin, self.pixels) = (width, height, depth, spacing, origin, pixels)
        self.inverted = inverted
    }

    /// Voxels of a `width × height × depth` volume, checked before anything is allocated.
    public static func voxels(width: Int, height: Int, depth: Int) throws(ImageCodecError) -> Int {
        let plane = try Image.byteCount(width: width, height: height, format: .gray)
        guard depth > 0 else { throw .invalid("a volume needs at least one slice, got \(depth)") }
        do { return try Checked.product([plane, depth], "voxels of a \(width)×\(height)×\(depth) volume", max: Limits.maxVolumeVoxels) } catch {
            throw .invalid(error.description)
        }
    }

    /// The axes a volume is cut along.
    public enum Axis: String, Sendable, CaseIterable {
        /// Slices as stored (perpendicular to the slice normal): width × height.
        case axial
        /// Perpendicular to the rows: width × depth, first slice at the bottom row.
        case coronal
        /// Perpendicular to the columns: height × depth, first slice at the bottom row.
        case sagittal
    }

    /// Slices along `axis`.
    public func count(along axis: Axis) -> Int {
        switch axis {
        case .axial: depth
        case .coronal: height
        case .sagittal: width
        }
    }

    /// Slice `index` (0-based, `< count(along:)`) along `axis`. Coronal and sagittal slices put the
    /// last slice of the volume on the top row, as a viewer shows a patient standing (when the
    /// stored order runs feet to head).
    public func slice(_ index: Int, along axis: Axis) -> HUImage {
        let (w, h, plane) = (width, height, width * height)
        switch axis {
        case .axial:
            return HUImage(unchecked: w, h, Array(pixels[(index * plane)..<((index + 1) * plane)]), inverted: inverted)
        case .coronal:
            var out = [Int16](repeating: 0, count: w * depth)
            for z in 0..<depth { for x in 0..<w { out[(depth - 1 - z) * w + x] = pixels[z * plane + index * w + x] } }
            return HUImage(unchecked: w, depth, out, inverted: inverted)
        case .sagittal:
            var out = [Int16](repeating: 0, count: h * depth)
            for z in 0..<depth { for y in 0..<h { out[(depth - 1 - z) * h + y] = pixels[z * plane + y * w + index] } }
            return HUImage(unchecked: h, depth, out, inverted: inverted)
        }
    }

    /// This volume as a CLRV blob.
    public func rawBytes() -> [UInt8] {
        var out = Self.header(width: width, height: height, depth: depth, spacing: spacing, origin: origin, inverted: inverted)
        out.reserveCapacity(out.count + pixels.count * 2)
        pixels.withUnsafeBytes { out += $0 }  // x86-64 and arm64 are little-endian
        return out
    }

    static func header(width: Int, height: Int, depth: Int, spacing: SIMD3<Double>, origin: SIMD3<Double>, inverted: Bool) -> [UInt8] {
        var out = Self.magic + [1, RawImage.int16SampleType(inverted: inverted), 0, 0]
        for v in [UInt32(width), UInt32(height), UInt32(depth), 0] { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        for v in [spacing.x, spacing.y, spacing.z, origin.x, origin.y, origin.z] { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        return out
    }

    /// A CLRV blob made straight from int16 CLRI slices (``HUImage/rawBytes()``), in the order given: one copy
    /// per slice, no `[Int16]` in between (a 300-slice 512² series is 157 MB). Every slice must be an int16
    /// cell of `width × height`, all inverted or none; the voxel count is checked before allocating.
    public static func rawBytes(slices: [[UInt8]], width: Int, height: Int, spacing: SIMD3<Double>, origin: SIMD3<Double>)
        throws(ImageCodecError) -> [UInt8] {
        let plane = try voxels(width: width, height: height, depth: 1) * 2
        let n = try voxels(width: width, height: height, depth: slices.count)
        var types: Set<UInt8> = []
        for s in slices {
            let (w, h, _, type) = try withBytes(s) { (b) throws(ImageCodecError) in try RawImage.probe(b) }
            guard w == width, h == height, type == RawImage.int16SampleType || type == RawImage.int16InvertedSampleType else {
                throw .invalid("a slice is not a \(width)×\(height) Hounsfield image")
            }
            types.insert(type)
        }
        guard types.count <= 1 else { throw ImageCodecError(.unsupported, "slices differ in PhotometricInterpretation (MONOCHROME1 and MONOCHROME2)") }
        var out = header(width: width, height: height, depth: slices.count, spacing: spacing, origin: origin,
                         inverted: types.first == RawImage.int16InvertedSampleType)
        out.reserveCapacity(headerSize + 2 * n)
        for s in slices { s.withUnsafeBytes { out += UnsafeRawBufferPointer(rebasing: $0[RawImage.headerSize..<(RawImage.headerSize + plane)]) } }
        return out
    }

    /// True when `bytes` start with the CLRV magic.
    public static func isVolume(_ bytes: [UInt8]) -> Bool { bytes.count >= 4 && bytes.prefix(4).elementsEqual(magic) }

    /// Parses a CLRV blob (header and length checked before the values are copied).
    public static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> HUVolume {
        try withBytes(bytes) { (b) throws(ImageCodecError) -> HUVolume in
            guard b.count >= headerSize, b.prefix(4).elementsEqual(magic) else { throw ImageCodecError(.unknownFormat, "not a caslite volume (no CLRV header)") }
            guard b[4] == 1, b[5] == RawImage.int16SampleType || b[5] == RawImage.int16InvertedSampleType else { throw ImageCodecError(.unsupported, "volume version \(b[4]), sample type \(b[5]) is not supported") }
            func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
            func f64(_ at: Int) -> Double { Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt64.self))) }
            let (w, h, d) = (u32(8), u32(12), u32(16))
            let n: Int
            do throws(ImageCodecError) { n = try voxels(width: w, height: h, depth: d) } catch { throw ImageCodecError(.corrupt, "volume header: \(error.message)") }
            guard b.count == headerSize + 2 * n else { throw ImageCodecError(.corrupt, "volume \(w)×\(h)×\(d) needs \(headerSize + 2 * n) bytes, blob has \(b.count)") }
            let px = [Int16](unsafeUninitializedCapacity: n) { buf, count in  // x86-64 and arm64 are little-endian
                UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: b[headerSize...]))
                count = n
            }
            return HUVolume(unchecked: w, h, d, SIMD3(f64(24), f64(32), f64(40)), SIMD3(f64(48), f64(56), f64(64)), px,
                            inverted: b[5] == RawImage.int16InvertedSampleType)
        }
    }

    init(unchecked w: Int, _ h: Int, _ d: Int, _ spacing: SIMD3<Double>, _ origin: SIMD3<Double>, _ pixels: [Int16], inverted: Bool) {
        (width, height, depth, self.spacing, self.origin, self.pixels, self.inverted) = (w, h, d, spacing, origin, pixels, inverted)
    }
}
