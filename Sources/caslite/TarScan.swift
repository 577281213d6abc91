import Foundation

/// What a tar file's headers say, read before `restore` unpacks anything: every member must be a
/// regular file or a folder with a relative name that stays below the target, no member may be
/// sparse (a few bytes of archive that unpack to terabytes), and the sizes the headers declare are
/// summed, so `restore` refuses an archive that would not fit before writing a byte of it.
/// Only the headers are read; members' data is skipped by seeking.
struct TarScan {
    /// The sum of the members' declared sizes.
    var bytes = 0
    var members = 0

    struct Refusal: Error { let message: String }

    static let block = 512

    /// Reads the headers of `path`; refuses it as soon as the declared sizes pass `room` bytes.
    static func scan(_ path: String, room: Int) throws(Refusal) -> TarScan {
        guard let file = FileHandle(forReadingAtPath: path) else { throw Refusal(message: "cannot read \(path)") }
        defer { try? file.close() }
        var scan = TarScan()
        var offset: UInt64 = 0
        var pax: [String: String] = [:]  // the extended header that applies to the next member
        while true {
            guard let head = try? file.read(upToCount: block), head.count == block else {
                throw Refusal(message: "the archive ends inside a header (at byte \(offset)): it is truncated")
            }
            let h = [UInt8](head)
            if h.allSatisfy({ $0 == 0 }) { return scan }  // the end-of-archive blocks
            let type = h[156]
            let headerSize = try number(h[124..<136])
            let size = type == UInt8(ascii: "x") ? headerSize : try pax["size"].map { v throws(Refusal) in
                guard let n = Int(v), n >= 0 else { throw Refusal(message: "a member's extended size \"\(v.prefix(40))\" is not a size") }
                return n
            } ?? headerSize
            let name = pax["path"] ?? ustarName(h)
            let dataBlocks = size / block + (size % block == 0 ? 0 : 1)
            switch type {
            case UInt8(ascii: "x"):  // a pax header for the next member: read its records
                guard size <= 1 << 20, let data = try? file.read(upToCount: dataBlocks * block), data.count >= size else {
                    throw Refusal(message: "an extended header of \(size) bytes is too large or truncated")
                }
                pax = try records([UInt8](data.prefix(size)))
                if pax.keys.contains(where: { $0.hasPrefix("GNU.sparse") }) {
                    throw Refusal(message: "the archive holds a sparse member (\(pax["path"] ?? pax["GNU.sparse.name"] ?? "?")), which `caslite backup` never writes")
                }
                offset += UInt64(block + dataBlocks * block)
                continue
            case UInt8(ascii: "0"), 0, UInt8(ascii: "5"):
                break
            case UInt8(ascii: "S"):
                throw Refusal(message: "the archive holds a sparse member (\(name)), which `caslite backup` never writes")
            default:
                throw Refusal(message: "the archive holds \(name) of tar type '\(String(UnicodeScalar(type)))', not a regular file or folder")
            }
            pax = [:]
            if name.hasPrefix("/") || name.split(separator: "/").contains("..") {
                throw Refusal(message: "the archive holds \(name.prefix(300)), a name outside the folder it unpacks into")
            }
            let (sum, overflow) = scan.bytes.addingReportingOverflow(size)
            guard !overflow else { throw Refusal(message: "the archive's members declare more bytes than a file system holds") }
            scan.bytes = sum
            guard sum <= room else {
                throw Refusal(message: "the archive unpacks to more than the \(room) bytes free where it would go (\(sum) bytes up to \(name.prefix(300)))")
            }
            scan.members += 1
            offset += UInt64(block + dataBlocks * block)
            do { try file.seek(toOffset: offset) } catch { throw Refusal(message: "the archive ends inside \(name)") }
        }
    }

    /// A numeric header field: octal digits (spaces and NULs around them), or base-256 when the first byte's
    /// high bit is set (GNU's form for large sizes).
    static func number(_ field: ArraySlice<UInt8>) throws(Refusal) -> Int {
        var n = 0
        if let first = field.first, first & 0x80 != 0 {
            for (i, b) in field.enumerated() {
                let digit = i == 0 ? Int(b & 0x7F) : Int(b)
                let (m, o1) = n.multipliedReportingOverflow(by: 256)
                let (s, o2) = m.addingReportingOverflow(digit)
                guard !o1, !o2 else { throw Refusal(message: "a member's size does not fit in 63 bits") }
                n = s
            }
            return n
        }
        for b in field where b != 0 && b != UInt8(ascii: " ") {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "7") else { throw Refusal(message: "a member's size field is not an octal number") }
            let (m, o1) = n.multipliedReportingOverflow(by: 8)
            let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw Refusal(message: "a member's size does not fit in 63 bits") }
            n = s
        }
        return n
    }

    /// The ustar name: prefix (bytes 345..<500) and name (0..<100), each up to its first NUL.
    static func ustarName(_ h: [UInt8]) -> String {
        func text(_ r: Range<Int>) -> String { String(decoding: h[r].prefix { $0 != 0 }, as: UTF8.self) }
        let prefix = text(345..<500), name = text(0..<100)
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    /// A pax extended header's records, "LENGTH KEY=VALUE\n" each.
    static func records(_ data: [UInt8]) throws(Refusal) -> [String: String] {
        var out: [String: String] = [:]
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[i..<space], as: UTF8.self)), length > space - i, i + length <= data.count,
                  let eq = data[space..<(i + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw Refusal(message: "an extended header's records are malformed")
            }
            let key = String(decoding: data[(space + 1)..<eq], as: UTF8.self)
            out[key] = String(decoding: data[(eq + 1)..<(i + length - 1)], as: UTF8.self)
            i += length
        }
        return out
    }
}
