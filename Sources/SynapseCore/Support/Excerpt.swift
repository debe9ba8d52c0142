/// Quoting untrusted text in error messages: an error about a 100 MB field must not print 100 MB,
/// and a field must not send escape sequences to the terminal that shows the error.
public enum Excerpt {
    /// Unicode scalars of an input's field that an error message quotes.
    public static let length = 80

    /// `text` cut to ``length`` Unicode scalars with "…" when longer (scalars, not characters: one
    /// character can hold any number of combining marks), control characters shown as `\u{1B}`.
    public static func of(_ text: some StringProtocol) -> String {
        var result = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count == length { return String(result) + "…" }
            count += 1
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
