import Foundation

/// Learning-rate policies (CAS `learningRatePolicy`, PyTorch schedulers).
/// Epoch-based: fixed, step, multiStep, reduceOnPlateau. Iteration-based: poly, cyclic.
public enum LearningRatePolicy: Sendable, Equatable {
    case fixed
    /// rate = base · gamma^floor(epoch / size)
    case step(size: Int, gamma: Double)
    /// rate = base · gamma^(number of milestones ≤ epoch)
    case multiStep(milestones: [Int], gamma: Double)
    /// rate = base · (1 - iteration / maxIterations)^power (Caffe "poly"; 0 after maxIterations)
    case poly(power: Double, maxIterations: Int)
    /// PyTorch CyclicLR between base and `maxRate`, half-cycle `stepSize` iterations.
    case cyclic(maxRate: Double, stepSize: Int, mode: CyclicMode, gamma: Double = 1)
    /// PyTorch ReduceLROnPlateau (mode "min", relative threshold) on the validation loss
    /// (training loss when there is no validation data), checked once per epoch.
    case reduceOnPlateau(factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, cooldown: Int = 0, minRate: Double = 0)
    /// A caller's function of (epoch, batch within the epoch, base rate), evaluated per batch
    /// (deepLearn's FCMP learning-rate functions). A non-finite result falls back to the base rate.
    case custom(CustomRate)

    public enum CyclicMode: String, Sendable { case triangular, triangular2, expRange }
}

/// A per-batch learning-rate function; equal only to itself.
public final class CustomRate: Sendable, Equatable {
    public let batchesPerEpoch: Int
    public let function: @Sendable (_ epoch: Int, _ batch: Int, _ baseRate: Double) -> Double

    public init(batchesPerEpoch: Int, _ function: @escaping @Sendable (_ epoch: Int, _ batch: Int, _ baseRate: Double) -> Double) {
        self.batchesPerEpoch = max(1, batchesPerEpoch)
        self.function = function
    }

    public static func == (a: CustomRate, b: CustomRate) -> Bool { a === b }
}

/// The learning rate over a run. Epochs and iterations count from 0.
public struct LearningRateSchedule: Sendable {
    public let baseRate: Double
    public let policy: LearningRatePolicy
    private var plateauRate: Double
    private var best = Double.infinity
    private var badEpochs = 0
    private var cooldownLeft = 0

    public init(baseRate: Double, policy: LearningRatePolicy = .fixed) {
        self.baseRate = baseRate
        self.policy = policy
        plateauRate = baseRate
    }

    /// The rate for a batch: `epoch` completed epochs before it, `iteration` batches before it in the run.
    public func rate(epoch: Int, iteration: Int) -> Double {
        switch policy {
        case .fixed: return baseRate
        case .step(let size, let gamma): return baseRate * pow(gamma, Double(epoch / max(size, 1)))
        case .multiStep(let milestones, let gamma): return baseRate * pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
        case .poly(let power, let maxIterations):
            return baseRate * pow(max(0, 1 - Double(iteration) / Double(max(maxIterations, 1))), power)
        case .cyclic(let maxRate, let stepSize, let mode, let gamma):
            let it = Double(iteration), step = Double(max(stepSize, 1))
            let cycle = (1 + it / (2 * step)).rounded(.down)
            let x = abs(it / step - 2 * cycle + 1)
            let scale: Double
            switch mode {
            case .triangular: scale = 1
            case .triangular2: scale = 1 / pow(2, cycle - 1)
            case .expRange: scale = pow(gamma, it)
            }
            return baseRate + (maxRate - baseRate) * max(0, 1 - x) * scale
        case .reduceOnPlateau: return plateauRate
        case .custom(let c):
            let r = c.function(epoch, iteration - epoch * c.batchesPerEpoch, baseRate)
            return r.isFinite ? r : baseRate
        }
    }

    /// Feeds the end-of-epoch metric (only reduce-on-plateau uses it).
    public mutating func epochEnded(metric: Double) {
        guard case .reduceOnPlateau(let factor, let patience, let threshold, let cooldown, let minRate) = policy else { return }
        if metric < best * (1 - threshold) {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            plateauRate = max(plateauRate * factor, minRate)
            cooldownLeft = cooldown
            badEpochs = 0
        }
    }
}
