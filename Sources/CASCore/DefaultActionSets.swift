/// The action sets every new session starts with, on both front ends and in the embedded server of
/// `caslite call`/`shell`/`run`: CAS's usual defaults, so that a script that runs over one front end
/// runs over the other. The one list; an `ActionSet` named here is always loaded (a set passed in by
/// a test or an embedding program may also ask for it with `alwaysLoaded: true`). Names not compiled
/// into a server are ignored.
public enum DefaultActionSets {
    public static let names: [String] = [
        "builtins", "session", "sessionProp", "table", "accessControl", "simple", "percentile", "aggregation", "datapreprocess", "dataStep", "fedSql",
    ]

    /// Whether a set of this name starts loaded in every session.
    public static func contains(_ name: String) -> Bool { lowercased.contains(name.lowercased()) }

    private static let lowercased = Set(names.map { $0.lowercased() })
}
