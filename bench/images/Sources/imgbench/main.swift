// Decode 512×512 PNG/JPEG → resize to 224×224 (bilinear) → MINMAX 0..255, in images/s.
// Usage: imgbench FIXTURE_DIR [N]   — writes N fixtures per format there if missing, prints JSON lines.
import Dispatch
import Glibc
import ImageCodec
import SeededRandom

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n == 0 { break }
        out += buf[0..<n]
    }
    return out
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let f = fopen(path, "wb")!
    _ = fwrite(bytes, 1, bytes.count, f)
    fclose(f)
}

/// A photo-like 512×512 RGB image: smooth color field + blobs + mild noise (seeded).
func fixture(_ seed: UInt64) -> Image {
    var rng = SplitMix64(seed: seed)
    let (w, h) = (512, 512)
    let cx = Double.random(in: 100...400, using: &rng), cy = Double.random(in: 100...400, using: &rng)
    let phase = Double.random(in: 0...6, using: &rng)
    var px = [UInt8](repeating: 0, count: w * h * 3)
    for y in 0..<h {
        for x in 0..<w {
            let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
            for k in 0..<3 {
                let base = 110 + 70 * sin(d / 23 + phase + Double(k)) + 40 * cos(Double(x + 2 * y) / 61 + Double(k))
                px[(y * w + x) * 3 + k] = UInt8(clamping: Int(base) + Int.random(in: -6...6, using: &rng))
            }
        }
    }
    return try! Image(width: w, height: h, format: .rgb, pixels: px)
}

let args = CommandLine.arguments
let dir = args.count > 1 ? args[1] : "/tmp/caslite-imgbench"
let n = args.count > 2 ? Int(args[2])! : 200
mkdir(dir, 0o755)

var blobs: [String: [[UInt8]]] = ["png": [], "jpg": []]
for i in 0..<n {
    for ext in ["png", "jpg"] {
        let path = "\(dir)/img\(i).\(ext)"
        if let b = readFile(path) {
            blobs[ext]!.append(b)
        } else {
            let img = fixture(UInt64(i))
            let b = ext == "png" ? try! ImageCodec.encodePNG(img) : try! ImageCodec.encodeJPEG(img, quality: 90)
            writeFile(path, b)
            blobs[ext]!.append(b)
        }
    }
}

let threads = ProcessInfoLite.activeProcessorCount
for ext in ["png", "jpg"] {
    let data = blobs[ext]!
    for (label, t) in [("1 thread", 1), ("\(threads) threads", threads)] {
        var best = Double.infinity
        for _ in 0..<3 {
            let t0 = now()
            let out = ImageCodec.decodeBatch(data, as: .rgb, threads: t) { img throws(ImageCodecError) in
                try img.resized(width: 224, height: 224).normalizedMinMax(alpha: 0, beta: 255)
            }
            best = min(best, now() - t0)
            precondition(out.allSatisfy { if case .success = $0 { true } else { false } })
        }
        print("{\"impl\": \"swift\", \"format\": \"\(ext)\", \"threads\": \(t), \"label\": \"\(label)\", \"images_per_s\": \(Int(Double(data.count) / best))}")
    }
    // Stage split, 1 thread: decode only.
    var best = Double.infinity
    for _ in 0..<3 {
        let t0 = now()
        for b in data { _ = try! ImageCodec.decode(b, as: .rgb) }
        best = min(best, now() - t0)
    }
    print("{\"impl\": \"swift\", \"format\": \"\(ext)\", \"threads\": 1, \"label\": \"decode only\", \"images_per_s\": \(Int(Double(data.count) / best))}")
}
// Kernel split, 1 thread, on one decoded image.
let sample = try! ImageCodec.decode(blobs["jpg"]![0], as: .rgb)
let small = try! sample.resized(width: 224, height: 224)
let kernels: [(String, () -> Void)] = [
    ("resize bilinear 512->224", { _ = try! sample.resized(width: 224, height: 224) }),
    ("resize area 512->224", { _ = try! sample.resized(width: 224, height: 224, method: .area) }),
    ("resize nearest 512->224", { _ = try! sample.resized(width: 224, height: 224, method: .nearest) }),
    ("minmax 224", { _ = small.normalizedMinMax() }),
    ("rotate90 512", { _ = sample.rotated(.clockwise90) }),
    ("flipH 512", { _ = sample.flipped(.horizontal) }),
    ("gray 512", { _ = sample.converted(to: .gray) }),
]
for (name, body) in kernels {
    var best = Double.infinity
    for _ in 0..<5 {
        let t0 = now()
        for _ in 0..<50 { body() }
        best = min(best, (now() - t0) / 50)
    }
    print("{\"impl\": \"swift-kernel\", \"label\": \"\(name)\", \"us\": \(Int(best * 1e6))}")
}
