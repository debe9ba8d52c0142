import Foundation

/// How the commands word counts and numbers in what they print: `1 row`, `2 rows`; `0.3`, not
/// `0.30000001192092896` (a float32 value widened to a double).
enum Wording {
    /// `count` and the noun, singular for exactly 1 (`1 row`, `0 rows`, `2 rows`); `plural` when
    /// the plural is not the noun and an `s`.
    static func count(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }

    /// `value` with at most `digits` significant digits and no trailing zeros (`0.3`, `0.001`,
    /// `1e-05`, `12.5`): a float32 value's digits, without the noise of its widening to a double.
    static func number(_ value: Double, digits: Int = 6) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        return String(format: "%.\(max(1, min(digits, 17)))g", value)
    }

    /// `value` rounded to `digits` significant digits as a double, for JSON output: the number a
    /// float32 computation gave (0.3, not 0.30000001192092896); nil (JSON's null) when not finite.
    static func rounded(_ value: Double, digits: Int = 7) -> Double? {
        guard value.isFinite else { return nil }
        return Double(String(format: "%.\(digits)g", value)) ?? value
    }
}
