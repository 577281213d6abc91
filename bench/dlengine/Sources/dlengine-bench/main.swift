// DLEngine benchmark.
//
//   dlengine-bench --case NAME [--threads N] [--profile]
//       one case per process (so VmHWM is that case's peak memory), ending with a machine-readable line
//       RESULT side=caslite case=NAME batch=N ms=<median> img_s=.. min_ms=.. max_ms=.. peak_mb=.. base_mb=.. threads=N
//       (bench/torch/compare.py runs these next to the PyTorch / onnxruntime peers).
//       Cases: resnet50-infer-b1, resnet50-infer-b4, resnet50-train-b4, mobilenetv2-head-b4, mobilenetv2-infer-b4,
//              mobilenetv2-train-b4, vgg16-infer-b4, vgg16-train-b4, inceptionv3-infer-b4, inceptionv3-train-b4,
//              tinyyolov2-infer-b4, tinyyolov2-train-b4 (DLPy's Tiny YOLOv2, 416x416, 0..255 pixels; training on seeded
//              random truth boxes), each also with the suffix -bf16 (convolutions and fully connected layers in bf16, Precision.bf16),
//              the inference ones with -int8 (calibrated on 8 other random images, Precision.int8),
//              conv-b4 (ResNet-50's convolutions: oneDNN vs im2col + OpenBLAS sgemm vs the bare sgemm),
//              threads (one OpenMP pool: sgemm next to oneDNN, and idle CPU after a BLAS call).
//   dlengine-bench [threads=2] [sections: conv,blas,resnet50,mobilenet]
//       the older all-in-one report (conv: engine layer vs raw oneDNN primitives; blas: = --case threads).
import COpenBLAS
import DLEngine
import Foundation

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }

/// CPU time (user + system) of the whole process so far, in seconds.
func cpuTime() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6
}

/// A /proc/self/status field in MB (VmRSS: now, VmHWM: peak resident set).
func statusMB(_ key: String) -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
    for line in s.split(separator: "\n") where line.hasPrefix(key + ":") {
        return Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]).map { $0 / 1024 } ?? .nan
    }
    return .nan
}

/// (median, min, max) seconds of `body` over `runs` runs after `warm` untimed ones.
func timed(warm: Int = 2, runs: Int = 5, _ body: () throws -> Void) rethrows -> (Double, Double, Double) {
    for _ in 0..<warm { try body() }
    var ts: [Double] = []
    for _ in 0..<runs { let t0 = now(); try body(); ts.append(now() - t0) }
    ts.sort()
    return (ts[ts.count / 2], ts[0], ts[ts.count - 1])
}

func median(runs: Int = 5, _ body: () throws -> Void) rethrows -> Double { try timed(runs: runs, body).0 }

func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var r = Xoshiro256(seed: seed)
    let t = try! Tensor(shape: shape)
    for i in 0..<t.count { t[i] = r.nextUniform() - 0.5 }
    return t
}

func fmt(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }

// MARK: - arguments

/// Options: --case NAME, --threads N, --profile; anything else is positional (the older report's).
struct Arguments {
    var caseName: String?, threads: Int?, profile = false, positional: [String] = []
    init(_ argv: [String]) {
        var i = 0
        while i < argv.count {
            switch argv[i] {
            case "--case" where i + 1 < argv.count: caseName = argv[i + 1]; i += 1
            case "--threads" where i + 1 < argv.count: threads = Int(argv[i + 1]); i += 1
            case "--profile": profile = true
            default: positional.append(argv[i])
            }
            i += 1
        }
    }
}
let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let caseName = arguments.caseName, profiling = arguments.profile, args = arguments.positional
let threads = arguments.threads ?? (caseName == nil ? args.first.flatMap { Int($0) } ?? 2 : 2)
let baseMB = statusMB("VmRSS")
EngineThreads.set(threads)

func result(_ name: String, batch: Int, _ t: (Double, Double, Double), extra: String = "") {
    print("RESULT side=caslite case=\(name) batch=\(batch) ms=\(fmt(t.0 * 1e3)) img_s=\(fmt(Double(batch) / t.0, 3)) min_ms=\(fmt(t.1 * 1e3)) "
          + "max_ms=\(fmt(t.2 * 1e3)) peak_mb=\(fmt(statusMB("VmHWM"), 1)) base_mb=\(fmt(baseMB, 1)) threads=\(threads)\(extra)")
}

