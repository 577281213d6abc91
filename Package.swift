// swift-tools-version:6.0
import PackageDescription

/// Compute kernels run at release speed even in debug/test builds, so the engine and codec tests run real
/// convolutions and decodes; haswell (AVX2, FMA) matters to SIMD loops: one measured `SIMD16` loop ran 40×
/// faster with it, cache-resident loops twice as fast.
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]

let package = Package(
    name: "caslite",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "caslite", targets: ["caslite"]),
        .executable(name: "caslite-bench", targets: ["caslite-bench"]),
        .executable(name: "dlengine-bench", targets: ["dlengine-bench"]),
        .executable(name: "mpi-bench", targets: ["mpi-bench"]),
        .library(name: "CASClient", targets: ["CASClient"]),
        .library(name: "DLEngine", targets: ["DLEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // TLS on both front ends (docs/security.md "TLS"): BoringSSL through nio-ssl; certificates made by `caslite tls`.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", exact: "1.7.4"),
        // `caslite serve --config FILE` (docs/operations.md "Configuration"): toml++ through TOMLKit, ~30 s of a first build.
        .package(url: "https://github.com/LebJe/TOMLKit.git", exact: "0.6.0"),
    ],
    targets: [
        // MARK: system libraries (Debian packages, see .ci/run and Makefile `deps`)
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CEditLine", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),  // `caslite shell`'s line editor
        // Open MPI (the scale-out, `serve --mpi`, docs/scale-out.md): every call through one C shim (its handles are macros)
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "CMPIShim", dependencies: ["CMPI"]),
        .target(name: "CJPEGShim", dependencies: ["CJPEG"]),
        .target(name: "CHDF5Shim", dependencies: ["CHDF5"]),   // every HDF5 call (Caffe weights import)
        // Every GDCM call (DICOM, libgdcm-dev: C++, no pkg-config file; headers in /usr/include/gdcm-3.0), as a C API.
        .target(name: "CGDCMShim", cxxSettings: [.define("NDEBUG"), .unsafeFlags(["-I/usr/include/gdcm-3.0", "-O2"])],
                linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmDICT"),
                                 .linkedLibrary("gdcmCommon"), .linkedLibrary("stdc++"), .linkedLibrary("z")]),  // z: deflated files are checked before GDCM inflates them
        .target(name: "CDNNLShim", cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),

        // MARK: CAS side
        .target(name: "CheckedSize"),  // one checked path from outside numbers to sizes (no dependencies)
        .target(name: "SeededRandom"),  // SplitMix64, the one seeded generator of the engine, images and tests (no dependencies)
        .target(name: "CASWire"),
        .target(name: "CASNIO", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "CASStorage", dependencies: ["CASWire", "CSQLite", "CSodium", "CheckedSize"]),
        .target(name: "CASCore", dependencies: ["CASWire", "CASStorage", "CheckedSize", .product(name: "Logging", package: "swift-log")]),
        // The MPI controller and workers: tables spread over worker ranks, heartbeats, lost-worker detection.
        .target(name: "CASCluster", dependencies: ["CMPIShim", "CASCore", "CASWire"]),
        .target(name: "CASL", dependencies: ["CASWire", "CASCore", "CASStorage", .product(name: "Logging", package: "swift-log")],
                swiftSettings: [.unsafeFlags(["-O"])]),  // the interpreter runs 100 000 fuzz scripts in the debug test run
        .target(name: "ActionSetBuiltins", dependencies: ["CASCore", "CASL"], path: "actionsets/builtins"),
        .target(name: "ActionSetSCCASL", dependencies: ["CASCore", "CASL"], path: "actionsets/sccasl", exclude: ["README.md"]),
        .target(name: "ActionSetSession", dependencies: ["CASCore"], path: "actionsets/session"),
        .target(name: "ActionSetSessionProp", dependencies: ["CASCore"], path: "actionsets/sessionProp"),
        .target(name: "ActionSetTable", dependencies: ["CASCore", "CASStorage"], path: "actionsets/table"),
        .target(name: "ActionSetAccessControl", dependencies: ["CASCore", "CASStorage"], path: "actionsets/accessControl"),
        .target(name: "ActionSetSimple", dependencies: ["CASCore"], path: "actionsets/simple"),
        .target(name: "ActionSetPercentile", dependencies: ["CASCore"], path: "actionsets/percentile"),
        .target(name: "ActionSetDataPreprocess", dependencies: ["CASCore", "CheckedSize"], path: "actionsets/datapreprocess"),
        .target(name: "ActionSetDeduplication", dependencies: ["CASCore"], path: "actionsets/deduplication"),
        .target(name: "ActionSetTranspose", dependencies: ["CASCore"], path: "actionsets/transpose"),
        .target(name: "ActionSetDataStep", dependencies: ["CASCore"], path: "actionsets/dataStep",
                swiftSettings: [.unsafeFlags(["-O"])]),  // the DATA step's row loop: a debug build spent most of it in generic metadata and retains
        .target(name: "ActionSetAggregation", dependencies: ["CASCore", "ActionSetSimple"], path: "actionsets/aggregation"),  // simple's ColumnStats
        .target(name: "ActionSetImage", dependencies: ["CASCore", "ImageCodec", "DICOMCodec", "SeededRandom"], path: "actionsets/image"),
        .target(name: "ActionSetFedSql", dependencies: ["CASCore", "CASStorage"], path: "actionsets/fedSql"),  // SQL on SQLite's engine (SQLScratch)
        .target(name: "ActionSetSampling", dependencies: ["CASCore"], path: "actionsets/sampling"),
        .target(name: "ActionSetFCMPAct", dependencies: ["CASCore"], path: "actionsets/fcmpact"),
        .target(name: "ActionSetDeepLearn", dependencies: ["CASCore", "ActionSetFCMPAct", "DLEngine", "ImageCodec", "SeededRandom"], path: "actionsets/deepLearn"),
        // The standard list of action sets, passed to the server by the executable (the server depends on none).
        .target(
            name: "CASStandardSets",
            dependencies: [
                "CASCore", "ActionSetBuiltins", "ActionSetSession", "ActionSetSessionProp", "ActionSetTable", "ActionSetAccessControl", "ActionSetSimple",
                "ActionSetPercentile", "ActionSetAggregation", "ActionSetDataPreprocess", "ActionSetDeduplication", "ActionSetTranspose", "ActionSetDataStep", "ActionSetFedSql", "ActionSetSCCASL", "ActionSetImage", "ActionSetSampling", "ActionSetDeepLearn", "ActionSetFCMPAct",
            ]),
        // TLS for both front ends and the client: server contexts (reloadable), client verification with diagnosed
        // failures, the first-byte sniffer, and the certificates of `caslite tls self-signed`.
        .target(
            name: "CASTLS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]),
        .target(
            name: "CASServer",
            dependencies: [
                "CASCore", "CASStorage", "CASNIO", "CASL", "CASTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "CASClient",
            dependencies: [
                "CASWire", "CASNIO", "CASTLS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "caslite",
            dependencies: [
                "CASClient", "CASServer", "CASStandardSets", "CASCore", "CASStorage", "CASTLS", "CEditLine", "CASCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),

        // The engine benchmark (bench/dlengine's cases, run by bench/torch/compare.py); built here so CI compiles it with
        // the engine it measures (bench/dlengine stays a package of its own for engine-only builds).
        .executableTarget(name: "dlengine-bench", dependencies: ["DLEngine"], path: "bench/dlengine/Sources/dlengine-bench",
                          swiftSettings: [.unsafeFlags(["-O"])]),

        // The MPI all-reduce benchmark (docs/scale-out.md): `mpirun -np N .build/release/mpi-bench`.
        .executableTarget(name: "mpi-bench", dependencies: ["CASCluster"], path: "bench/mpi", exclude: ["dltrain_steps.py", "spread_actions.py"]),

        .executableTarget(
            name: "caslite-bench",
            dependencies: ["CASClient", "CASServer", "CASStandardSets", "CASCore", "CASWire", "CASTLS", .product(name: "Logging", package: "swift-log")]),

        // MARK: image codecs (no CAS imports)
        .target(name: "ImageCodec", dependencies: ["CPNG", "CJPEGShim", "CheckedSize"], swiftSettings: kernelFlags),
        // DICOM files → Hounsfield-unit images through GDCM (docs/decisions/018-dicom.md); no CAS imports.
        .target(name: "DICOMCodec", dependencies: ["CGDCMShim", "ImageCodec", "CheckedSize"], swiftSettings: kernelFlags),

        // MARK: deep-learning engine (no CAS imports)
        // OpenMP OpenBLAS via rpath: one libgomp pool with oneDNN (docs/engine.md "Threading").
        .target(name: "DLEngine", dependencies: ["COpenBLAS", "CDNNLShim", "CHDF5Shim", "CheckedSize", "SeededRandom"], swiftSettings: kernelFlags,
                linkerSettings: [.unsafeFlags(["-L/usr/lib/x86_64-linux-gnu/openblas-openmp",
                                               "-Xlinker", "-rpath", "-Xlinker", "/usr/lib/x86_64-linux-gnu/openblas-openmp"])]),

        // MARK: tests
        // Test support links the light action sets only (no oneDNN, OpenBLAS, HDF5 or image codecs); targets
        // that test the heavy sets add them.
        .target(name: "CASTestSupport", dependencies: [
                    "CASServer", "CASClient", "CASWire", "CASCore", "CASNIO", "CASStorage", "CASTLS",
                    "ActionSetBuiltins", "ActionSetSession", "ActionSetSessionProp", "ActionSetTable", "ActionSetAccessControl", "ActionSetSimple",
                    "ActionSetPercentile", "ActionSetAggregation", "ActionSetDataPreprocess", "ActionSetDeduplication", "ActionSetTranspose", "ActionSetDataStep", "ActionSetFedSql", "ActionSetSCCASL",
                    .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                    .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                ],
                path: "Tests/CASTestSupport"),
        .testTarget(name: "CASWireTests", dependencies: ["CASWire", "CASNIO", "SeededRandom", .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "CheckedSizeTests", dependencies: ["CheckedSize"]),
        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        .testTarget(name: "CASStorageTests", dependencies: ["CASStorage", "CASWire", "CheckedSize", "Mutation"]),
        .testTarget(name: "CASCoreTests", dependencies: ["CASCore", "ActionSetBuiltins", "ActionSetTable", "ActionSetSimple", "ActionSetSession", "ActionSetSessionProp", "Mutation", "SeededRandom"]),
        .testTarget(name: "CasliteCLITests", dependencies: ["caslite", "CASWire"]),
        .testTarget(name: "CASServerTests", dependencies: ["CASTestSupport", "CASServer", "CASClient", "CASCore", "CASStorage", "CASNIO", "CASTLS", "ActionSetImage", "ImageCodec"]),
        .testTarget(name: "CASLTests", dependencies: ["CASTestSupport", "CASStandardSets", "CASL", "CASCore", "CASServer", "CASClient", "CASStorage", "ImageCodec", "SeededRandom", "DICOMFixture"]),
        .target(name: "RawPNG", path: "Tests/RawPNG"),  // byte-level PNG writer for the image tests
        .target(name: "Mutation", path: "Tests/Mutation"),  // seeded byte mutations for the format fuzzers
        .target(name: "DICOMFixture", path: "Tests/DICOMFixture"),  // DICOM test files written by DCMTK (dump2dcm, dcmcjpeg, dcmcrle)
        .testTarget(name: "ImageCodecTests", dependencies: ["ImageCodec", "RawPNG", "Mutation", "SeededRandom"]),
        .testTarget(name: "ImageActionTests", dependencies: ["CASTestSupport", "ActionSetImage", "CASServer", "CASClient", "CASCore", "ImageCodec", "RawPNG", "Mutation", "DICOMFixture"]),
        .testTarget(name: "DLEngineTests", dependencies: ["DLEngine", "Mutation", "SeededRandom"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FuzzTests", dependencies: ["CASWire", "ImageCodec"]),  // drives a real `caslite serve` process
        .testTarget(name: "DeepLearnTests", dependencies: ["RawPNG", "CASTestSupport", "CASStandardSets", "CASServer", "CASClient", "CASCore", "ImageCodec", "DLEngine", "SeededRandom", "CHDF5", "DICOMFixture"]),  // CHDF5: crafted .h5 files (TinyHDF5)
    ]
)
