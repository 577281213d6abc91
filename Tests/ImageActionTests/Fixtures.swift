// Image fixtures generated in the tests: PNG/JPEG through ImageCodec's encoders, 16-bit and
// palette PNGs through RawPNG (Tests/RawPNG, a byte-level writer independent of libpng), and broken files.
import ActionSetImage
import CASCore
import CASTestSupport
import Foundation
import ImageCodec
import RawPNG

/// The sets these tests' servers run: the light ones and image.
let imageSets: [ActionSet] = TestServer.coreSets + [imageActionSet]

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

