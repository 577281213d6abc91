import Testing
@testable import DLEngine

@Suite("Threading")
struct ThreadsTests {
    @Test("the OpenMP build of OpenBLAS is the one loaded (one thread pool with oneDNN)")
    func openMPBLAS() {
        #expect(EngineThreads.blasThreading == .openMP)
    }

    @Test("oneDNN 2.x is loaded")
    func oneDNNVersion() {
        #expect(EngineThreads.oneDNNVersion.hasPrefix("2."))
    }

    @Test("a thread count is always defined")
    func count() {
        #expect(EngineThreads.count >= 1)
    }
}
