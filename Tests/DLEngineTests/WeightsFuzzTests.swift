import CheckedSize
import Foundation
import Mutation
import Testing
@testable import DLEngine

/// Mutation fuzzers for the weights formats caslite reads (.dlew, .pth, Caffe .h5): every case gives
/// tensors or an error — never a trap — and never more float values than the file can back.
@Suite("Fuzz: weights files")
struct WeightsFuzzTests {
    static func fixture(_ name: String, _ ext: String) throws -> [UInt8] { [UInt8](try CaffeFixture.data(name, ext)) }

    /// Replaces one number of a .dlew JSON index with a boundary value and fixes the index length.
    static func mutateIndex(_ b: [UInt8], _ m: inout Mutator) -> [UInt8] {
        guard b.count >= 16 else { return b }
        let length = (0..<8).reduce(0) { $0 | Int(b[8 + $1]) << (8 * $1) }
        guard length <= b.count - 16 else { return b }
        var json = Array(b[16..<(16 + length)])
        let digits = json.indices.filter { (0x30...0x39).contains(json[$0]) && ($0 == 0 || !(0x30...0x39).contains(json[$0 - 1])) }
        guard !digits.isEmpty else { return b }
        let start = digits[m.below(digits.count)]
        var end = start
        while end < json.count, (0x30...0x39).contains(json[end]) { end += 1 }
        let words = ["0", "-1", "2147483648", "4294967296", "9223372036854775807", "18446744073709551616", "1e300", "-9223372036854775808"]
        json.replaceSubrange(start..<end, with: Array(words[m.below(words.count)].utf8))
        return Array(b[0..<8]) + withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + b[(16 + length)...]
    }

    /// Values decoded, checked against the bound the reader promises.
    static func floats(_ tensors: [NamedTensor], within bytes: Int) {
        let total = tensors.reduce(0) { $0 + $1.values.count }
        #expect(total * 4 <= bytes, "decoded \(total) floats from \(bytes) bytes")
        for t in tensors { #expect((try? t.elementCount()) == t.values.count) }
    }

    @Test func dlew() throws {
        let seeds = try [Self.fixture("imagenet_expected", "dlew"), Model(layers: MemoryEstimateTests.layers(), seed: 2).saveWeights().map { $0 }]
        var m = Mutator(seed: 3), tally = FuzzTally("dlew")
        for i in 0..<fuzzIterations(default: 6000) {
            let seed = seeds[i % seeds.count]
            let bytes = i % 2 == 0 ? Self.mutateIndex(seed, &m) : m.mutate(seed, fields: [8, 12])
            tally.run { Self.floats(try WeightsFile.decode(Data(bytes)), within: bytes.count) }
        }
        tally.report()
        #expect(tally.errors > 0 && tally.values > 0)
    }

    @Test func pth() throws {
        let seeds = try [Self.fixture("torch_legacy", "pth"), Self.fixture("torch_zip", "pth")]
        var m = Mutator(seed: 4), tally = FuzzTally("pth")
        for i in 0..<fuzzIterations(default: 10000) {
            let bytes = m.mutate(seeds[i % seeds.count])
            tally.run { Self.floats(try TorchStateDict.read(Data(bytes)).tensors, within: bytes.count) }
        }
        tally.report()
        #expect(tally.errors > 0 && tally.values > 0)
    }

    #if canImport(CHDF5Shim)
    @Test func caffeHDF5() throws {
        let seeds = try [Self.fixture("caffe_resnet_tiny.caffemodel", "h5"), Self.fixture("caffe_not_caffe", "h5")]
        var m = Mutator(seed: 5), tally = FuzzTally("h5")
        for i in 0..<fuzzIterations(default: 3000) {
            let bytes = m.mutate(seeds[i % seeds.count], fields: [36552, 36560, 36568, 36576, 1545])
            tally.run {
                let groups = try CaffeHDF5.read(Data(bytes))
                Self.floats(groups.flatMap(\.blobs), within: max(bytes.count, 1 << 16) * CaffeHDF5.maxExpansion)
            }
        }
        tally.report()
        #expect(tally.errors > 0 && tally.values > 0)
    }
    #endif
}
