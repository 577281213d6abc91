import CDNNLShim
import COpenBLAS

/// The engine's thread count, shared by oneDNN (OpenMP) and OpenBLAS.
///
/// Both libraries must run on one OpenMP pool: Debian's oneDNN links libgomp, and a pthread OpenBLAS
/// next to it makes both pools spin against each other (2-4x slower BLAS calls after a oneDNN call,
/// measured on 2 cores; docs/engine.md "Threading"). DLEngine links the OpenMP build of OpenBLAS
/// through an rpath (Package.swift); `blasThreading` reports which build was actually loaded.
/// Element-wise kernels are single-threaded SIMD loops for the same reason.
public enum EngineThreads {
    /// Sets the thread count for every later oneDNN and OpenBLAS call (process-wide).
    public static func set(_ n: Int) {
        let n = max(1, n)
        dlshim_set_num_threads(Int32(n))
        openblas_set_num_threads(Int32(n))
    }

    /// The thread count oneDNN uses: the last `set`, else OpenMP's default (OMP_NUM_THREADS or the cores).
    public static var count: Int { Int(dlshim_get_num_threads()) }

    /// How the loaded OpenBLAS was built.
    public enum BLASThreading: String, Sendable {
        case sequential, pthreads, openMP, unknown
    }

    /// The threading model of the OpenBLAS library loaded at run time (`openMP` expected).
    public static var blasThreading: BLASThreading {
        switch openblas_get_parallel() {
        case 0: return .sequential
        case 1: return .pthreads
        case 2: return .openMP
        default: return .unknown
        }
    }

    /// The oneDNN library version loaded at run time, e.g. "2.6.3".
    public static var oneDNNVersion: String { String(cString: dlshim_version()) }
}
