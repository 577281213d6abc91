/// Naive direct-loop convolution: the slow, obviously-correct reference for the im2col and oneDNN
/// paths. x: [N, IH, IW, IC] (NHWC), w: [OC, IC/G, KH, KW], b: [OC], y: [N, OH, OW, OC].
/// Every function overwrites its outputs.
public enum ConvReference {
    /// Calls `body(ih, iw)` for the input pixel tap (kh, kw) of output pixel (oh, ow) reads, if inside the input.
    @inline(__always)
    static func tap(_ g: ConvGeometry, _ oh: Int, _ ow: Int, _ kh: Int, _ kw: Int) -> (Int, Int)? {
        let ih = oh * g.strideH - g.padTop + kh * g.dilationH
        let iw = ow * g.strideW - g.padLeft + kw * g.dilationW
        guard ih >= 0, ih < g.inH, iw >= 0, iw < g.inW else { return nil }
        return (ih, iw)
    }

    public static func forward(_ g: ConvGeometry, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                               b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) {
        let (icg, ocg) = (g.inCPerGroup, g.outCPerGroup)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for oc in 0..<g.outC {
            let grp = oc / ocg
            var s = Double(b?[oc] ?? 0)
            for c in 0..<icg { for kh in 0..<g.kernelH { for kw in 0..<g.kernelW {
                guard let (ih, iw) = tap(g, oh, ow, kh, kw) else { continue }
                let xv = x[((n * g.inH + ih) * g.inW + iw) * g.inC + grp * icg + c]
                s += Double(xv) * Double(w[((oc * icg + c) * g.kernelH + kh) * g.kernelW + kw])
            } } }
            y[((n * g.outH + oh) * g.outW + ow) * g.outC + oc] = Float(s)
        } } } }
    }

    public static func backwardData(_ g: ConvGeometry, dy: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                    dx: UnsafeMutablePointer<Float>) {
        let (icg, ocg) = (g.inCPerGroup, g.outCPerGroup)
        dx.update(repeating: 0, count: g.inputCount)
        for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW { for oc in 0..<g.outC {
            let grp = oc / ocg
            let d = dy[((n * g.outH + oh) * g.outW + ow) * g.outC + oc]
            for c in 0..<icg { for kh in 0..<g.kernelH { for kw in 0..<g.kernelW {
                guard let (ih, iw) = tap(g, oh, ow, kh, kw) else { continue }
                dx[((n * g.inH + ih) * g.inW + iw) * g.inC + grp * icg + c] +=
                    d * w[((oc * icg + c) * g.kernelH + kh) * g.kernelW + kw]
            } } }
        } } } }
    }

    public static func backwardWeights(_ g: ConvGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                       dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) {
        let (icg, ocg) = (g.inCPerGroup, g.outCPerGroup)
        for oc in 0..<g.outC {
            let grp = oc / ocg
            if let db {
                var s = 0.0
                for p in 0..<(g.batch * g.outH * g.outW) { s += Double(dy[p * g.outC + oc]) }
                db[oc] = Float(s)
            }
            for c in 0..<icg { for kh in 0..<g.kernelH { for kw in 0..<g.kernelW {
                var s = 0.0
                for n in 0..<g.batch { for oh in 0..<g.outH { for ow in 0..<g.outW {
                    guard let (ih, iw) = tap(g, oh, ow, kh, kw) else { continue }
                    s += Double(x[((n * g.inH + ih) * g.inW + iw) * g.inC + grp * icg + c])
                        * Double(dy[((n * g.outH + oh) * g.outW + ow) * g.outC + oc])
                } } }
                dw[((oc * icg + c) * g.kernelH + kh) * g.kernelW + kw] = Float(s)
            } } }
        }
    }
}
