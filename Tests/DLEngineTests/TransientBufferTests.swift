import Foundation
import Synchronization
import Testing
@testable import DLEngine

/// The shim keeps a convolution's reordered weights for one call in a buffer of the calling thread:
/// convolutions of different shapes running on two threads at once must give exactly the results
/// they give alone.
@Suite("oneDNN transient weight buffers")
struct TransientBufferTests {
    /// forward, backward-data, backward-weights of one blocked-weight convolution, three times.
    static func run(_ g: ConvGeometry, seed: UInt64, layout: DNNLConvolution.ActivationLayout) throws -> [[Float]] {
        let p = try DNNLConvolution(g, hasBias: false, layout: layout)
        let x = randomArray(g.inputCount, seed: seed), w = randomArray(g.weightCount, seed: seed + 1), dy = randomArray(g.outputCount, seed: seed + 2)
        var out: [[Float]] = []
        for _ in 0..<3 {
            out.append(try output(g.outputCount) { y in try x.withPointer { xp in try w.withPointer { try p.forward(x: xp, w: $0, b: nil, y: y) } } })
            out.append(try output(g.inputCount) { dx in try dy.withPointer { gp in try w.withPointer { try p.backwardData(dy: gp, w: $0, dx: dx) } } })
            out.append(try output(g.weightCount) { dw in try x.withPointer { xp in try dy.withPointer { try p.backwardWeights(x: xp, dy: $0, dw: dw, db: nil) } } })
        }
        return out
    }

    /// Blocked layouts also move the activations through per-thread buffers.
    @Test("two threads, two shapes, same results as alone", arguments: [DNNLConvolution.ActivationLayout.nhwc, .blocked])
    func concurrent(_ layout: DNNLConvolution.ActivationLayout) throws {
        let shapes = [ConvGeometry(batch: 2, inH: 10, inW: 10, inC: 32, outC: 64, kernelH: 3, kernelW: 3),
                      ConvGeometry(batch: 3, inH: 7, inW: 7, inC: 64, outC: 32, kernelH: 1, kernelW: 1)]
        let alone = try shapes.enumerated().map { try Self.run($0.element, seed: UInt64(10 * $0.offset), layout: layout) }
        let results = Mutex<[Int: [[Float]]]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = try? Self.run(shapes[i], seed: UInt64(10 * i), layout: layout)
            results.withLock { $0[i] = r }
        }
        let together = results.withLock { $0 }
        for i in 0..<2 {
            let t = try #require(together[i])
            #expect(t == alone[i], "shape \(i) differs when run next to the other")
        }
    }
}
