import CASClient
import CASTestSupport
import CASWire
import Foundation
import ImageCodec
import Testing

/// Resident memory from /proc/self/status, in bytes.
func procStatus(_ key: String) -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix(key + ":") {
        let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kb * 1024
    }
    return 0
}

@Suite("bounded memory")
struct MemoryTests {
    /// 5 000 images of 128×128 RGB that compress to ~150 bytes each (constant color) but decode to
    /// 48 KiB: all decoded at once would be 240 MiB. loadImages + processImages stream them in
    /// chunks, so the peak resident growth must stay far below that.
    @Test func fiveThousandImagesLoadAndProcessWithBoundedMemory() async throws {
        try await TestServer.with(sets: imageSets, loadSets: ["image"]) { s, c in
            let n = 5000
            var files: [[UInt8]] = []
            for k in 0..<16 {
                let img = try Image(width: 128, height: 128, format: .rgb, fill: UInt8(k * 15))
                files.append(try ImageCodec.encodePNG(img, fast: true))
            }
            let dir = "\(s.casuser())/many"
            for cls in 0..<4 { try FileManager.default.createDirectory(atPath: "\(dir)/c\(cls)", withIntermediateDirectories: true) }
            for i in 0..<n { try Data(files[i % 16]).write(to: URL(fileURLWithPath: "\(dir)/c\(i % 4)/img\(i).png")) }
            let allDecoded = n * 128 * 128 * 3
            try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)  // reset VmHWM
            let before = procStatus("VmRSS")
            let t0 = Date()
            let r = try await ok(c, "image.loadImages", ["path": "many", "casOut": "many", "decode": false])
            #expect(r.notes.contains { $0.contains("Loaded 5000 images") })
            try await ok(c, "image.processImages", ["table": "many", "casOut": "small",
                                                    "steps": [["step": ["stepType": "RESIZE", "width": 8, "height": 8]]]])
            let peak = procStatus("VmHWM")
            let growth = peak - before
            print("5000 images: load + process \(String(format: "%.2f", Date().timeIntervalSince(t0))) s, peak RSS growth \(growth >> 20) MiB (all decoded at once: \(allDecoded >> 20) MiB)")
            #expect(peak > 0)
            #expect(growth < allDecoded / 4, "peak RSS grew by \(growth >> 20) MiB")
            let sum = try #require(try await ok(c, "image.summarizeImages", ["table": "small"]).table("Summary"))
            #expect(sum.column("count")?.data.double(at: 0) == 5000)
        }
    }
}
