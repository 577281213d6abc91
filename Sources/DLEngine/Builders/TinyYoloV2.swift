/// DLPy's `Tiny_YoloV2` (dlpy.applications.yolo): nine 3×3/1×1 convolutions without bias, each of the first eight
/// followed by batch norm with leaky ReLU (slope 0.1); 2×2 max pooling (stride 2) after the first five, then a 2×2
/// stride-1 max pooling that keeps 13×13 (CAS "same" pooling: one padding row and column after the image); a 1×1
/// convolution to anchors × (5 + classes) channels and the YOLO v2 detection output.
/// Layers: data, conv1…conv9, bn1…bn8, pool1…pool6, detection.
extension ModelBuilders {
    /// Tiny YOLO v2's anchors for 20 classes (Pascal VOC), width then height in grid cells.
    public static let tinyYoloV2VOCAnchors: [Float] = [1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52]

    /// Tiny YOLO v2 for a square `size`×`size`×3 input (416: a 13×13 grid; the size must be a multiple of 32).
    /// `widths` are the first eight convolutions' filters (DLPy's by default; narrower for test models).
    /// DLPy's input scales pixels by 1/255.
    public static func tinyYoloV2Layers(options: YoloOptions = YoloOptions(classes: 20, anchors: tinyYoloV2VOCAnchors),
                                        size: Int = 416, widths: [Int] = [16, 32, 64, 128, 256, 512, 1024, 512],
                                        normalization: InputNormalization = InputNormalization(scale: 1.0 / 255)) -> [Layer] {
        var layers: [Layer] = [normalization.inputLayer(shape: [size, size, 3])]
        var previous = "data"
        for (i, w) in widths.enumerated() {
            let n = i + 1
            layers.append(ConvolutionLayer(name: "conv\(n)", source: previous, filters: w, kernel: 3,
                                           padding: .symmetric(height: 1, width: 1), bias: false))
            layers.append(BatchNormLayer(name: "bn\(n)", source: "conv\(n)", activation: .leakyReLU(alpha: 0.1)))
            previous = "bn\(n)"
            if n <= 6 {
                layers.append(PoolingLayer(name: "pool\(n)", source: previous, mode: .max, kernel: 2, stride: n < 6 ? 2 : 1,
                                           padding: n < 6 ? .symmetric(height: 0, width: 0) : .sameAfter))
                previous = "pool\(n)"
            }
        }
        let last = "conv\(widths.count + 1)"
        layers += [
            ConvolutionLayer(name: last, source: previous, filters: options.predictionsPerCell * options.valuesPerPrediction, kernel: 1,
                             padding: .symmetric(height: 0, width: 0), bias: false),
            YoloDetectionLayer(name: "detection", source: last, options: options),
        ]
        return layers
    }
}