func printProfile(_ model: Model, _ title: String) {
    guard let p = model.profile else { return }
    let total = p.values.reduce(0, +)
    print("  \(title) by layer kind (ms, one run): " + p.sorted { $0.value > $1.value }
        .map { "\($0.key) \(fmt($0.value * 1e3, 1)) (\(fmt(100 * $0.value / total, 0))%)" }.joined(separator: ", ")
        + ", total \(fmt(total * 1e3, 1))")
}

// MARK: - 1. whole networks (one case each)

/// (batch, warm-up runs, timed runs); bench/torch/peers.py uses the same table.
let networkCases: [String: (Int, Int, Int)] = [
    "resnet50-infer-b1": (1, 3, 10), "resnet50-infer-b4": (4, 2, 5), "resnet50-train-b4": (4, 2, 5), "mobilenetv2-head-b4": (4, 3, 10),
    "mobilenetv2-infer-b4": (4, 3, 10), "mobilenetv2-train-b4": (4, 3, 10), "vgg16-infer-b4": (4, 2, 5), "vgg16-train-b4": (4, 2, 5),
    "inceptionv3-infer-b4": (4, 2, 5), "inceptionv3-train-b4": (4, 2, 5), "tinyyolov2-infer-b4": (4, 3, 10), "tinyyolov2-train-b4": (4, 2, 5),
]

/// The precision a case name asks for (suffix -bf16 or -int8) and the name without it.
func precisionOf(_ name: String) -> (String, Precision) {
    if name.hasSuffix("-bf16") { return (String(name.dropLast(5)), .bf16) }
    if name.hasSuffix("-int8") { return (String(name.dropLast(5)), .int8) }
    return (name, .fp32)
}

/// A seeded random input batch: values in -0.5..<0.5, or 0..<255 (`pixels`, for a model that scales its input as DLPy's do).
func input(_ shape: [Int], seed: UInt64, pixels: Bool) -> Tensor {
    let x = random(shape, seed: seed)
    if pixels { for i in 0..<x.count { x[i] = (x[i] + 0.5) * 255 } }
    return x
}

/// Seeded random truth boxes for a detection training step (bench/torch/models.py `random_boxes` draws the same
/// kind, from numpy's generator): per image `perImage` boxes (class 0..<classes, centre 0.1..0.9, size 0.05..0.5),
/// then unused slots (class -1) up to `maxLabels`.
func randomBoxes(batch: Int, maxLabels: Int = 30, perImage: Int = 3, classes: Int = 20, seed: UInt64 = 7) -> [Float] {
    var r = Xoshiro256(seed: seed)
    var t: [Float] = []
    for _ in 0..<batch {
        for i in 0..<maxLabels {
            t += i < perImage ? [Float(Int(r.nextUniform() * Float(classes)) % classes), 0.1 + 0.8 * r.nextUniform(), 0.1 + 0.8 * r.nextUniform(),
                                 0.05 + 0.45 * r.nextUniform(), 0.05 + 0.45 * r.nextUniform()] : [-1, 0, 0, 0, 0]
        }
    }
    return t
}

func inferenceCase(_ name: String, _ layers: [Layer], pixels: Bool = false) throws {
    let (base, precision) = precisionOf(name)
    let (n, warm, runs) = networkCases[base]!
    let model = try Model(layers: layers, seed: 1)
    let x = input([n] + model.inputLayer.outputShape, seed: 5, pixels: pixels)
    if precision == .int8 { try model.calibrate([random([8] + model.inputLayer.outputShape, seed: 9)]) }   // untimed
    try model.setPrecision(precision)
    let t = try timed(warm: warm, runs: runs) { try model.forward(x, training: false) }
    if profiling {
        model.profile = [:]
        try model.forward(x, training: false)
        printProfile(model, name)
        model.profile = nil
    }
    result(name, batch: n, t)
}

