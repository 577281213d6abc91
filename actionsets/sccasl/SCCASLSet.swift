import CASCore

/// The `sccasl` action set (CAS's "CASL Server"): run CASL scripts server-side.
public let sccaslActionSet = ActionSet(
    name: "sccasl", summary: "CASL Server: runs CASL action scripts inside the session.",
    actions: [RunCasl.self])
