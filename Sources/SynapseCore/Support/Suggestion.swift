/// "Did you mean …?" for a misspelt name: the closest of the names that are valid, by edit distance.
public enum Suggestion {
    /// The name among `candidates` closest to `given` (Damerau–Levenshtein distance over characters,
    /// case, `-` and `_` ignored), or nil when none is close: at most 1 edit for names of up to 4
    /// characters, 2 up to 8, 3 beyond. A candidate that starts with `given` (3 characters or more)
    /// counts as close (`--epo` → `--epochs`). Ties go to the candidate listed first in sorted order.
    public static func closest(to given: String, among candidates: some Sequence<String>) -> String? {
        let target = normalized(given)
        guard !target.isEmpty, target.count <= 200 else { return nil }
        let limit = target.count <= 4 ? 1 : target.count <= 8 ? 2 : 3
        var best: (name: String, distance: Int)? = nil
        for candidate in Set(candidates).sorted() {
            let name = normalized(candidate)
            var distance = Self.distance(target, name)
            if target.count >= 3, name.hasPrefix(target) { distance = Swift.min(distance, 1) }
            guard distance <= limit, distance < (best?.distance ?? .max) else { continue }
            best = (candidate, distance)
        }
        return best?.name
    }

    /// The optimal-string-alignment distance between `a` and `b`: insertions, deletions,
    /// substitutions and transpositions of adjacent characters each cost 1.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { current[j] = Swift.min(current[j], previous2[j - 2] + 1) }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }

    private static func normalized(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "-")
    }
}
