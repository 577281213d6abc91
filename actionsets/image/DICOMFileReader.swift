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
    static func read(_ bytes: [UInt8], keywords: [String], reserve: (Int) throws(ActionError) -> Void) -> ImageFileReader.Outcome {
        do {
            let file = try DICOMFile(bytes)
            let size = try file.hounsfieldBytes()
            do { try reserve(size) } catch { return .refused(error) }
            let hu = try file.hounsfield()
            var tags: [String: String] = [:]
            for k in keywords { tags[k] = try file.tag(k) }
            return .loaded(ImageFileReader.Loaded(bytes: hu.rawBytes(), format: .raw, fileType: "dcm", fileSize: bytes.count,
                                                  width: hu.width, height: hu.height, channels: 1, bitDepth: 16, dicomTags: tags))
        } catch {
            return .skipped(error)
        }
    }
}
