import CASCore

/// The `deduplication` action set: `deduplicate`, which removes duplicate rows.
public let deduplicationActionSet = ActionSet(
    name: "deduplication", summary: "Deduplication: remove duplicate rows, or keep one row per by-group key (deduplicate).",
    actions: [Deduplicate.self])
