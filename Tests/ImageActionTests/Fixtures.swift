// Image fixtures generated in the tests: PNG/JPEG through ImageCodec's encoders, 16-bit and
// palette PNGs through RawPNG (a byte-level writer copied from Tests/ImageCodecTests/Fixtures.swift,
// independent of libpng), and broken files.
import Foundation
import ImageCodec

enum Fixture {
    /// A deterministic image whose samples differ per pixel and channel (values 10...240).
    static func image(_ w: Int, _ h: Int, _ format: PixelFormat = .rgb, seed: Int = 0) -> Image {
        var px = [UInt8](repeating: 0, count: w * h * format.channels)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<format.channels {
                    px[(y * w + x) * format.channels + c] = UInt8(10 + (x * 7 + y * 13 + c * 50 + seed * 31) % 231)
                }
            }
        }
        return try! Image(width: w, height: h, format: format, pixels: px)
    }

    static func png(_ img: Image) -> [UInt8] { try! ImageCodec.encodePNG(img) }
    static func jpeg(_ img: Image, progressive: Bool = false) -> [UInt8] { try! ImageCodec.encodeJPEG(img, quality: 95, progressive: progressive) }

    /// A 16-bit RGB PNG: samples v * 257, so the 8-bit decode is exactly v.
    static func png16(_ img: Image) -> [UInt8] {
        RawPNG(width: img.width, height: img.height, colorType: .rgb, bitDepth: 16, samples: img.pixels.map { Int($0) * 257 }).encoded()
    }

    /// A palette PNG with 4 colors.
    static func palettePNG(_ w: Int, _ h: Int) -> (bytes: [UInt8], rgb: [UInt8]) {
        let pal: [(UInt8, UInt8, UInt8)] = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (20, 40, 60)]
        let idx = (0..<(w * h)).map { $0 % 4 }
        let rgb = idx.flatMap { [pal[$0].0, pal[$0].1, pal[$0].2] }
        return (RawPNG(width: w, height: h, colorType: .palette, bitDepth: 8, samples: idx, palette: pal).encoded(), rgb)
    }

    /// The BGR pixels the image actions decode `img` (RGB) to.
    static func bgr(_ img: Image) -> Image { img.converted(to: .bgr) }
}

/// Writes PNG files byte by byte (stored deflate blocks, filter 0): any color type, depth 8 or 16, palette.
struct RawPNG {
    enum ColorType: UInt8 { case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6 }

    var width: Int
    var height: Int
    var colorType: ColorType
    var bitDepth: Int = 8
    var samples: [Int]
    var palette: [(UInt8, UInt8, UInt8)] = []

    func encoded() -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(width) + be32(height) + [UInt8(bitDepth), colorType.rawValue, 0, 0, 0])
        if !palette.isEmpty { out += chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }) }
        out += chunk("IDAT", zlibStored(scanlines()))
        out += chunk("IEND", [])
        return out
    }

    func scanlines() -> [UInt8] {
        let spp = samples.count / (width * height)
        var out: [UInt8] = []
        for y in 0..<height {
            out.append(0)
            for i in (y * width * spp)..<((y + 1) * width * spp) {
                let v = samples[i]
                out += bitDepth == 16 ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v)]
            }
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
            out += [i + n == data.count ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
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

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
}
