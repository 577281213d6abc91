import CASCore
import DICOMCodec
import Foundation
import ImageCodec

/// Reads and checks one image file for loadImages (runs on the CPU workers).
enum ImageFileReader {
    /// What loadImages stores for one readable file.
    struct Loaded: Sendable {
        /// The cell: the file's own bytes (decode=False) or a CLRI raw blob of BGR pixels (decode=True).
        var bytes: [UInt8]
        /// The cell's format (`.raw` for DICOM: Hounsfield units as a CLRI int16 blob).
        var format: ImageFormat
        /// `_type_`: png, jpg or dcm.
        var fileType: String
        /// File size in bytes (`_size_`).
        var fileSize: Int
        var width: Int
        var height: Int
        var channels: Int
        var bitDepth: Int
        /// The requested DICOM elements (addColumns keywords) this file has; empty for PNG/JPEG.
        var dicomTags: [String: String] = [:]
        /// A DICOM series (`series=True`): its slice count and voxel spacing (mm); nil for a 2-D image.
        var slices: Int? = nil
        var spacing: SIMD3<Double>? = nil
        /// OpenCV's name of the stored sample type (`_channelType_`).
        var channelType: String { fileType == "dcm" && channels == 1 ? "CV_16SC1" : "CV_\(bitDepth == 16 ? 16 : 8)UC\(channels)" }
    }

    /// One file's outcome: loaded, skipped (with a reason for the warning), or refused by the memory
    /// budget (which ends the action).
    enum Outcome: Sendable {
        case loaded(Loaded)
        case skipped(ImageCodecError)
        case refused(ActionError)
    }

    /// Reads `file`. decode=False checks the header only (PNG chunks before IDAT, JPEG markers up
    /// to SOS); decode=True decodes all pixels, after reserving their memory with `reserve`. DICOM
    /// files are always decoded (``DICOMFileReader``), reading `dicomKeywords`; multi-frame ones only
    /// with `dicomVolumes`.
    static func read(_ file: CaslibPath, decode: Bool, dicomKeywords: [String] = [], dicomVolumes: Bool = false,
                     reserve: (Int) throws(ActionError) -> Void) -> Outcome {
        let bytes: [UInt8]
        do { bytes = try file.read(maxBytes: maxFileBytes) } catch {
            return .skipped(ImageCodecError(.corrupt, error.code == .badInput ? "larger than \(maxFileBytes >> 20) MiB" : "cannot be read"))
        }
        if DICOMFileReader.isDICOM(bytes, name: file.relative) {
            return DICOMFileReader.read(bytes, keywords: dicomKeywords, volumes: dicomVolumes, reserve: reserve)
        }
        if decode {
            do {
                let info = try ImageCodec.probe(bytes)
                try reserve(info.width &* info.height &* 3)
            } catch let e as ActionError {
                return .refused(e)
            } catch {
                // the decoder reports what is wrong with the file
            }
        }
        let r = Result { () throws(ImageCodecError) -> Loaded in
            guard let format = ImageFormat.sniff(bytes), format != .raw else {
                if bytes.isEmpty { throw ImageCodecError(.empty, "empty file") }
                throw ImageCodecError(.unknownFormat, "not a PNG, JPEG or DICOM file")
            }
            if decode {
                let img = try ImageCodec.decode(bytes, as: .bgr)
                return Loaded(bytes: img.rawBytes(), format: format, fileType: format.fileExtension, fileSize: bytes.count,
                              width: img.width, height: img.height,
                              channels: img.channels, bitDepth: 8)
            }
            let info = try ImageCodec.probe(bytes)
            return Loaded(bytes: bytes, format: format, fileType: format.fileExtension, fileSize: bytes.count, width: info.width, height: info.height,
                          channels: info.channels, bitDepth: info.bitDepth)
        }
        switch r {
        case .success(let l): return .loaded(l)
        case .failure(let e): return .skipped(e)
        }
    }

    /// Largest image file loadImages reads.
    static let maxFileBytes = 1 << 30

    /// A short reason for the skip warning.
    static func reason(_ e: ImageCodecError) -> String {
        switch e.code {
        case .empty: "empty file"
        case .unknownFormat: "not a PNG, JPEG or DICOM file"
        default: e.cause.map { "\(e.message): \($0)" } ?? e.message
        }
    }
}
