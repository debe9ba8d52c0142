import Foundation

/// A minimal SVG document builder: shapes and text with escaped content, serialised as a
/// standalone, valid XML file.
struct SVG {
    let width: Double, height: Double
    private var elements: [String] = []

    /// Colour-blind-safe categorical colours (Okabe–Ito).
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

    /// Colours for classes: the ``palette`` and then four darker ones (Paul Tol's wine, olive and
    /// indigo, Tableau's brown), so up to 12 classes — a decision boundary's points and regions —
    /// each have a colour of their own; beyond 12 the colours repeat.
    static let classPalette = palette + ["#882255", "#999933", "#8C564B", "#332288"]

    /// The colour of class `index`.
    static func classColor(_ index: Int) -> String { classPalette[index % classPalette.count] }

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

    /// Starts a named group (for tests and for readers of the file); close with `endGroup`. With
    /// `crispEdges`, its shapes are drawn without anti-aliasing: abutting cells of one colour then
    /// show no faint seams between them at any zoom (anti-aliased edges let the page through).
    mutating func beginGroup(_ id: String, crispEdges: Bool = false) {
        elements.append("<g id=\"\(Self.escape(id))\"\(crispEdges ? " shape-rendering=\"crispEdges\"" : "")>")
    }
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

/// A plotting area with data ranges mapped to pixels, and the axes drawn around it. Data are
/// given in the axis's own units (a log-scale axis takes log10 of the values: ``LogScale``).
struct PlotFrame {
    let left: Double, top: Double, width: Double, height: Double
    let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

    func x(_ value: Double) -> Double { left + (value - xRange.lowerBound) / max(xRange.upperBound - xRange.lowerBound, 1e-12) * width }
    func y(_ value: Double) -> Double { top + height - (value - yRange.lowerBound) / max(yRange.upperBound - yRange.lowerBound, 1e-12) * height }
    var right: Double { left + width }
    var bottom: Double { top + height }

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

    /// Round ticks with their labels, for a linear axis over `range`: as many decimals as the step
    /// needs, so neighbouring labels always differ.
    static func linearTicks(_ range: ClosedRange<Double>, count: Int = 5) -> [(value: Double, label: String)] {
        let values = ticks(range, count: count)
        let step = values.count > 1 ? values[1] - values[0] : 0
        guard step >= 1e-4, (values.map(abs).max() ?? 0) < 1e6 else { return values.map { ($0, label($0)) } }
        // The fewest decimals that write every tick exactly (to a millionth of the step).
        let decimals = (0...10).first { d in values.allSatisfy { abs((Double(String(format: "%.\(d)f", $0)) ?? .nan) - $0) < step * 1e-6 } } ?? 10
        return values.map { ($0, String(format: "%.\(decimals)f", abs($0) < step * 1e-6 ? 0 : $0)) }
    }

    /// The widest tick label, in pixels, at the axes' 11 px.
    static func labelWidth(_ ticks: [(value: Double, label: String)]) -> Double {
        ticks.map { TextMetrics.width($0.label, size: 11) }.max() ?? 0
    }

    /// Axes with ticks, grid lines and axis titles; the y axis title sits `yTitleOffset` left of
    /// the axis (room for the widest tick label). Titles longer than the axis are shortened with "…".
    func drawAxes(_ svg: inout SVG, xLabel: String, yLabel: String, xTicks: [(value: Double, label: String)],
                  yTicks: [(value: Double, label: String)], yTitleOffset: Double) {
        svg.beginGroup("axes")
        for t in yTicks {
            svg.line(left, y(t.value), right, y(t.value), stroke: "#dddddd")
            svg.text(t.label, x: left - 6, y: y(t.value) + 4, size: 11, anchor: "end")
        }
        for t in xTicks {
            svg.line(x(t.value), bottom, x(t.value), bottom + 5, stroke: "#333")
            svg.text(t.label, x: x(t.value), y: bottom + 18, size: 11, anchor: "middle")
        }
        svg.line(left, bottom, right, bottom, stroke: "#333", width: 1.2)
        svg.line(left, top, left, bottom, stroke: "#333", width: 1.2)
        svg.text(TextMetrics.fitting(xLabel, width: width, size: 12), x: left + width / 2, y: bottom + 36, size: 12, anchor: "middle")
        svg.text(TextMetrics.fitting(yLabel, width: height, size: 12), x: left - yTitleOffset, y: top + height / 2, size: 12, anchor: "middle", rotate: -90)
        svg.endGroup()
    }

    /// The room left of the axis that tick labels of `labelWidth` and the rotated y title need.
    static func leftMargin(labelWidth: Double) -> Double { labelWidth + 6 + 10 + 14 + 8 }
    /// How far left of the axis the y title's baseline goes, for tick labels of `labelWidth`.
    static func yTitleOffset(labelWidth: Double) -> Double { labelWidth + 6 + 10 }

    /// The width of a legend box with these labels (drawn by ``drawLegend(_:_:x:y:)``).
    static func legendWidth(_ labels: [String]) -> Double {
        34 + (labels.map { TextMetrics.width($0, size: 11) }.max() ?? 0) + 10
    }

    /// A legend box of entries at (`x`, `y`), its top left corner: a line for a series (dashed or
    /// not), a dotted vertical line for an epoch marker. Callers put it beside the plot, never on it.
    func drawLegend(_ svg: inout SVG, _ entries: [LegendEntry], x x0: Double, y y0: Double) {
        guard !entries.isEmpty else { return }
        svg.beginGroup("legend")
        svg.rect(x: x0, y: y0, width: Self.legendWidth(entries.map(\.label)), height: Double(entries.count) * 18 + 8, fill: "#ffffff", stroke: "#999999")
        for (i, entry) in entries.enumerated() {
            let y = y0 + 17 + Double(i) * 18
            switch entry.symbol {
            case .line(let dashed):
                svg.line(x0 + 6, y - 4, x0 + 26, y - 4, stroke: entry.color, width: 3, dash: dashed ? "5,3" : nil)
            case .marker:
                svg.line(x0 + 16, y - 11, x0 + 16, y + 3, stroke: entry.color, width: 1.5, dash: "3,2")
                svg.circle(x0 + 16, y - 4, radius: 3.5, fill: "#ffffff", stroke: entry.color, strokeWidth: 1.5)
            case .none: break
            }
            svg.text(entry.label, x: x0 + 34, y: y, size: 11)
        }
        svg.endGroup()
    }
}

/// One line of a plot's legend.
struct LegendEntry {
    enum Symbol { case line(dashed: Bool), marker, none }
    var label: String, color: String, symbol: Symbol
}
