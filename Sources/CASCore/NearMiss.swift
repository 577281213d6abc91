/// Suggests the closest candidate to a misspelt name ("Did you mean 'casOut'?").
public enum NearMiss {
    /// The candidate with the smallest case-insensitive edit distance, if it is close enough
    /// (at most a third of the name's length, and at least `minimumAllowance` edits allowed).
    /// Names longer than ``maxName`` bytes get no suggestion (the distance costs their length times each candidate's).
    public static func suggest(_ name: String, among candidates: [String], minimumAllowance: Int = 1) -> String? {
        guard name.utf8.count <= maxName else { return nil }
        let target = Array(name.lowercased())
        var best: (String, Int)?
        for c in candidates {
            let d = distance(target, Array(c.lowercased()))
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (c, d) = best, d <= max(minimumAllowance, target.count / 3) else { return nil }
        return c
    }

    /// `message`, then " Did you mean 'Y'?" when a candidate is close to `name` — the one place the
    /// suggestion is worded.
    public static func withSuggestion(_ message: String, for name: String, among candidates: [String]) -> String {
        guard let near = suggest(name, among: candidates) else { return message }
        return "\(message) Did you mean '\(near)'?"
    }

    /// "Layer 'x' does not exist in model M. Did you mean 'y'?" — `what` names the kind of thing,
    /// `place` (optional) where it was looked for, `candidates` what does exist there.
    public static func doesNotExist(_ what: String, _ name: String, in place: String? = nil, among candidates: [String]) -> String {
        withSuggestion("\(what) '\(name)' does not exist\(place.map { " in \($0)" } ?? "").", for: name, among: candidates)
    }

    /// Longest name a suggestion is looked for.
    public static let maxName = 256

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    public static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], prev2[j - 2] + 1) }
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
