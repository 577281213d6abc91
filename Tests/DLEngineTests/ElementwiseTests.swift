import Testing
@testable import DLEngine

let allActivations: [Activation] = [.identity, .relu, .relu6, .leakyReLU(alpha: 0.1), .sigmoid, .tanh]

/// Inputs spanning every branch: negatives, zero, between 0 and 6, above 6; length not a multiple of 16.
private func mixedValues(_ n: Int = 53, seed: UInt64 = 3) -> [Float] {
    randomArray(n, seed: seed).enumerated().map { i, v in i % 7 == 0 ? 0 : v * 9 }
}

@Suite("Element-wise kernels: SIMD vs naive")
struct ElementwiseTests {
    @Test("activation forward", arguments: allActivations)
    func forward(_ act: Activation) {
        let x = mixedValues()
        let fast = x.withPointer { p in act.apply(p, count: x.count); return Array(UnsafeBufferPointer(start: p, count: x.count)) }
        let naive = x.withPointer { p in Elementwise.Naive.activate(act, p, count: x.count); return Array(UnsafeBufferPointer(start: p, count: x.count)) }
        #expect(scaledMaxDiff(fast, naive) < 1e-6)
        if act != .identity { #expect(fast != x) }
    }

    @Test("activation backward from output", arguments: allActivations)
    func backward(_ act: Activation) {
        let y = mixedValues().map { act.value($0) }, dy = randomArray(53, seed: 8)
        let fast = output(53) { dz in y.withPointer { yp in dy.withPointer { act.backward(output: yp, outputGrad: $0, into: dz, count: 53) } } }
        let naive = output(53) { dz in y.withPointer { yp in dy.withPointer { Elementwise.Naive.activationBackward(act, output: yp, outputGrad: $0, into: dz, count: 53) } } }
        #expect(scaledMaxDiff(fast, naive) < 1e-6)
    }

    @Test("hand-checked activation values")
    func values() {
        #expect(Activation.relu6.value(7) == 6 && Activation.relu6.value(-1) == 0 && Activation.relu6.value(3) == 3)
        #expect(Activation.leakyReLU(alpha: 0.1).value(-2) == -0.2)
        #expect(Activation.sigmoid.value(0) == 0.5)
        #expect(Activation.relu.derivative(output: 0) == 0)
    }

    @Test("accumulate, add, axpy", arguments: [1, 16, 17, 100])
    func arithmetic(_ n: Int) {
        let a = randomArray(n, seed: 1), b = randomArray(n, seed: 2)
        let acc = b.withPointer { y in a.withPointer { Elementwise.accumulate($0, into: y, count: n) }; return Array(UnsafeBufferPointer(start: y, count: n)) }
        let accN = b.withPointer { y in a.withPointer { Elementwise.Naive.accumulate($0, into: y, count: n) }; return Array(UnsafeBufferPointer(start: y, count: n)) }
        #expect(acc == accN)
        #expect(acc[0] == a[0] + b[0])
        let add = output(n) { y in a.withPointer { ap in b.withPointer { Elementwise.add(ap, $0, into: y, count: n) } } }
        let addN = output(n) { y in a.withPointer { ap in b.withPointer { Elementwise.Naive.add(ap, $0, into: y, count: n) } } }
        #expect(add == addN)
        let ax = b.withPointer { y in a.withPointer { Elementwise.axpy(0.3, $0, into: y, count: n) }; return Array(UnsafeBufferPointer(start: y, count: n)) }
        let axN = b.withPointer { y in a.withPointer { Elementwise.Naive.axpy(0.3, $0, into: y, count: n) }; return Array(UnsafeBufferPointer(start: y, count: n)) }
        #expect(scaledMaxDiff(ax, axN) < 1e-6)
    }
}

@Suite("Random numbers")
struct RandomTests {
    @Test("same seed, same sequence; different seed, different sequence")
    func determinism() {
        var a = Xoshiro256(seed: 42), b = Xoshiro256(seed: 42), c = Xoshiro256(seed: 43)
        let sa = (0..<8).map { _ in a.next() }, sb = (0..<8).map { _ in b.next() }, sc = (0..<8).map { _ in c.next() }
        #expect(sa == sb && sa != sc)
    }

    @Test("uniform in [0, 1), normal has mean ≈ 0 and variance ≈ 1")
    func distributions() {
        var r = Xoshiro256(seed: 1)
        let u = (0..<20_000).map { _ in r.nextUniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let z = (0..<20_000).map { _ in Double(r.nextNormal()) }
        let mean = z.reduce(0, +) / Double(z.count), v = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(z.count)
        #expect(abs(mean) < 0.03 && abs(v - 1) < 0.05)
    }

    @Test("shuffle is a seeded permutation")
    func shuffle() {
        var a = Array(0..<50), b = Array(0..<50)
        var r1 = Xoshiro256(seed: 9), r2 = Xoshiro256(seed: 9)
        r1.shuffle(&a); r2.shuffle(&b)
        #expect(a == b && a != Array(0..<50) && a.sorted() == Array(0..<50))
    }
}