/// A training step: forward, zero gradients, backward (class labels, or box `targets` for a detection output), SGD momentum 0.9.
func trainingCase(_ name: String, _ layers: [Layer], frozen: Set<String> = [], targets: [Float]? = nil, pixels: Bool = false) throws {
    let (base, precision) = precisionOf(name)
    let (n, warm, runs) = networkCases[base]!
    let model = try Model(layers: layers, seed: 1)
    try model.setPrecision(precision)
    try model.setFrozen(frozen)
    let sgd = try SGD(model: model, options: SGDOptions(momentum: 0.9))
    let x = input([n] + model.inputLayer.outputShape, seed: 6, pixels: pixels), labels = (0..<n).map { $0 % 2 }
    func backward() throws {
        if let targets { try model.backward(targets: targets) } else { try model.backward(labels: labels) }
    }
    func step() throws {
        try model.forward(x, training: true)
        model.zeroGradients()
        try backward()
        sgd.step(model, rate: 0.001)
    }
    let t = try timed(warm: warm, runs: runs, step)
    if profiling {
        model.profile = [:]
        try model.forward(x, training: true)
        var t0 = now()
        model.zeroGradients()
        model.profile!["zero gradients"] = now() - t0
        try backward()
        t0 = now()
        sgd.step(model, rate: 0.001)
        model.profile!["sgd step"] = now() - t0
        printProfile(model, name)
        model.profile = nil
    }
    result(name, batch: n, t)
}

// MARK: - 2. ResNet-50's convolutions: oneDNN vs im2col + OpenBLAS sgemm vs the bare sgemm (batch 4)

/// (in H/W, in C, out C, kernel, stride, count in ResNet-50)
let resnet50Convs: [(Int, Int, Int, Int, Int, Int)] = [
    (224, 3, 64, 7, 2, 1), (56, 64, 64, 1, 1, 1), (56, 64, 64, 3, 1, 3), (56, 64, 256, 1, 1, 4), (56, 256, 64, 1, 1, 2),
    (56, 256, 128, 1, 1, 1), (56, 128, 128, 3, 2, 1), (28, 128, 512, 1, 1, 4), (56, 256, 512, 1, 2, 1), (28, 512, 128, 1, 1, 3),
    (28, 128, 128, 3, 1, 3), (28, 512, 256, 1, 1, 1), (28, 256, 256, 3, 2, 1), (14, 256, 1024, 1, 1, 6), (28, 512, 1024, 1, 2, 1),
    (14, 1024, 256, 1, 1, 5), (14, 256, 256, 3, 1, 5), (14, 1024, 512, 1, 1, 1), (14, 512, 512, 3, 2, 1), (7, 512, 2048, 1, 1, 3),
    (14, 1024, 2048, 1, 2, 1), (7, 2048, 512, 1, 1, 2), (7, 512, 512, 3, 1, 2),
]

/// Row-major C[M×N] = A[M×K]·B[K×N] through OpenBLAS (no engine lock: single-threaded caller).
func sgemm(_ m: Int, _ n: Int, _ k: Int, _ a: Tensor, _ b: Tensor, _ c: Tensor) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a.base, Int32(k), b.base, Int32(n), 0, c.base, Int32(n))
}

