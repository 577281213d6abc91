// swift-tools-version:6.0
// Image pipeline micro-benchmark (docs/images.md §Benchmark). A separate package so it builds
// without the server's dependencies; Sources/{ImageCodec,CPNG,CJPEG,CJPEGShim,CheckedSize,SeededRandom} are symlinks to the
// repo's targets. Run: bench/images/run.sh
import PackageDescription

let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]

let package = Package(
    name: "imgbench",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "CJPEGShim", dependencies: ["CJPEG"]),
        .target(name: "CheckedSize"),
        .target(name: "SeededRandom"),
        .target(name: "ImageCodec", dependencies: ["CPNG", "CJPEGShim", "CheckedSize"], swiftSettings: kernelFlags),
        .executableTarget(name: "imgbench", dependencies: ["ImageCodec", "SeededRandom"], swiftSettings: kernelFlags),
    ]
)
