/// Which buffer ("slot") holds each layer's tensor, so tensors whose lifetimes do not overlap share
/// memory. Built once per graph (and per frozen set for gradients); sizes are per sample, the model
/// multiplies them by its batch capacity.
///
/// Slots are handed out best-fit: the smallest free slot that is large enough, else the largest free
/// slot grown to the new size, else a new slot. A tensor's slot is never shared with one that is alive
/// at the same time, so a layer's output never aliases its inputs and a layer's input gradient never
/// aliases its output gradient.
struct BufferPlan: Equatable {
    /// slot[i]: the slot of layer i's tensor (nil: layer i has none in this plan).
    var slot: [Int?]
    /// Floats per sample of each slot.
    var capacity: [Int]
    /// Forward plans: whether layer i's output is still intact after the whole pass (its slot was not
    /// reused by a later layer). Backward plans: the layers whose gradient slot must be zeroed right
    /// before layer i's backward runs (its first writer) — see `zeroBefore`.
    var survives: [Bool] = []
    var zeroBefore: [[Int]] = []

    /// Every layer its own slot (training forward: backward needs every activation).
    static func dedicated(sizes: [Int]) -> BufferPlan {
        BufferPlan(slot: sizes.indices.map { $0 }, capacity: sizes, survives: sizes.map { _ in true })
    }

    /// Inference forward in `order`: a layer's output is freed once its last consumer has run, except
    /// the layers in `keep` (e.g. the output and the logits that the loss reads).
    static func forward(order: [Int], sources: [[Int]], sizes: [Int], keep: Set<Int>) -> BufferPlan {
        var pending = [Int](repeating: 0, count: sizes.count)
        for s in sources { for j in s { pending[j] += 1 } }
        var allocator = Allocator(), slot = [Int?](repeating: nil, count: sizes.count)
        var lastUser: [Int: Int] = [:]
        for i in order {
            let s = allocator.take(sizes[i])
            slot[i] = s
            lastUser[s] = i
            for j in sources[i] {
                pending[j] -= 1
                if pending[j] == 0, !keep.contains(j), let sj = slot[j] { allocator.give(sj) }
            }
            if pending[i] == 0, !keep.contains(i) { allocator.give(s) }   // nobody reads it (a sink that is not kept)
        }
        var survives = [Bool](repeating: false, count: sizes.count)
        for (_, i) in lastUser { survives[i] = true }
        return BufferPlan(slot: slot, capacity: allocator.capacity, survives: survives)
    }

    /// Backward in reverse `order` over the layers with `reach[i]`: layer i's output gradient lives from
    /// its first writer (the first of its consumers to run backward, or the start for the output layer)
    /// until its own backward has run.
    static func backward(order: [Int], sources: [[Int]], sizes: [Int], reach: [Bool], output: Int) -> BufferPlan {
        var allocator = Allocator(), slot = [Int?](repeating: nil, count: sizes.count)
        var zeroBefore = [[Int]](repeating: [], count: sizes.count)
        for i in order.reversed() where reach[i] {
            if slot[i] == nil {   // the output layer (or a layer no reached consumer writes): zeroed before its own backward
                slot[i] = allocator.take(sizes[i])
                zeroBefore[i].append(i)
            }
            for j in sources[i] where reach[j] && slot[j] == nil {
                slot[j] = allocator.take(sizes[j])
                zeroBefore[i].append(j)
            }
            allocator.give(slot[i]!)
        }
        _ = output
        return BufferPlan(slot: slot, capacity: allocator.capacity, zeroBefore: zeroBefore)
    }

    /// Best-fit slot allocator (sizes in floats per sample).
    struct Allocator {
        var capacity: [Int] = []
        var free: [Int] = []

        mutating func take(_ size: Int) -> Int {
            if let best = free.filter({ capacity[$0] >= size }).min(by: { capacity[$0] < capacity[$1] }) {
                free.removeAll { $0 == best }
                return best
            }
            if let largest = free.max(by: { capacity[$0] < capacity[$1] }) {
                free.removeAll { $0 == largest }
                capacity[largest] = size
                return largest
            }
            capacity.append(size)
            return capacity.count - 1
        }

        mutating func give(_ slot: Int) { free.append(slot) }
    }
}