func convCase(verbose: Bool) throws {
    let n = 4
    var dnnl = [0.0, 0.0, 0.0], im2col = [0.0, 0.0, 0.0], gemm = 0.0, flops = 0.0
    if verbose { print("conv (batch \(n)) shape | oneDNN fwd/bwd-data/bwd-weights ms | im2col+sgemm fwd/bwd-data/bwd-weights ms | bare sgemm fwd ms") }
    for (h, ic, oc, k, s, count) in resnet50Convs {
        let pad = k / 2
        let g = ConvGeometry(batch: n, inH: h, inW: h, inC: ic, outC: oc, kernelH: k, kernelW: k, strideH: s, strideW: s,
                             padding: .symmetric(height: pad, width: pad))
        let x = random([g.inputCount], seed: 1), w = random([g.weightCount], seed: 2), y = try! Tensor(shape: [g.outputCount])
        let dy = random([g.outputCount], seed: 3), dx = try! Tensor(shape: [g.inputCount]), dw = try! Tensor(shape: [g.weightCount])
        let prim = try DNNLConvolution(g, hasBias: false)
        let d = [try median { try prim.forward(x: x.base, w: w.base, b: nil, y: y.base) },
                 try median { try prim.backwardData(dy: dy.base, w: w.base, dx: dx.base) },
                 try median { try prim.backwardWeights(x: x.base, dy: dy.base, dw: dw.base, db: nil) }]
        let runs = 3
        let i = [median(runs: runs) { ConvIm2col.forward(g, x: x.base, w: w.base, b: nil, y: y.base) },
                 median(runs: runs) { ConvIm2col.backwardData(g, dy: dy.base, w: w.base, dx: dx.base) },
                 median(runs: runs) { ConvIm2col.backwardWeights(g, x: x.base, dy: dy.base, dw: dw.base, db: nil) }]
        // The forward GEMM of an im2col convolution with the batch folded into N: [OC, K]·[K, N·OH·OW].
        let gm = oc, gn = n * g.outH * g.outW, gk = ic * k * k
        let a = random([gm * gk], seed: 4), b = random([gk * gn], seed: 5), c = try! Tensor(shape: [gm * gn])
        let bare = median { sgemm(gm, gn, gk, a, b, c) }
        for j in 0..<3 { dnnl[j] += d[j] * Double(count); im2col[j] += i[j] * Double(count) }
        gemm += bare * Double(count)
        flops += 2.0 * Double(gm * gn * gk * count)
        if verbose {
            print(String(format: "  %3d² %4d→%4d k%d s%d x%d | %6.2f %6.2f %6.2f | %6.2f %6.2f %6.2f | %6.2f", h, ic, oc, k, s, count,
                         d[0] * 1e3, d[1] * 1e3, d[2] * 1e3, i[0] * 1e3, i[1] * 1e3, i[2] * 1e3, bare * 1e3))
        }
    }
    let dt = dnnl.reduce(0, +), it = im2col.reduce(0, +)
    print("conv-b4: ResNet-50's 53 convolutions, batch 4, per batch: oneDNN fwd \(fmt(dnnl[0] * 1e3, 1)) ms (\(fmt(flops / dnnl[0] / 1e9, 0)) GFLOP/s), "
          + "fwd+bwd \(fmt(dt * 1e3, 1)) ms; im2col+sgemm fwd \(fmt(im2col[0] * 1e3, 1)) ms, fwd+bwd \(fmt(it * 1e3, 1)) ms; "
          + "bare OpenBLAS sgemm of the forward GEMMs \(fmt(gemm * 1e3, 1)) ms (\(fmt(flops / gemm / 1e9, 0)) GFLOP/s)")
    print("RESULT side=caslite case=conv-b4 batch=\(n) dnnl_fwd_ms=\(fmt(dnnl[0] * 1e3)) dnnl_train_ms=\(fmt(dt * 1e3)) im2col_fwd_ms=\(fmt(im2col[0] * 1e3)) "
          + "im2col_train_ms=\(fmt(it * 1e3)) sgemm_fwd_ms=\(fmt(gemm * 1e3)) dnnl_gflops=\(fmt(flops / dnnl[0] / 1e9, 1)) sgemm_gflops=\(fmt(flops / gemm / 1e9, 1)) "
          + "peak_mb=\(fmt(statusMB("VmHWM"), 1)) threads=\(threads)")
}

// MARK: - 3. one thread pool: sgemm next to oneDNN, and what the pools do when idle

