import Foundation

/// A minimal SVG document builder: shapes and text with escaped content, serialised as a
/// standalone, valid XML file.
struct SVG {
    let width: Double, height: Double
    private var elements: [String] = []

    /// Colour-blind-safe categorical colours (Okabe–Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Text escaped for XML character data and attribute values.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func number(_ x: Double) -> String { String(format: "%.2f", x) }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil, opacity: Double = 1, title: String? = nil) {
        let strokeText = stroke.map { " stroke=\"\($0)\"" } ?? ""
        let opacityText = opacity < 1 ? " fill-opacity=\"\(Self.number(opacity))\"" : ""
        let body = title.map { "><title>\(Self.escape($0))</title></rect>" } ?? "/>"
        elements.append("<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"\(fill)\"\(strokeText)\(opacityText)\(body)")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333", width: Double = 1, dash: String? = nil, opacity: Double = 1) {
        let dashText = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        let opacityText = opacity < 1 ? " stroke-opacity=\"\(Self.number(opacity))\"" : ""
        elements.append("<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"\(dashText)\(opacityText)/>")
    }

    mutating func circle(_ cx: Double, _ cy: Double, radius: Double, fill: String, stroke: String = "#222", strokeWidth: Double = 0.8, title: String? = nil) {
        let body = title.map { "><title>\(Self.escape($0))</title></circle>" } ?? "/>"
        elements.append("<circle cx=\"\(Self.number(cx))\" cy=\"\(Self.number(cy))\" r=\"\(Self.number(radius))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(strokeWidth))\"\(body)")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2, dash: String? = nil, id: String? = nil) {
        guard !points.isEmpty else { return }
        let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        let dashText = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        let idText = id.map { " id=\"\(Self.escape($0))\"" } ?? ""
        elements.append("<polyline\(idText) points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"\(dashText) stroke-linejoin=\"round\"/>")
    }

    mutating func text(_ content: String, x: Double, y: Double, size: Double = 12, anchor: String = "start", weight: String = "normal",
                       color: String = "#222", rotate: Double? = nil) {
        let transform = rotate.map { " transform=\"rotate(\(Self.number($0)) \(Self.number(x)) \(Self.number(y)))\"" } ?? ""
        elements.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" fill=\"\(color)\"\(transform)>\(Self.escape(content))</text>")
    }

    /// A rectangle with rounded corners, an optional dashed outline and a tooltip.
    mutating func roundedRect(x: Double, y: Double, width: Double, height: Double, radius: Double, fill: String, stroke: String,
                              strokeWidth: Double = 1, dash: String? = nil, title: String? = nil) {
        let dashText = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        let body = title.map { "><title>\(Self.escape($0))</title></rect>" } ?? "/>"
        elements.append("<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" rx=\"\(Self.number(radius))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(strokeWidth))\"\(dashText)\(body)")
    }

    /// A filled polygon (an arrowhead).
    mutating func polygon(_ points: [(Double, Double)], fill: String) {
        let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        elements.append("<polygon points=\"\(list)\" fill=\"\(fill)\"/>")
    }

    /// Starts a named group (for tests and for readers of the file); close with `endGroup`.
    mutating func beginGroup(_ id: String) { elements.append("<g id=\"\(Self.escape(id))\">") }
    mutating func endGroup() { elements.append("</g>") }

    /// The complete document.
    var document: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#ffffff"/>
        \(elements.joined(separator: "\n"))
        </svg>

        """
    }
}

/// A plotting area with data ranges mapped to pixels, and the axes drawn around it.
struct PlotFrame {
    let left: Double, top: Double, width: Double, height: Double
    let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

    func x(_ value: Double) -> Double { left + (value - xRange.lowerBound) / max(xRange.upperBound - xRange.lowerBound, 1e-12) * width }
    func y(_ value: Double) -> Double { top + height - (value - yRange.lowerBound) / max(yRange.upperBound - yRange.lowerBound, 1e-12) * height }

    /// Roughly `count` round tick values covering `range`.
    static func ticks(_ range: ClosedRange<Double>, count: Int = 5) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        // Counted, not accumulated: a step below the values' precision must not loop forever.
        let first = ceil(range.lowerBound / step) * step
        let ticks = (0...(2 * count + 2)).map { first + Double($0) * step }.filter { $0 <= range.upperBound + step * 1e-9 }
        return ticks.isEmpty || Set(ticks).count < ticks.count ? [range.lowerBound] : ticks
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format: abs(value) < 0.01 ? "%.1e" : "%.3g", value)
    }

    /// Axes with ticks, grid lines and axis titles.
    func drawAxes(_ svg: inout SVG, xLabel: String, yLabel: String, integerX: Bool = false) {
        svg.beginGroup("axes")
        for t in Self.ticks(yRange) {
            svg.line(left, y(t), left + width, y(t), stroke: "#dddddd")
            svg.text(Self.label(t), x: left - 6, y: y(t) + 4, size: 11, anchor: "end")
        }
        for t in Self.ticks(xRange) where !integerX || t == t.rounded() {
            svg.line(x(t), top + height, x(t), top + height + 5, stroke: "#333")
            svg.text(Self.label(t), x: x(t), y: top + height + 18, size: 11, anchor: "middle")
        }
        svg.line(left, top + height, left + width, top + height, stroke: "#333", width: 1.2)
        svg.line(left, top, left, top + height, stroke: "#333", width: 1.2)
        svg.text(xLabel, x: left + width / 2, y: top + height + 36, size: 12, anchor: "middle")
        svg.text(yLabel, x: left - 44, y: top + height / 2, size: 12, anchor: "middle", rotate: -90)
        svg.endGroup()
    }

    /// A legend box of coloured entries at the top right of the frame.
    func drawLegend(_ svg: inout SVG, _ entries: [(label: String, color: String, dashed: Bool)]) {
        let boxWidth = 24 + Double(entries.map(\.label.count).max() ?? 0) * 7 + 12
        let x0 = left + width - boxWidth - 8, y0 = top + 8
        svg.beginGroup("legend")
        svg.rect(x: x0, y: y0, width: boxWidth, height: Double(entries.count) * 18 + 8, fill: "#ffffff", stroke: "#999999", opacity: 0.9)
        for (i, entry) in entries.enumerated() {
            let y = y0 + 14 + Double(i) * 18
            svg.line(x0 + 6, y - 4, x0 + 22, y - 4, stroke: entry.color, width: 3, dash: entry.dashed ? "5,3" : nil)
            svg.text(entry.label, x: x0 + 28, y: y, size: 11)
        }
        svg.endGroup()
    }
}
