/// Image codecs and pixel kernels under the `image` action set. No CAS imports.
///
/// - Decode/encode: ``ImageCodec/decode(_:as:options:)``, ``ImageCodec/probe(_:)``,
///   ``ImageCodec/encodePNG(_:)``, ``ImageCodec/encodeJPEG(_:quality:progressive:)``.
/// - Pixels: ``Image`` (8-bit, interleaved HWC) and ``FloatImage`` (float32, HWC).
/// - Kernels: `Image+resize.swift`, `Image+normalize.swift`, `Image+color.swift`,
///   `Image+geometry.swift`, `Image+threshold.swift`, `Image+mutations.swift`.
/// - Storage for processed images: ``RawImage`` (docs/images.md §Storage).
public enum ImageCodec {}