func threadsCase() throws {
    let model = try Model(layers: [
        InputLayer(name: "x", shape: [28, 28, 128]),
        ConvolutionLayer(name: "conv", source: "x", filters: 512, kernel: 1, bias: false),
    ])
    let conv = model.layer(named: "conv")!
    let x = random([4, 28, 28, 128], seed: 3), y = try! Tensor(shape: [4, 28, 28, 512])
    let fx = random([256, 28 * 28 * 512 / 64], seed: 4)
    let fcModel = try Model(layers: [InputLayer(name: "x", shape: [28 * 28 * 512 / 64]), FullyConnectedLayer(name: "fc", source: "x", outputs: 512)])
    let fc = fcModel.layer(named: "fc")!, fy = try! Tensor(shape: [256, 512])
    let ctx = ForwardContext(training: false)
    let convAlone = try median(runs: 15) { try conv.forward([x], y, ctx) }
    let fcAlone = try median(runs: 15) { try fc.forward([fx], fy, ctx) }
    var convMixed: [Double] = [], fcMixed: [Double] = []
    for _ in 0..<15 {
        var t0 = now(); try conv.forward([x], y, ctx); convMixed.append(now() - t0)
        t0 = now(); try fc.forward([fx], fy, ctx); fcMixed.append(now() - t0)
    }
    let cm = convMixed.sorted()[7], fm = fcMixed.sorted()[7]
    // Idle pools: after an sgemm (and after a oneDNN call) the process sleeps 200 ms; CPU time burnt
    // meanwhile is worker threads spinning (an OpenMP OpenBLAS sleeps within GOMP_SPINCOUNT; a pthread
    // OpenBLAS busy-waits up to ~0.1 s, which is what steals a core from oneDNN's next call).
    func idleCPU(_ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            try body()
            let c0 = cpuTime()
            usleep(200_000)
            best = min(best, cpuTime() - c0)
        }
        return best
    }
    let idleBLAS = idleCPU { try? fc.forward([fx], fy, ctx) }, idleDNNL = try idleCPU { try conv.forward([x], y, ctx) }
    print("threads: OpenBLAS \(EngineThreads.blasThreading.rawValue) build, oneDNN \(EngineThreads.oneDNNVersion) (OpenMP); "
          + "oneDNN conv alone \(fmt(convAlone * 1e3)) ms, alternating with sgemm \(fmt(cm * 1e3)) ms; "
          + "sgemm FC alone \(fmt(fcAlone * 1e3)) ms, alternating \(fmt(fm * 1e3)) ms (slowdown \(fmt(fm / fcAlone))x); "
          + "CPU burnt in a 200 ms sleep after an sgemm \(fmt(idleBLAS * 1e3, 1)) ms, after a oneDNN conv \(fmt(idleDNNL * 1e3, 1)) ms")
    print("RESULT side=caslite case=threads blas=\(EngineThreads.blasThreading.rawValue) conv_alone_ms=\(fmt(convAlone * 1e3)) conv_mixed_ms=\(fmt(cm * 1e3)) "
          + "sgemm_alone_ms=\(fmt(fcAlone * 1e3)) sgemm_mixed_ms=\(fmt(fm * 1e3)) sgemm_slowdown=\(fmt(fm / fcAlone, 3)) "
          + "idle_cpu_ms_after_sgemm=\(fmt(idleBLAS * 1e3, 1)) idle_cpu_ms_after_onednn=\(fmt(idleDNNL * 1e3, 1)) threads=\(threads)")
}

func mobileNetHead() -> ([Layer], Set<String>) {
    let layers = ModelBuilders.mobileNetV2Layers(classes: 2)
    return (layers, Set(layers.map(\.name)).subtracting(["classifier.1"]))
}

// MARK: - main

if let name = caseName {
    switch precisionOf(name).0 {
    case "resnet50-infer-b1", "resnet50-infer-b4": try inferenceCase(name, ModelBuilders.resNet50Layers(classes: 2))
    case "resnet50-train-b4": try trainingCase(name, ModelBuilders.resNet50Layers(classes: 2))
    case "mobilenetv2-infer-b4": try inferenceCase(name, ModelBuilders.mobileNetV2Layers(classes: 1000))
    case "mobilenetv2-train-b4": try trainingCase(name, ModelBuilders.mobileNetV2Layers(classes: 2))
    case "vgg16-infer-b4": try inferenceCase(name, ModelBuilders.vgg16Layers(classes: 2))
    case "vgg16-train-b4": try trainingCase(name, ModelBuilders.vgg16Layers(classes: 2))
    case "inceptionv3-infer-b4": try inferenceCase(name, ModelBuilders.inceptionV3Layers(classes: 2))
    case "inceptionv3-train-b4": try trainingCase(name, ModelBuilders.inceptionV3Layers(classes: 2))
    case "tinyyolov2-infer-b4": try inferenceCase(name, ModelBuilders.tinyYoloV2Layers(), pixels: true)
    case "tinyyolov2-train-b4":
        try trainingCase(name, ModelBuilders.tinyYoloV2Layers(), targets: randomBoxes(batch: networkCases["tinyyolov2-train-b4"]!.0), pixels: true)
    case "mobilenetv2-head-b4":
        let (layers, frozen) = mobileNetHead()
        try trainingCase(name, layers, frozen: frozen)
    case "conv-b4": try convCase(verbose: profiling)
    case "threads": try threadsCase()
    default:
        FileHandle.standardError.write(Data("unknown case \(name); cases: \(networkCases.keys.sorted().joined(separator: ", ")), conv-b4, threads\n".utf8))
        exit(2)
    }
    exit(0)
}

