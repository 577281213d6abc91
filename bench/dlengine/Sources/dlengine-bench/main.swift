// DLEngine benchmark: conv efficiency vs raw oneDNN, the OpenBLAS/oneDNN thread-pool check, and
// whole-network throughput. Usage: dlengine-bench [threads=2] [sections: conv,blas,resnet50,mobilenet]
import DLEngine
import Foundation

let args = CommandLine.arguments.dropFirst()
let threads = args.first.flatMap { Int($0) } ?? 2
let sections = Set(args.dropFirst().first?.split(separator: ",").map(String.init) ?? ["conv", "blas", "resnet50", "mobilenet"])
EngineThreads.set(threads)
print("DLEngine bench: threads \(threads), OpenBLAS \(EngineThreads.blasThreading), oneDNN \(EngineThreads.oneDNNVersion)")

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }

/// Median seconds of `body` over at least `runs` runs after 2 warm-ups.
func median(runs: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<2 { try body() }
    var ts: [Double] = []
    for _ in 0..<runs { let t0 = now(); try body(); ts.append(now() - t0) }
    return ts.sorted()[ts.count / 2]
}

func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var r = Xoshiro256(seed: seed)
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t[i] = r.nextUniform() - 0.5 }
    return t
}

// MARK: - 1. conv efficiency: engine ConvolutionLayer vs raw oneDNN primitives (ResNet-50's 23 shapes, batch 4)

/// (in H/W, in C, out C, kernel, stride, count in ResNet-50)
let resnet50Convs: [(Int, Int, Int, Int, Int, Int)] = [
    (224, 3, 64, 7, 2, 1), (56, 64, 64, 1, 1, 1), (56, 64, 64, 3, 1, 3), (56, 64, 256, 1, 1, 4), (56, 256, 64, 1, 1, 2),
    (56, 256, 128, 1, 1, 1), (56, 128, 128, 3, 2, 1), (28, 128, 512, 1, 1, 4), (56, 256, 512, 1, 2, 1), (28, 512, 128, 1, 1, 3),
    (28, 128, 128, 3, 1, 3), (28, 512, 256, 1, 1, 1), (28, 256, 256, 3, 2, 1), (14, 256, 1024, 1, 1, 6), (28, 512, 1024, 1, 2, 1),
    (14, 1024, 256, 1, 1, 5), (14, 256, 256, 3, 1, 5), (14, 1024, 512, 1, 1, 1), (14, 512, 512, 3, 2, 1), (7, 512, 2048, 1, 1, 3),
    (14, 1024, 2048, 1, 2, 1), (7, 2048, 512, 1, 1, 2), (7, 512, 512, 3, 1, 2),
]

if sections.contains("conv") {
    let n = 4
    var raw = [0.0, 0.0, 0.0], engine = [0.0, 0.0, 0.0], flops = 0.0
    print("\nconv (batch \(n)): shape | raw oneDNN fwd/bwd-data/bwd-weights ms | engine layer ms | engine ÷ raw speed")
    for (h, ic, oc, k, s, count) in resnet50Convs {
        let model = try Model(layers: [
            InputLayer(name: "x", shape: [h, h, ic]),
            ConvolutionLayer(name: "conv", source: "x", filters: oc, kernel: k, stride: s,
                             padding: .symmetric(height: k / 2, width: k / 2), bias: false),
        ])
        let layer = model.layer(named: "conv") as! ConvolutionLayer
        let g = layer.geometry(batch: n)
        let x = random([n, h, h, ic], seed: 1), y = Tensor(shape: [n, g.outH, g.outW, oc])
        let dy = random(y.shape, seed: 2), dx = Tensor(shape: x.shape), dw = Tensor(shape: [g.weightCount])
        let w = layer.parameters[0].value.baseAddress!
        let prim = try DNNLConvolution(g, hasBias: false)
        let r = [try median { try prim.forward(x: x.base, w: w, b: nil, y: y.base) },
                 try median { try prim.backwardData(dy: dy.base, w: w, dx: dx.base) },
                 try median { try prim.backwardWeights(x: x.base, dy: dy.base, dw: dw.base, db: nil) }]
        let ctx = ForwardContext(training: true)
        let eForward = try median { try layer.forward([x], y, ctx) }
        // The layer's backward runs backward-data and backward-weights in one call (dy is overwritten by the
        // identity activation's backward only as a copy, so reuse is fine); split it with the raw ratio.
        let eBack = try median { try layer.backward([x], y, dy, [dx]) }
        let rawBack = r[1] + r[2]
        let eSplit = [eForward, eBack * r[1] / rawBack, eBack * r[2] / rawBack]
        for i in 0..<3 { raw[i] += r[i] * Double(count); engine[i] += eSplit[i] * Double(count) }
        flops += 2.0 * Double(n * g.outH * g.outW * oc * ic * k * k * count)
        print(String(format: "  %3d² %4d→%4d k%d s%d x%d | %6.2f %6.2f %6.2f | fwd %6.2f bwd %6.2f | %.3f",
                     h, ic, oc, k, s, count, r[0] * 1e3, r[1] * 1e3, r[2] * 1e3, eForward * 1e3, eBack * 1e3, (r[0] + rawBack) / (eForward + eBack)))
    }
    let total = raw.reduce(0, +), etotal = engine.reduce(0, +)
    print(String(format: "  total per batch: raw fwd %.1f ms (%.0f GFLOP/s), fwd+bwd %.1f ms; engine fwd %.1f ms, fwd+bwd %.1f ms",
                 raw[0] * 1e3, flops / raw[0] / 1e9, total * 1e3, engine[0] * 1e3, etotal * 1e3))
    print(String(format: "  conv efficiency (raw time ÷ engine time): forward %.3f, training %.3f", raw[0] / engine[0], total / etotal))
}

