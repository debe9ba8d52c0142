import SynapseCore
import SynapseNN
import Foundation

/// Formats arrays the way NumPy's `print(array)` does by default (`precision=8`,
/// `floatmode='maxprec'`), so the tutorial's `print(f'Predictions: \n{predictions}')` can be
/// reproduced character for character.
///
/// Covered: float arrays of any rank in positional or scientific notation, NumPy's padding rules
/// (integer parts right-aligned, fractions left-aligned and padded with spaces), nested brackets.
/// Not covered: line wrapping beyond 75 columns and summarisation (`...`) of arrays over 1 000 elements.
public enum NumPyFormat {
    /// The digits NumPy prints for `x` in positional mode: the shortest representation that
    /// round-trips, cut to `precision` fractional digits, trailing zeros trimmed (keeping the point).
    static func positional(_ x: Double, precision: Int) -> String {
        if x == 0 { return x.sign == .minus ? "-0." : "0." }
        var text = String(format: "%.\(precision)f", x)
        let shortest = "\(x)"   // Swift prints the shortest representation that round-trips
        if let dot = shortest.firstIndex(of: "."),
           shortest.distance(from: dot, to: shortest.endIndex) - 1 <= precision, !shortest.contains("e") {
            text = shortest
        }
        if !text.contains(".") { text += "." }
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    /// The digits NumPy prints for `x` in scientific mode (`1.5e-05`): mantissa as `positional`, a
    /// signed exponent of at least two digits.
    static func scientific(_ x: Double, precision: Int) -> (mantissa: String, exponent: String) {
        if x == 0 { return ("0.", "e+00") }
        let exponent = Int(Foundation.floor(Foundation.log10(Swift.abs(x))))
        var mantissa = x / Foundation.pow(10, Double(exponent))
        var e = exponent
        if Swift.abs(mantissa) >= 10 { mantissa /= 10; e += 1 }
        let m = positional(mantissa, precision: precision)
        let digits = String(Swift.abs(e))
        return (m, (e < 0 ? "e-" : "e+") + (digits.count < 2 ? "0" + digits : digits))
    }

    /// `str(array)` for a float tensor, as NumPy prints it.
    public static func array<Scalar>(_ tensor: Tensor<Scalar>, precision: Int = 8) -> String {
        let values = tensor.scalars.map { Double($0) }
        let finite = values.filter { $0.isFinite }.map { Swift.abs($0) }
        let maxValue = finite.max() ?? 0
        let minNonZero = finite.filter { $0 != 0 }.min() ?? 0
        let scientificMode = maxValue >= 1e8 || (minNonZero != 0 && (minNonZero < 1e-4 || maxValue / minNonZero > 1e3))

        var cells: [String]
        if scientificMode {
            let parts: [(mantissa: String, exponent: String)] = values.map {
                $0.isFinite ? scientific($0, precision: precision) : (mantissa: special($0), exponent: "")
            }
            let intWidth = parts.map { $0.mantissa.split(separator: ".", omittingEmptySubsequences: false)[0].count }.max() ?? 0
            let fracWidth = parts.map { fraction($0.mantissa).count }.max() ?? 0
            cells = parts.map { p in
                let intPart = String(p.mantissa.split(separator: ".", omittingEmptySubsequences: false)[0])
                let frac = fraction(p.mantissa)
                return pad(intPart, intWidth) + (p.exponent.isEmpty ? "" : "." + frac.padding(toLength: fracWidth, withPad: " ", startingAt: 0).replacingOccurrences(of: " ", with: "0") + p.exponent)
            }
        } else {
            let texts = values.map { $0.isFinite ? positional($0, precision: precision) : special($0) }
            let intWidth = texts.map { String($0.split(separator: ".", omittingEmptySubsequences: false)[0]).count }.max() ?? 0
            let fracWidth = texts.map { fraction($0).count }.max() ?? 0
            cells = texts.map { t in
                let intPart = String(t.split(separator: ".", omittingEmptySubsequences: false)[0])
                guard t.contains(".") else { return pad(intPart, intWidth) + String(repeating: " ", count: fracWidth + 1) }
                return pad(intPart, intWidth) + "." + fraction(t).padding(toLength: fracWidth, withPad: " ", startingAt: 0)
            }
        }
        if tensor.rank == 0 { return cells[0].trimmingCharacters(in: .whitespaces) }
        return nest(cells, shape: tensor.shape, dimension: 0, offset: 0)
    }

    private static func fraction(_ text: String) -> String {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : ""
    }

    private static func special(_ x: Double) -> String { x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: Swift.max(0, width - text.count)) + text
    }

    /// Brackets and separators: elements of the last axis separated by a space, sub-arrays by a
    /// newline (plus one blank line per extra level) and indented by their depth.
    private static func nest(_ cells: [String], shape: [Int], dimension: Int, offset: Int) -> String {
        if dimension == shape.count - 1 {
            return "[" + cells[offset..<(offset + shape[dimension])].joined(separator: " ") + "]"
        }
        let stride = shape[(dimension + 1)...].reduce(1, *)
        let separator = String(repeating: "\n", count: shape.count - dimension - 1) + String(repeating: " ", count: dimension + 1)
        let inner = (0..<shape[dimension]).map { nest(cells, shape: shape, dimension: dimension + 1, offset: offset + $0 * stride) }
        return "[" + inner.joined(separator: separator) + "]"
    }
}
