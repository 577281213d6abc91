// RawPNG: writes PNG files byte by byte (stored deflate blocks, filter 0), independent of libpng, so
// the image tests do not just check libpng against itself. Shared by ImageCodecTests and ImageActionTests.

/// Writes PNG files byte by byte: any color type, bit depth 1...16, palette, tRNS, Adam7.
public struct RawPNG: Sendable {
    public enum ColorType: UInt8, Sendable {
        case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

        public var samplesPerPixel: Int {
            switch self {
            case .gray, .palette: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    public var width: Int
    public var height: Int
    public var colorType: ColorType
    public var bitDepth: Int = 8
    /// Samples, row-major, `samplesPerPixel` per pixel; 16-bit values for depth 16.
    public var samples: [Int]
    public var palette: [(UInt8, UInt8, UInt8)] = []
    public var transparency: [UInt8] = []  // tRNS for palette: alpha per entry
    public var interlaced = false

    public init(width: Int, height: Int, colorType: ColorType, bitDepth: Int = 8, samples: [Int],
                palette: [(UInt8, UInt8, UInt8)] = [], transparency: [UInt8] = [], interlaced: Bool = false) {
        self.width = width
        self.height = height
        self.colorType = colorType
        self.bitDepth = bitDepth
        self.samples = samples
        self.palette = palette
        self.transparency = transparency
        self.interlaced = interlaced
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(width) + be32(height)
        ihdr += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        out += chunk("IHDR", ihdr)
        if !palette.isEmpty { out += chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }) }
        if !transparency.isEmpty { out += chunk("tRNS", transparency) }
        out += chunk("IDAT", zlibStored(scanlines()))
        out += chunk("IEND", [])
        return out
    }

    /// Filter-0 scanlines, either one image or the seven Adam7 passes.
    func scanlines() -> [UInt8] {
        guard interlaced else { return rows(xs: Array(0..<width), ys: Array(0..<height)) }
        let passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        var out: [UInt8] = []
        for (x0, y0, dx, dy) in passes {
            let xs = Array(stride(from: x0, to: width, by: dx)), ys = Array(stride(from: y0, to: height, by: dy))
            if !xs.isEmpty && !ys.isEmpty { out += rows(xs: xs, ys: ys) }
        }
        return out
    }

    func rows(xs: [Int], ys: [Int]) -> [UInt8] {
        let spp = colorType.samplesPerPixel
        var out: [UInt8] = []
        for y in ys {
            out.append(0)  // filter type None
            var bits = 0, acc = 0
            for x in xs {
                for k in 0..<spp {
                    let v = samples[(y * width + x) * spp + k]
                    if bitDepth == 16 {
                        out += [UInt8(v >> 8), UInt8(v & 0xFF)]
                    } else if bitDepth == 8 {
                        out.append(UInt8(v))
                    } else {
                        acc = (acc << bitDepth) | v
                        bits += bitDepth
                        if bits == 8 {
                            out.append(UInt8(acc))
                            (acc, bits) = (0, 0)
                        }
                    }
                }
            }
            if bits > 0 { out.append(UInt8(acc << (8 - bits))) }
        }
        return out
    }

    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let final: UInt8 = i + n == data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[i..<(i + n)]
            i += n
        } while i < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(Int(b << 16 | a))
    }

    public func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
}

extension RawPNG {
    /// `png` with the CRC of every whole chunk recomputed, so a mutated file reaches libpng's chunk
    /// parsing instead of stopping at the first checksum (the fuzzers use it for half their cases).
    public static func withFixedCRCs(_ png: [UInt8]) -> [UInt8] {
        var b = png, p = 8
        let crc = RawPNG(width: 0, height: 0, colorType: .gray, samples: [])
        while p + 12 <= b.count {
            let length = b[p..<(p + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= b.count - p - 12 else { break }
            let c = crc.crc32(Array(b[(p + 4)..<(p + 8 + length)]))
            for k in 0..<4 { b[p + 8 + length + k] = UInt8(truncatingIfNeeded: c >> (24 - 8 * UInt32(k))) }
            p += 12 + length
        }
        return b
    }
}
