import COpenBLAS
import Synchronization

/// Serialises OpenBLAS calls process-wide.
///
/// The OpenMP build of OpenBLAS (needed to share one thread pool with oneDNN) is not safe when called
/// from several threads at once if it was built with the default MAX_PARALLEL_NUMBER=1 (shared work
/// buffers). Concurrent callers (parallel tests, two sessions training) therefore take this lock;
/// each call is large enough that the lock costs nothing measurable.
enum BLAS {
    private static let lock = Mutex(())

    /// Row-major C = alpha·op(A)·op(B) + beta·C.
    static func sgemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        lock.withLock { _ in
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }
}