// MARK: - 2. one thread pool: sgemm alone vs alternating with oneDNN

if sections.contains("blas") {
    let model = try Model(layers: [
        InputLayer(name: "x", shape: [28, 28, 128]),
        ConvolutionLayer(name: "conv", source: "x", filters: 512, kernel: 1, bias: false),
    ])
    let conv = model.layer(named: "conv")!
    let x = random([4, 28, 28, 128], seed: 3), y = Tensor(shape: [4, 28, 28, 512])
    let fx = random([256, 28 * 28 * 512 / 64], seed: 4)
    let fcModel = try Model(layers: [InputLayer(name: "x", shape: [28 * 28 * 512 / 64]), FullyConnectedLayer(name: "fc", source: "x", outputs: 512)])
    let fc2 = fcModel.layer(named: "fc")!, fy = Tensor(shape: [256, 512])
    let ctx = ForwardContext(training: false)
    let convAlone = try median(runs: 15) { try conv.forward([x], y, ctx) }
    let fcAlone = try median(runs: 15) { try fc2.forward([fx], fy, ctx) }
    var convMixed: [Double] = [], fcMixed: [Double] = []
    for _ in 0..<15 {
        var t0 = now(); try conv.forward([x], y, ctx); convMixed.append(now() - t0)
        t0 = now(); try fc2.forward([fx], fy, ctx); fcMixed.append(now() - t0)
    }
    let cm = convMixed.sorted()[7], fm = fcMixed.sorted()[7]
    print(String(format: "\nthread pools (OpenBLAS %@): oneDNN conv alone %.2f ms, alternating %.2f ms; sgemm FC alone %.2f ms, alternating %.2f ms (slowdown %.2fx)",
                 EngineThreads.blasThreading.rawValue, convAlone * 1e3, cm * 1e3, fcAlone * 1e3, fm * 1e3, fm / fcAlone))
}

// MARK: - 3. whole networks

func networkBench(_ name: String, _ layers: [Layer], frozen: Set<String> = [], inferenceBatches: [Int], trainBatch: Int, runs: Int) throws {
    let model = try Model(layers: layers, seed: 1)
    for n in inferenceBatches {
        let x = random([n] + model.inputLayer.outputShape, seed: 5)
        let t = try median(runs: runs) { try model.forward(x, training: false) }
        print(String(format: "  %@ inference batch %d: %.1f ms/batch, %.2f img/s", name, n, t * 1e3, Double(n) / t))
        model.profile = [:]
        try model.forward(x, training: false)
        let total = model.profile!.values.reduce(0, +)
        print("    by layer kind (ms):", model.profile!.sorted { $0.value > $1.value }.prefix(5)
            .map { String(format: "%@ %.1f", $0.key, $0.value * 1e3) }.joined(separator: ", "), String(format: "total %.1f", total * 1e3))
        model.profile = nil
    }
    try model.setFrozen(frozen)
    let sgd = SGD(model: model, options: SGDOptions(momentum: 0.9))
    let x = random([trainBatch] + model.inputLayer.outputShape, seed: 6), labels = (0..<trainBatch).map { $0 % 2 }
    let t = try median(runs: runs) {
        try model.forward(x, training: true)
        model.zeroGradients()
        try model.backward(labels: labels)
        sgd.step(model, rate: 0.001)
    }
    print(String(format: "  %@ training step%@ batch %d: %.1f ms/step, %.2f img/s", name, frozen.isEmpty ? "" : " (head only)",
                 trainBatch, t * 1e3, Double(trainBatch) / t))
    model.profile = [:]
    try model.forward(x, training: true)
    model.zeroGradients()
    try model.backward(labels: labels)
    let total = model.profile!.values.reduce(0, +)
    print("  one step by layer kind (ms):", model.profile!.sorted { $0.value > $1.value }.prefix(8)
        .map { String(format: "%@ %.0f (%.0f%%)", $0.key, $0.value * 1e3, 100 * $0.value / total) }.joined(separator: ", "))
}

if sections.contains("resnet50") {
    print("\nResNet-50 224x224 (2 classes)")
    try networkBench("ResNet-50", ModelBuilders.resNet50Layers(classes: 2), inferenceBatches: [1, 4], trainBatch: 4, runs: 3)
}
if sections.contains("mobilenet") {
    print("\nMobileNetV2 224x224 (2 classes)")
    let layers = ModelBuilders.mobileNetV2Layers(classes: 2)
    let head: Set<String> = ["classifier.1"]
    try networkBench("MobileNetV2", layers, frozen: Set(layers.map(\.name)).subtracting(head), inferenceBatches: [4], trainBatch: 4, runs: 3)
}