// The older all-in-one report.
let sections = Set(args.dropFirst().first?.split(separator: ",").map(String.init) ?? ["conv", "blas", "resnet50", "mobilenet"])
print("DLEngine bench: threads \(threads), OpenBLAS \(EngineThreads.blasThreading), oneDNN \(EngineThreads.oneDNNVersion)")

if sections.contains("conv") {
    // Engine ConvolutionLayer vs raw oneDNN primitives (the layer's overhead).
    let n = 4
    var raw = [0.0, 0.0, 0.0], engine = [0.0, 0.0, 0.0]
    print("\nconv (batch \(n)): shape | raw oneDNN fwd/bwd-data/bwd-weights ms | engine layer ms | engine ÷ raw speed")
    for (h, ic, oc, k, s, count) in resnet50Convs {
        let model = try Model(layers: [
            InputLayer(name: "x", shape: [h, h, ic]),
            ConvolutionLayer(name: "conv", source: "x", filters: oc, kernel: k, stride: s,
                             padding: .symmetric(height: k / 2, width: k / 2), bias: false),
        ])
        let layer = model.layer(named: "conv") as! ConvolutionLayer
        let g = layer.geometry(batch: n)
        let x = random([n, h, h, ic], seed: 1), y = try! Tensor(shape: [n, g.outH, g.outW, oc])
        let dy = random(y.shape, seed: 2), dx = try! Tensor(shape: x.shape), dw = try! Tensor(shape: [g.weightCount])
        let w = layer.parameters[0].value.baseAddress!
        let prim = try DNNLConvolution(g, hasBias: false)
        let r = [try median { try prim.forward(x: x.base, w: w, b: nil, y: y.base) },
                 try median { try prim.backwardData(dy: dy.base, w: w, dx: dx.base) },
                 try median { try prim.backwardWeights(x: x.base, dy: dy.base, dw: dw.base, db: nil) }]
        let ctx = ForwardContext(training: true)
        let eForward = try median { try layer.forward([x], y, ctx) }
        // as Model runs it: this layer is the first writer of dx (no accumulate pass)
        let eBack = try median { try layer.backwardOverwriting([x], y, dy, [dx]) }
        let rawBack = r[1] + r[2]
        let eSplit = [eForward, eBack * r[1] / rawBack, eBack * r[2] / rawBack]
        for i in 0..<3 { raw[i] += r[i] * Double(count); engine[i] += eSplit[i] * Double(count) }
        print(String(format: "  %3d² %4d→%4d k%d s%d x%d | %6.2f %6.2f %6.2f | fwd %6.2f bwd %6.2f | %.3f",
                     h, ic, oc, k, s, count, r[0] * 1e3, r[1] * 1e3, r[2] * 1e3, eForward * 1e3, eBack * 1e3, (r[0] + rawBack) / (eForward + eBack)))
    }
    let total = raw.reduce(0, +), etotal = engine.reduce(0, +)
    print(String(format: "  conv efficiency (raw time ÷ engine time): forward %.3f, training %.3f", raw[0] / engine[0], total / etotal))
}
if sections.contains("blas") { print(""); try threadsCase() }
if sections.contains("resnet50") {
    print("\nResNet-50 224x224 (2 classes)")
    for c in ["resnet50-infer-b1", "resnet50-infer-b4"] { try inferenceCase(c, ModelBuilders.resNet50Layers(classes: 2)) }
    try trainingCase("resnet50-train-b4", ModelBuilders.resNet50Layers(classes: 2))
}
if sections.contains("mobilenet") {
    print("\nMobileNetV2 224x224 (2 classes), head only")
    let (layers, frozen) = mobileNetHead()
    try trainingCase("mobilenetv2-head-b4", layers, frozen: frozen)
}
