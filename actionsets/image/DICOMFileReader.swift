import CASCore
import DICOMCodec
import ImageCodec

/// Reads one DICOM file for loadImages (runs on the CPU workers): the pixels become Hounsfield units
/// stored as a CLRI int16 blob (docs/decisions/018-dicom.md), whatever `decode` says.
enum DICOMFileReader {
    /// A file is DICOM when it has the Part 10 preamble ("DICM" at bytes 128…131), or when it is named
    /// `.dcm` and is not a PNG or JPEG (content decides: a PNG named `.dcm` loads as a PNG).
    static func isDICOM(_ bytes: [UInt8], name: String) -> Bool {
        DICOMFile.hasPreamble(bytes) || (name.lowercased().hasSuffix(".dcm") && ImageFormat.sniff(bytes) == nil)
    }

    /// Parses the header, charges the decoded size to `reserve` (refused → the action ends), decodes,
    /// and reads the `keywords` elements. Anything wrong with the file skips it with a reason.
    /// A gray file becomes an int16 HU cell; a multi-frame gray file a CLRV volume, its frames ordered along
    /// the normal when the file gives per-frame positions (only with `volumes`,
    /// i.e. series=True: otherwise it is skipped with that advice); a color file an 8-bit BGR cell, as a
    /// decoded PNG is.
    static func read(_ bytes: [UInt8], keywords: [String], volumes: Bool = false,
                     reserve: (Int) throws(ActionError) -> Void) -> ImageFileReader.Outcome {
        do throws(ImageCodecError) {
            let file = try DICOMFile(bytes)
            let kind = try file.kind()
            if kind == .volume && !volumes {
                throw ImageCodecError(.unsupported, "multi-frame DICOM (\(file.info.frames) frames) is a 3-D image: load it with series=True")
            }
            let size = try file.decodedBytes()
            do { try reserve(size) } catch { return .refused(error) }
            var tags: [String: String] = [:]
            for k in keywords { tags[k] = try file.tag(k) }
            switch kind {
            case .hounsfield:
                let hu = try file.hounsfield()
                return .loaded(ImageFileReader.Loaded(bytes: hu.rawBytes(), format: .raw, fileType: "dcm", fileSize: bytes.count,
                                                      width: hu.width, height: hu.height, channels: 1, bitDepth: 16, dicomTags: tags))
            case .volume:
                var v = try file.hounsfieldVolume()
                if let g = try file.frameGeometry() {
                    v = try DICOMSeries.ordered(v, positions: g.positions, orientation: g.orientation, pixelSpacing: g.pixelSpacing)
                } else {
                    try DICOMSeries.checkPixelSpacing(SIMD2(v.spacing.x, v.spacing.y), of: "the file")
                    guard v.spacing.z.isFinite, v.spacing.z > 0 else {
                        throw ImageCodecError(.unsupported, "the file's frames are \(v.spacing.z) mm apart: the spacing must be positive millimetres")
                    }
                }
                return .loaded(ImageFileReader.Loaded(bytes: v.rawBytes(), format: .raw, fileType: "dcm", fileSize: bytes.count,
                                                      width: v.width, height: v.height, channels: 1, bitDepth: 16, dicomTags: tags,
                                                      slices: v.depth, spacing: v.spacing))
            case .color:
                let img = try file.rgb().converted(to: .bgr)
                return .loaded(ImageFileReader.Loaded(bytes: img.rawBytes(), format: .raw, fileType: "dcm", fileSize: bytes.count,
                                                      width: img.width, height: img.height, channels: 3, bitDepth: 8, dicomTags: tags))
            }
        } catch {
            return .skipped(error)
        }
    }
}
