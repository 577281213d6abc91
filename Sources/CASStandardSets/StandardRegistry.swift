import ActionSetAccessControl
import ActionSetAggregation
import ActionSetBuiltins
import ActionSetDataPreprocess
import ActionSetDataStep
import ActionSetDeduplication
import ActionSetDeepLearn
import ActionSetFCMPAct
import ActionSetFedSql
import ActionSetImage
import ActionSetPercentile
import ActionSetSCCASL
import ActionSetSampling
import ActionSetSession
import ActionSetSessionProp
import ActionSetSimple
import ActionSetTable
import ActionSetTranspose
import CASCore

/// The action sets compiled into caslite, in the order help lists them. The executable passes them
/// to `CASServer.start(_:sets:)`; the server itself depends on no action set.
public enum StandardRegistry {
    public static let sets: [ActionSet] = [
        builtinsActionSet, sessionActionSet, sessionPropActionSet, tableActionSet, accessControlActionSet, simpleActionSet, percentileActionSet, aggregationActionSet, datapreprocessActionSet, deduplicationActionSet, transposeActionSet, dataStepActionSet, fedSqlActionSet, sccaslActionSet, imageActionSet,
        samplingActionSet, deepLearnActionSet, astoreActionSet, fcmpactActionSet,
    ]
    /// The partition-local kernels the workers of an MPI server run for the actions that distribute (docs/scale-out.md).
    public static let partitionKernels: [PartitionKernel] = SimpleKernels.all + DeepLearnKernels.all + SamplingKernels.all + ImageKernels.all + PercentileKernels.all + [.topRows]

    /// The validated registry; a failure here is a programming error caught by the tests.
    public static func make() throws -> Registry { try Registry(sets) }
}
