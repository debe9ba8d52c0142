import SynapseCore
import SynapseNN

/// Guessing how a CSV file is written: its delimiter, from its first lines.
///
/// The candidates are `,` `;` tab and `|`. Each splits up to the first 20 complete records of
/// the first 64 KiB (inflated, for a gzip file); a candidate that gives every record the same
/// number of fields, more than one, fits; of those that fit, the one giving the most fields wins
/// (ties: in the order above). When none fits, the candidate giving the first record the most
/// fields (more than one) wins, so that the loader then reports the ragged row; when none splits
/// it at all, `,` (a one-column file).
public enum CSVDialect {
    /// The delimiters ``sniffDelimiter(path:)`` chooses among, in order of preference.
    public static let candidates: [Character] = [",", ";", "\t", "|"]

    /// Bytes of the start of the file that are looked at.
    static let sniffBytes = 1 << 16
    /// Records that are looked at.
    static let sniffRecords = 20

    /// The delimiter of the CSV file at `path` (gzip-compressed or not), from its first lines.
    /// - Throws: ``DataError`` when the file cannot be read.
    public static func sniffDelimiter(path: String) throws -> Character {
        try FileBytes.withRawContents(path) { raw in
            guard FileBytes.isGzip(raw) else { return sniffDelimiter(UnsafeRawBufferPointer(rebasing: raw.prefix(sniffBytes)), complete: raw.count <= sniffBytes) }
            let (head, more) = try FileBytes.inflate(raw, path: path, atMost: sniffBytes)
            return head.withUnsafeBytes { sniffDelimiter($0, complete: !more) }
        }
    }

    /// The delimiter of CSV text (standard input, tests), from its first lines.
    public static func sniffDelimiter(text: String) -> Character {
        let bytes = Array(text.utf8.prefix(sniffBytes))
        return bytes.withUnsafeBytes { sniffDelimiter($0, complete: text.utf8.count <= sniffBytes) }
    }

    /// The delimiter of `bytes`, the start of a file (`complete`: the whole file).
    static func sniffDelimiter(_ bytes: UnsafeRawBufferPointer, complete: Bool) -> Character {
        var best: (delimiter: Character, fields: Int)? = nil
        var fallback: (delimiter: Character, fields: Int)? = nil
        for candidate in candidates {
            guard let counts = fieldCounts(bytes, delimiter: candidate.asciiValue ?? 0x2C, complete: complete), let first = counts.first else { continue }
            if first > 1, counts.allSatisfy({ $0 == first }), first > (best?.fields ?? 1) { best = (candidate, first) }
            if first > (fallback?.fields ?? 1) { fallback = (candidate, first) }
        }
        return best?.delimiter ?? fallback?.delimiter ?? ","
    }

    /// The number of fields of each complete record among the first ones; nil when they do not
    /// scan (a quote out of place under this delimiter).
    private static func fieldCounts(_ bytes: UnsafeRawBufferPointer, delimiter: UInt8, complete: Bool) -> [Int]? {
        var scanner = CSVScanner(bytes: bytes, delimiter: delimiter, path: "")
        var fields: [CSVField] = []
        var counts: [Int] = []
        while counts.count < sniffRecords {
            let line: Int?
            do { line = try scanner.next(into: &fields) } catch { return counts.isEmpty ? nil : counts }
            guard line != nil else { break }
            // The last record of a cut prefix may be cut too: only records followed by more are whole.
            if !complete && scanner.position >= bytes.count { break }
            counts.append(fields.count)
        }
        return counts
    }
}
