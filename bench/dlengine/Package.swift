// swift-tools-version:6.0
// DLEngine benchmark, a package of its own so it builds while other targets of the repo are mid-edit.
// Sources/{DLEngine,CDNNLShim,COpenBLAS,CHDF5,CHDF5Shim,CheckedSize,SeededRandom} are symlinks to the repo's targets; settings mirror ../../Package.swift.
//   swift build -c release --package-path bench/dlengine && bench/dlengine/.build/release/dlengine-bench
import PackageDescription

let openblasOpenMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"

let package = Package(
    name: "dlengine-bench",
    platforms: [.macOS(.v15)],
    targets: [
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"]),
        .target(name: "CheckedSize"),
        .target(name: "SeededRandom"),
        .target(name: "CDNNLShim", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),
        .target(name: "DLEngine", dependencies: ["COpenBLAS", "CDNNLShim", "CHDF5Shim", "CheckedSize", "SeededRandom"],
                swiftSettings: [.unsafeFlags(["-O", "-target-cpu", "haswell"])],
                linkerSettings: [.unsafeFlags(["-L\(openblasOpenMP)", "-Xlinker", "-rpath", "-Xlinker", openblasOpenMP])]),
        .executableTarget(name: "dlengine-bench", dependencies: ["DLEngine"], swiftSettings: [.unsafeFlags(["-O"])]),
    ]
)
