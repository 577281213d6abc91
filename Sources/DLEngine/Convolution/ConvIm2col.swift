/// im2col + `cblas_sgemm` convolution, one image and one group at a time (Caffe style), on NHWC
/// activations and torch-layout weights. The fallback path and the second reference for oneDNN.
/// Every function overwrites its outputs.
///
/// Per image n and group g (K = IC/G·KH·KW, ordered (c, kh, kw) like a flattened weight row):
///   col  [OH·OW, K]          im2col of x[n], channels of group g
///   W_g  [OC/G, K]           rows g·OC/G ..< (g+1)·OC/G of the weight tensor
///   y[n] [OH·OW, OC]         columns g·OC/G ..< (g+1)·OC/G receive col · W_gᵀ
public enum ConvIm2col {
    /// col[p, (c·KH + kh)·KW + kw] = x[n, ih, iw, g·ICg + c] (0 where the tap falls in the padding).
    static func im2col(_ g: ConvGeometry, _ x: UnsafePointer<Float>, group: Int, _ col: UnsafeMutablePointer<Float>) {
        let icg = g.inCPerGroup, k = icg * g.kernelH * g.kernelW
        for oh in 0..<g.outH { for ow in 0..<g.outW {
            let row = col + (oh * g.outW + ow) * k
            for kh in 0..<g.kernelH { for kw in 0..<g.kernelW {
                let tap = ConvReference.tap(g, oh, ow, kh, kw)
                for c in 0..<icg {
                    var v: Float = 0
                    if let (ih, iw) = tap { v = x[(ih * g.inW + iw) * g.inC + group * icg + c] }
                    row[(c * g.kernelH + kh) * g.kernelW + kw] = v
                }
            } }
        } }
    }

    /// Scatter-adds col back into dx[n] (the adjoint of im2col).
    static func col2im(_ g: ConvGeometry, _ col: UnsafePointer<Float>, group: Int, _ dx: UnsafeMutablePointer<Float>) {
        let icg = g.inCPerGroup, k = icg * g.kernelH * g.kernelW
        for oh in 0..<g.outH { for ow in 0..<g.outW {
            let row = col + (oh * g.outW + ow) * k
            for kh in 0..<g.kernelH { for kw in 0..<g.kernelW {
                guard let (ih, iw) = ConvReference.tap(g, oh, ow, kh, kw) else { continue }
                let dst = dx + (ih * g.inW + iw) * g.inC + group * icg
                for c in 0..<icg { dst[c] += row[(c * g.kernelH + kh) * g.kernelW + kw] }
            } }
        } }
    }

    private static func withCol(_ g: ConvGeometry, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let count = g.outH * g.outW * g.inCPerGroup * g.kernelH * g.kernelW
        let col = UnsafeMutablePointer<Float>.allocate(capacity: count)   // [OH·OW, K]
        defer { col.deallocate() }
        body(col)
    }

    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                               b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        let k = g.inCPerGroup * g.kernelH * g.kernelW, ohw = g.outH * g.outW, ocg = g.outCPerGroup
        withCol(g) { col in
            for n in 0..<g.batch {
                let xn = x + n * g.inH * g.inW * g.inC, yn = y + n * ohw * g.outC
                for grp in 0..<g.groups {
                    im2col(g, xn, group: grp, col)
                    BLAS.sgemm(false, true, m: ohw, n: ocg, k: k, a: col, lda: k, b: w + grp * ocg * k, ldb: k,
                               beta: 0, c: yn + grp * ocg, ldc: g.outC)
                }
                if let b { for p in 0..<ohw { Elementwise.accumulate(b, into: yn + p * g.outC, count: g.outC) } }
            }
        }
    }

    public static func backwardData(_ g: ConvGeometry, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                    dx: UnsafeMutablePointer<Float>) {
        let k = g.inCPerGroup * g.kernelH * g.kernelW, ohw = g.outH * g.outW, ocg = g.outCPerGroup
        dx.update(repeating: 0, count: g.inputCount)
        withCol(g) { col in
            for n in 0..<g.batch {
                let dyn = dy + n * ohw * g.outC, dxn = dx + n * g.inH * g.inW * g.inC
                for grp in 0..<g.groups {
                    // dcol [OH·OW, K] = dy_g [OH·OW, OCg] · W_g [OCg, K]
                    BLAS.sgemm(false, false, m: ohw, n: k, k: ocg, a: dyn + grp * ocg, lda: g.outC, b: w + grp * ocg * k, ldb: k,
                               beta: 0, c: col, ldc: k)
                    col2im(g, col, group: grp, dxn)
                }
            }
        }
    }

    public static func backwardWeights(_ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                       dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) {
        let k = g.inCPerGroup * g.kernelH * g.kernelW, ohw = g.outH * g.outW, ocg = g.outCPerGroup
        dw.update(repeating: 0, count: g.weightCount)
        withCol(g) { col in
            for n in 0..<g.batch {
                let xn = x + n * g.inH * g.inW * g.inC, dyn = dy + n * ohw * g.outC
                for grp in 0..<g.groups {
                    im2col(g, xn, group: grp, col)
                    // dW_g [OCg, K] += dy_gᵀ [OCg, OH·OW] · col [OH·OW, K]
                    BLAS.sgemm(true, false, m: ocg, n: k, k: ohw, a: dyn + grp * ocg, lda: g.outC, b: col, ldb: k,
                               beta: 1, c: dw + grp * ocg * k, ldc: k)
                }
            }
        }
        if let db {
            db.update(repeating: 0, count: g.outC)
            for p in 0..<(g.batch * ohw) { Elementwise.accumulate(dy + p * g.outC, into: db, count: g.outC) }
        }
    }
}
