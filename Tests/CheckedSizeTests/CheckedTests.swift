import CheckedSize
import Testing

@Suite("Checked sizes: outside numbers never trap")
struct CheckedTests {
    @Test(arguments: [Double.nan, .infinity, -.infinity, 1e300, -1e300, 9.223372036854775807e18, 0.5, -1])
    func doublesThatAreNotSizes(_ x: Double) {
        #expect(throws: SizeError.self) { try Checked.int(x, "width", max: 100) }
    }

    @Test func doublesThatAre() throws {
        #expect(try Checked.int(100.0, "width", max: 100) == 100)
        #expect(try Checked.int(-3.0, "offset", min: -5, max: 100) == -3)
        #expect(try Checked.int(0.0, "width", max: 0) == 0)
    }

    @Test func integers() throws {
        #expect(try Checked.int(Int64.max, "n", max: Int.max) == Int.max)
        #expect(throws: SizeError.self) { try Checked.int(Int64.max, "n", max: 1 << 20) }
        #expect(throws: SizeError.self) { try Checked.int(UInt64.max, "n", max: Int.max) }
        #expect(throws: SizeError.self) { try Checked.int(Int64.min, "n", min: 0, max: 10) }
        let e = try #require(throws: SizeError.self) { try Checked.int(Int64(1) << 26, "fc n", max: 1 << 20) }
        #expect(e.description == "fc n must be at most 1048576 (2^20), but got 67108864")
    }

    @Test func products() throws {
        #expect(try Checked.product([4, 3, 224, 224], "x", max: Limits.maxTensorElements) == 4 * 3 * 224 * 224)
        #expect(try Checked.product([], "x", max: 1) == 1)
        #expect(try Checked.product([0, Int.max], "x", max: 10) == 0)
        #expect(throws: SizeError.self) { try Checked.product([1 << 32, 1 << 32], "shape", max: Int.max) }
        #expect(throws: SizeError.self) { try Checked.product([65536, 4096, 3], "pixels", max: Limits.maxImagePixels) }
        #expect(throws: SizeError.self) { try Checked.product([-1, 4], "shape", max: 100) }
    }

    @Test func sums() throws {
        #expect(try Checked.sum(Int.max - 1, 1, "x") == Int.max)
        #expect(throws: SizeError.self) { try Checked.sum(Int.max, 1, "x") }
        #expect(throws: SizeError.self) { try Checked.sum(10, 1, "x", max: 10) }
    }

    @Test func windows() {
        #expect(Checked.window(first: 1, count: 20, rows: 5) == 0..<5)
        #expect(Checked.window(first: 2, count: 2, rows: 5) == 1..<3)
        #expect(Checked.window(first: Int.max, count: Int.max, rows: 5) == 0..<0)
        #expect(Checked.window(first: 5, count: Int.max, rows: 5) == 4..<5)
        #expect(Checked.window(first: 0, count: 1, rows: 5) == 0..<0)
    }

    @Test func overlaps() {
        #expect(Checked.overlap(offset: Int.max, length: 1, size: 16) == nil)
        #expect(Checked.overlap(offset: Int.max, length: Int.max, size: 16) == nil)
        #expect(Checked.overlap(offset: Int.min, length: Int.max, size: 16) == nil)
        #expect(Checked.overlap(offset: -4, length: 8, size: 16) == 0..<4)
        #expect(Checked.overlap(offset: 10, length: 100, size: 16) == 10..<16)
        #expect(Checked.overlap(offset: Int.min, length: Int.max, size: Int.max) == nil)
    }
}

@Suite("Checked byte sizes and slices")
struct CheckedBytesTests {
    @Test func bytes() throws {
        #expect(try Checked.bytes(10, 4, "floats") == 40)
        #expect(throws: SizeError.self) { try Checked.bytes(Int.max / 2, 4, "floats") }
        #expect(throws: SizeError.self) { try Checked.bytes(-1, 4, "floats") }
        #expect(throws: SizeError.self) { try Checked.bytes(11, 4, "floats", max: 40) }
    }

    @Test(arguments: [(0, 0, 0), (0, 10, 10), (3, 7, 10), (10, 0, 10)])
    func slicesInside(_ c: (Int, Int, Int)) throws {
        #expect(try Checked.slice(offset: c.0, length: c.1, size: c.2, "blob") == c.0..<(c.0 + c.1))
    }

    @Test(arguments: [(Int.max, 1, 10), (1, Int.max, 10), (-1, 1, 10), (1, -1, 10), (5, 6, 10), (11, 0, 10), (Int.min, Int.max, 10)])
    func slicesOutside(_ c: (Int, Int, Int)) {
        #expect(throws: SizeError.self) { try Checked.slice(offset: c.0, length: c.1, size: c.2, "blob") }
    }
}
