// The all-reduce benchmark of the MPI scale-out (docs/scale-out.md "Measured"): run it under mpirun, e.g.
//   mpirun --oversubscribe -np 2 .build/release/mpi-bench
// Each rank sums a gradient-sized Float buffer with every other rank (MPI_Iallreduce through CASCluster.MPIWorld, the
// call data-parallel training makes every step); rank 0 prints the median time of each size and the bandwidth it
// implies for a ring all-reduce (each rank sends and receives 2(N-1)/N of the buffer).
import CASCluster
import Foundation

let world: MPIWorld
do { world = try MPIWorld.start() } catch { FileHandle.standardError.write(Data("mpi-bench: \(error)\n".utf8)); exit(2) }
// ResNet-50's 25 557 032 parameters and MobileNetV2's 3 504 872 (torchvision), one float and 1 MiB for latency
let sizes: [(String, Int)] = [("1 float (latency)", 1), ("1 MiB", 1 << 18), ("MobileNetV2 gradients", 3_504_872), ("ResNet-50 gradients", 25_557_032)]
let rounds = Int(ProcessInfo.processInfo.environment["MPI_BENCH_ROUNDS"] ?? "") ?? 10
if world.rank == 0 { print("== all-reduce (sum of Float32) over \(world.size) ranks on \(world.host), median of \(rounds) after a warm-up") }
for (name, count) in sizes {
    var values = [Float](repeating: Float(world.rank + 1), count: count)
    var times: [Double] = []
    for round in 0...rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        do { try world.allreduceSum(&values, stop: { nil }) } catch { FileHandle.standardError.write(Data("mpi-bench: \(error)\n".utf8)); exit(3) }
        if round > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
    }
    // the sum of 1…N, times the rounds + 1 sums already made: the reduction is checked, not only timed
    let n = Float(world.size)
    let expected = n * (n + 1) / 2 * Float(pow(Double(world.size), Double(rounds)))
    guard abs(values[count - 1] - expected) <= expected * 1e-5 else {
        FileHandle.standardError.write(Data("mpi-bench: rank \(world.rank) got \(values[count - 1]), expected \(expected)\n".utf8))
        exit(4)
    }
    if world.rank == 0 {
        let median = times.sorted()[times.count / 2]
        let bytes = Double(count * 4)
        let bus = 2 * Double(world.size - 1) / Double(world.size) * bytes / median
        print(String(format: "%@: %.1f MB, median %.3f ms (min %.3f), ring bus bandwidth %.2f GB/s",
                     name, bytes / 1e6, median * 1e3, times.min()! * 1e3, bus / 1e9))
    }
}
fflush(nil)
exit(0)
