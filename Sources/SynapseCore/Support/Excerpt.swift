/// Quoting untrusted text in error messages: an error about a 100 MB field must not print 100 MB.
public enum Excerpt {
    /// Characters of an input's field that an error message quotes.
    public static let length = 80

    /// `text` cut to ``length`` characters with "…" when longer.
    public static func of(_ text: some StringProtocol) -> String {
        var count = 0
        var end = text.startIndex
        while end < text.endIndex, count < length {
            end = text.index(after: end)
            count += 1
        }
        return end == text.endIndex ? String(text) : String(text[..<end]) + "…"
    }
}
