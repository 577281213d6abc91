extension HUImage {
    /// Lung and body area of a CT slice, for selecting slices that show enough lung.
    ///
    /// Air-like pixels are those in `lower...upper` HU (and anything below `lower`, e.g. the −1024 or
    /// −2000 outside the scanner's field of view, counts as air too). Air connected to the image
    /// border (4-neighbourhood) is outside the patient; every other pixel is **body**, and the air
    /// inside the body — connected components that do not touch the border — is **lung**.
    ///
    ///     let (lung, body) = slice.lungArea()
    ///     let keep = body > 0 && 100 * Double(lung) >= 5 * Double(body)
    public func lungArea(lower: Int = -1000, upper: Int = -400) -> (lung: Int, body: Int) {
        let (w, h) = (width, height)
        var outside = [Bool](repeating: false, count: w * h)
        var stack: [Int] = []
        func air(_ i: Int) -> Bool { Int(pixels[i]) <= upper }
        func push(_ i: Int) {
            if !outside[i] && air(i) {
                outside[i] = true
                stack.append(i)
            }
        }
        for x in 0..<w { push(x); push((h - 1) * w + x) }
        for y in 0..<h { push(y * w); push(y * w + w - 1) }
        while let i = stack.popLast() {  // flood fill over air from the border
            let (x, y) = (i % w, i / w)
            if x > 0 { push(i - 1) }
            if x < w - 1 { push(i + 1) }
            if y > 0 { push(i - w) }
            if y < h - 1 { push(i + w) }
        }
        var lung = 0, body = 0
        for i in 0..<(w * h) where !outside[i] {
            body += 1
            if Int(pixels[i]) >= lower && air(i) { lung += 1 }
        }
        return (lung, body)
    }
}
