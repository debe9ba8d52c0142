import Foundation
import Synapse

/// The plots the command line draws, as SVG documents.
enum Charts {
    /// The longest name a plot writes in full (longer ones end in "…"): room for any real column
    /// or class name, while a crafted 1 000-byte name cannot make a canvas thousands of pixels wide.
    static let longestName = 64

    /// `name` as plots write it: at most ``longestName`` characters.
    static func shown(_ name: String) -> String { name.count > longestName ? String(name.prefix(longestName - 1)) + "…" : name }

    /// A title that fits in `width` pixels at 16 px bold.
    static func titled(_ title: String, width: Double = 900) -> String { TextMetrics.fitting(title, width: width, size: 16, bold: true) }

    /// Tick epochs for epochs 1...`count` on an axis `pixels` wide: round steps, always the first
    /// and the last epoch, and no tick so close to those two that their labels would collide.
    static func epochTicks(_ count: Int, pixels: Double) -> [Int] {
        guard count > 1 else { return [1] }
        let room = 44.0   // a label like "1000" and a gap
        let step = max(1, Int(PlotFrame.ticks(1...Double(count), count: max(1, min(count - 1, Int(pixels / 70)))).adjacentStep.rounded(.up)))
        var ticks = [1]
        let scale = pixels / Double(count - 1)
        for t in stride(from: step, to: count, by: step) where t > 1 && Double(t - 1) * scale >= room && Double(count - t) * scale >= room {
            ticks.append(t)
        }
        ticks.append(count)
        return ticks
    }

    /// A series of per-epoch values in a training-curves panel.
    struct Series {
        var name: String, values: [Double], color: String, dashed: Bool
    }

    /// Loss (training and validation) and the main metric per epoch, in two panels, each with its
    /// legend beside it (never on the curves). The epoch axis labels the first and the last epoch;
    /// losses spanning more than two decades get a log scale; the best epoch (early stopping's, else
    /// the lowest validation loss) is marked in both panels; with few epochs every point is a dot.
    static func trainingCurves(_ history: History, title: String) -> String {
        let count = history.epochs.count
        let epochs = history.epochs.map { Double($0.epoch + 1) }
        var lossSeries = [Series(name: "loss", values: history.epochs.map(\.loss), color: SVG.palette[0], dashed: false)]
        let validation = history.epochs.compactMap(\.validationLoss)
        if validation.count == count && count > 0 { lossSeries.append(Series(name: "val_loss", values: validation, color: SVG.palette[1], dashed: true)) }
        let metric = ["accuracy", "r2", "mae"].first { name in count > 0 && history.epochs.allSatisfy { $0.metrics[name] != nil } }
        let metricSeries = metric.map { metric in
            [Series(name: validation.count == count ? "val_\(metric)" : metric, values: history.epochs.map { $0.metrics[metric] ?? .nan },
                    color: SVG.palette[2], dashed: false)]
        } ?? []
        // The epoch marked: early stopping's best, else the lowest validation (else training) loss.
        let watched = lossSeries.last!.values
        let lowest = watched.indices.filter { watched[$0].isFinite }.min { watched[$0] < watched[$1] }
        let marked: (index: Int, label: String)? = history.bestEpoch.flatMap { best in
            history.epochs.indices.contains(best) ? (best, "best: epoch \(best + 1)") : nil
        } ?? lowest.map { ($0, "lowest \(lossSeries.last!.name): epoch \($0 + 1)") }
        let stopped = history.stopReason != nil && count > 0 ? "stopped early: epoch \(count)" : nil

        // Layout: both panels share the left margin (their widest tick label) and the legend column.
        let plotWidth = 640.0, plotHeight = 190.0
        let logLoss = LogScale(lossSeries.flatMap(\.values))
        let lossTicks = logLoss?.ticks ?? PlotFrame.linearTicks(linearRange(lossSeries.flatMap(\.values), fromZero: true))
        let metricTicks = metricSeries.isEmpty ? [] : PlotFrame.linearTicks(linearRange(metricSeries[0].values, fromZero: false))
        let labelWidth = max(PlotFrame.labelWidth(lossTicks), PlotFrame.labelWidth(metricTicks))
        let left = PlotFrame.leftMargin(labelWidth: labelWidth)
        var legends = [lossSeries.map(\.name), metricSeries.map(\.name)]
        for i in legends.indices where !legends[i].isEmpty { legends[i] += [marked?.label, stopped].compactMap { $0 } }
        let legendWidth = legends.map { PlotFrame.legendWidth($0) }.max() ?? 0
        let titleText = titled(title)
        let width = max(left + plotWidth + 24 + legendWidth + 16, TextMetrics.width(titleText, size: 16, bold: true) + 32).rounded(.up)
        let panels = metricSeries.isEmpty ? 1 : 2
        var svg = SVG(width: width, height: (50 + Double(panels) * (plotHeight + 80)).rounded(.up))
        svg.text(titleText, x: width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        let xRange = count > 1 ? 1.0...Double(count) : 0.5...1.5
        let xTicks = epochTicks(count, pixels: plotWidth).map { (Double($0), String($0)) }

        func panel(top: Double, yLabel: String, series: [Series], yTicks: [(value: Double, label: String)], log: LogScale?) {
            let values = series.flatMap(\.values)
            let yRange = log?.range ?? linearRange(values, fromZero: series.first?.name.hasSuffix("loss") ?? false)
            let frame = PlotFrame(left: left, top: top, width: plotWidth, height: plotHeight, xRange: xRange, yRange: yRange)
            frame.drawAxes(&svg, xLabel: "epoch", yLabel: yLabel + (log == nil ? "" : " (log scale)"), xTicks: xTicks, yTicks: yTicks,
                           yTitleOffset: PlotFrame.yTitleOffset(labelWidth: labelWidth))
            func point(_ epoch: Double, _ value: Double) -> (Double, Double)? {
                let v = log.map { $0.position(value) } ?? value
                return v.isFinite ? (frame.x(epoch), min(max(frame.y(v), frame.top), frame.bottom)) : nil
            }
            // The marker's line behind the curves, its ring on top of them.
            if let marked {
                svg.beginGroup("best-epoch")
                let x = frame.x(Double(marked.index + 1))
                svg.line(x, frame.top, x, frame.bottom, stroke: "#555555", width: 1.5, dash: "3,2")
                svg.endGroup()
            }
            for s in series {
                let points = zip(epochs, s.values).compactMap { point($0, $1) }
                svg.polyline(points, stroke: s.color, dash: s.dashed ? "6,4" : nil, id: "series-\(s.name)")
                if count <= 30 {
                    svg.beginGroup("points-\(s.name)")
                    for p in points { svg.circle(p.0, p.1, radius: 3, fill: s.color, stroke: s.color, strokeWidth: 0) }
                    svg.endGroup()
                }
            }
            if let marked, let p = series.last.flatMap({ s in point(Double(marked.index + 1), s.values[marked.index]) }) {
                svg.beginGroup("best-epoch-ring")
                svg.circle(p.0, p.1, radius: 5, fill: "none", stroke: "#222222", strokeWidth: 1.5)
                svg.endGroup()
            }
            var entries = series.map { LegendEntry(label: $0.name, color: $0.color, symbol: .line(dashed: $0.dashed)) }
            if let marked { entries.append(LegendEntry(label: marked.label, color: "#555555", symbol: .marker)) }
            if let stopped { entries.append(LegendEntry(label: stopped, color: "#555555", symbol: .none)) }
            frame.drawLegend(&svg, entries, x: frame.right + 24, y: frame.top)
        }
        panel(top: 50, yLabel: "loss", series: lossSeries, yTicks: lossTicks, log: logLoss)
        if let metric, !metricSeries.isEmpty {
            panel(top: 50 + plotHeight + 80, yLabel: metric, series: metricSeries, yTicks: metricTicks, log: nil)
        }
        return svg.document
    }

    /// A padded linear range around the finite `values`; from 0 up for non-negative values when
    /// `fromZero` (losses), so a nearly flat loss does not look like a cliff.
    static func linearRange(_ values: [Double], fromZero: Bool) -> ClosedRange<Double> {
        let finite = values.filter { $0.isFinite && abs($0) < 1e30 }
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        // A flat series (one epoch) gets room of 5 % of its value around it.
        let pad = high - low > 1e-9 * max(1, abs(high)) ? (high - low) * 0.08 : max(0.05 * abs(high), 0.05)
        let bottom = fromZero && low >= 0 ? max(0, low - pad) : low - pad
        return bottom...max(bottom + 1e-9, high + pad)
    }

    /// A network with convolutions drawn as a column of blocks, one per layer, each with the shape
    /// of one example after it (when the input shape can be told from the first layer).
    static func layerStack(_ spec: LayerSpec, title: String) -> String {
        var layers: [LayerSpec] = []
        func flatten(_ spec: LayerSpec) { if case .sequential(let inner) = spec { inner.forEach(flatten) } else { layers.append(spec) } }
        flatten(spec)
        var shape: [Int]? = nil
        switch layers.first {
        case .reshape(let target)?: shape = [target.reduce(1, *)]
        case .dense(let inputs, _, _, _)?: shape = [inputs]
        default: break
        }
        func text(_ shape: [Int]?) -> String { shape.map { LayerSpec.format($0) } ?? "" }
        // The rows' text first, so the boxes (and the canvas) are as wide as the widest row needs.
        var rows = [("input", text(shape), SVG.palette[4])]
        for layer in layers {
            shape = shape.flatMap { try? layer.outputShape(for: $0) }
            let color: String
            switch layer {
            case .conv2d, .dense: color = SVG.palette[2]
            case .pool2d, .globalAveragePool: color = SVG.palette[0]
            case .batchNorm, .dropout: color = SVG.palette[3]
            default: color = "#dddddd"
            }
            rows.append((layer.title, text(shape), color))
        }
        let rowHeight = 46.0
        let boxWidth = max(400, (rows.map { TextMetrics.width($0.0, size: 13, bold: true) + TextMetrics.width($0.1, size: 12) }.max() ?? 0) + 56)
        let titleText = titled(title)
        let width = max(boxWidth + 160, TextMetrics.width(titleText, size: 16, bold: true) + 32).rounded(.up)
        var svg = SVG(width: width, height: 90 + rowHeight * Double(rows.count))
        svg.text(titleText, x: svg.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        let x0 = (width - boxWidth) / 2
        for (index, row) in rows.enumerated() {
            let y = 50 + rowHeight * Double(index)
            svg.rect(x: x0, y: y, width: boxWidth, height: rowHeight - 12, fill: row.2, stroke: "#333333", opacity: 0.85, title: row.0)
            svg.text(row.0, x: x0 + 16, y: y + 21, size: 13, weight: "bold")
            svg.text(row.1, x: x0 + boxWidth - 16, y: y + 21, size: 12, anchor: "end", color: "#222222")
            if index > 0 { svg.line(width / 2, y - 12, width / 2, y, stroke: "#333333", width: 1.5) }
        }
        return svg.document
    }

    /// The network as layers of units joined by their connections, like the tutorial's figure;
    /// layers wider than 10 units show their first and last units around an ellipsis. A network that
    /// branches (residual blocks, graphs) is drawn as a ``GraphDiagram`` for examples of shape `inputShape`
    /// (features, or a language model's window), one without dense layers as a column of layers.
    static func network(_ spec: LayerSpec, featureNames: [String]?, classNames: [String]?, inputShape: [Int]? = nil, title: String) -> String {
        let outline = ArchitectureOutline(spec, inputShape: inputShape)
        if outline.hasBranches {
            // Too large to draw as a diagram (a crafted graph): a column of its top-level layers.
            return GraphDiagram.draw(outline, title: title) ?? layerStack(spec, title: title + " (too many branches to draw in full)")
        }
        if !spec.isMultilayerPerceptron { return layerStack(spec, title: title) }
        var sizes: [Int] = [], activations: [String] = []
        func walk(_ spec: LayerSpec) {
            switch spec {
            case .dense(let inputs, let outputs, _, let activation):
                if sizes.isEmpty { sizes.append(inputs); activations.append("input") }
                sizes.append(outputs); activations.append(activation == .identity ? "linear" : activation.description)
            case .activation(let function): if !activations.isEmpty { activations[activations.count - 1] = function.description }
            case .sequential(let layers): layers.forEach(walk)
            default: break   // layers without units of their own (an MLP plot draws only dense layers)
            }
        }
        walk(spec)
        if sizes.isEmpty { return layerStack(spec, title: title) }   // no dense layer: nothing to draw as units
        let columns = sizes.count
        let maxShown = 10
        let shownUnits: [[Int?]] = sizes.map { size in size <= maxShown ? Array(0..<size) : Array(0..<6) + [nil] + Array((size - 3)..<size) }
        func name(_ column: Int, _ unit: Int) -> String? {
            (column == 0 ? featureNames?[safe: unit] : column == columns - 1 ? classNames?[safe: unit] : nil).map(shown)
        }
        // Margins that hold the names beside the input and output units and the captions under the columns.
        func namesWidth(_ column: Int) -> Double {
            shownUnits[column].compactMap { $0.flatMap { name(column, $0) } }.map { TextMetrics.width($0, size: 10) }.max() ?? 0
        }
        func captionWidth(_ column: Int) -> Double {
            max(TextMetrics.width("\(column == 0 ? "input" : column == columns - 1 ? "output" : "hidden") (\(sizes[column]))", size: 12, bold: true),
                TextMetrics.width(activations[column], size: 11))
        }
        let leftMargin = max(namesWidth(0) + 18 + 16, captionWidth(0) / 2 + 16, 90)
        let rightMargin = max(columns > 1 ? namesWidth(columns - 1) + 18 + 16 : 0, captionWidth(columns - 1) / 2 + 16, 90)
        let columnGap = max(170, (0..<columns).map { captionWidth($0) + 24 }.max() ?? 0)
        let titleText = titled(title)
        let width = max(leftMargin + columnGap * Double(columns - 1) + rightMargin, 520, TextMetrics.width(titleText, size: 16, bold: true) + 32).rounded(.up)
        var svg = SVG(width: width, height: 560)
        svg.text(titleText, x: svg.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        let span = width - leftMargin - rightMargin
        var positions: [[(Double, Double, Int?)]] = []   // x, y, unit index (nil for the ellipsis)
        for c in 0..<columns {
            let x = leftMargin + (columns > 1 ? Double(c) * span / Double(columns - 1) : span / 2)
            let units = shownUnits[c]
            let spacing = min(42, 400 / Double(max(units.count, 1)))
            let top = 290 - spacing * Double(units.count - 1) / 2
            positions.append(units.enumerated().map { (x, top + Double($0.offset) * spacing, $0.element) })
        }
        svg.beginGroup("connections")
        for c in 0..<(columns - 1) {
            for a in positions[c] where a.2 != nil {
                for b in positions[c + 1] where b.2 != nil { svg.line(a.0, a.1, b.0, b.1, stroke: "#8a8a8a", width: 0.6, opacity: 0.6) }
            }
        }
        svg.endGroup()
        for (c, column) in positions.enumerated() {
            let kind = c == 0 ? "input" : c == columns - 1 ? "output" : "hidden"
            let color = c == 0 ? SVG.palette[4] : c == columns - 1 ? SVG.palette[1] : SVG.palette[2]
            svg.beginGroup("layer-\(c)")
            for (x, y, unit) in column {
                guard let unit else { svg.text("⋮", x: x, y: y + 6, size: 20, anchor: "middle"); continue }
                svg.circle(x, y, radius: 12, fill: color)
                if let name = name(c, unit) {
                    svg.text(name, x: c == 0 ? x - 18 : x + 18, y: y + 4, size: 10, anchor: c == 0 ? "end" : "start")
                }
            }
            let bottom = (column.last?.1 ?? 290) + 40
            svg.text("\(kind) (\(sizes[c]))", x: column[0].0, y: bottom, size: 12, anchor: "middle", weight: "bold")
            svg.text(activations[c], x: column[0].0, y: bottom + 16, size: 11, anchor: "middle", color: "#555555")
            svg.endGroup()
        }
        return svg.document
    }

    /// The decision regions of a 2-feature classifier, predicted on a grid of 2-pixel cells (runs of
    /// one class in a row drawn as one rectangle, so edges look smooth and the file stays small; not
    /// anti-aliased, so rows show no stripes when the picture is scaled),
    /// with the data points on top and the legend beside the plot.
    static func boundary(model: Model<Float>, data: Dataset<Float>, featureNames: [String], title: String) -> String {
        let x = data.features.scalars
        let xs = stride(from: 0, to: x.count, by: 2).map { Double(x[$0]) }, ys = stride(from: 1, to: x.count, by: 2).map { Double(x[$0]) }
        func padded(_ v: [Double]) -> ClosedRange<Double> {
            let low = v.min() ?? 0, high = v.max() ?? 1, pad = max((high - low) * 0.1, 0.5)
            return (low - pad)...(high + pad)
        }
        let xRange = padded(xs), yRange = padded(ys)
        let xTicks = PlotFrame.linearTicks(xRange), yTicks = PlotFrame.linearTicks(yRange)
        let labelWidth = PlotFrame.labelWidth(yTicks)
        let frame = PlotFrame(left: PlotFrame.leftMargin(labelWidth: labelWidth), top: 50, width: 520, height: 460, xRange: xRange, yRange: yRange)
        let classes = (model.classNames ?? (0..<(data.labels.max() ?? 0) + 1).map(String.init)).map(shown)
        let note = "shaded: predicted class"
        let legendX = frame.right + 24
        let legendWidth = max(TextMetrics.width(note, size: 10), (classes.map { TextMetrics.width($0, size: 11) }.max() ?? 0) + 19)
        let titleText = titled(title)
        let width = max(legendX + legendWidth + 16, TextMetrics.width(titleText, size: 16, bold: true) + 32).rounded(.up)
        let legendBottom = 100 + Double(classes.count) * 20
        var svg = SVG(width: width, height: max(frame.bottom + 60, legendBottom + 16).rounded(.up))
        svg.text(titleText, x: width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        let nx = Int(frame.width / 2), ny = Int(frame.height / 2)
        var grid: [Float] = []
        grid.reserveCapacity(2 * nx * ny)
        for j in 0..<ny {
            for i in 0..<nx {
                let u = xRange.lowerBound + (Double(i) + 0.5) / Double(nx) * (xRange.upperBound - xRange.lowerBound)
                let v = yRange.upperBound - (Double(j) + 0.5) / Double(ny) * (yRange.upperBound - yRange.lowerBound)
                grid += [Float(u), Float(v)]
            }
        }
        let predicted = model.predictClasses(Tensor(shape: [nx * ny, 2], scalars: grid))
        svg.beginGroup("regions", crispEdges: true)
        let cellW = frame.width / Double(nx), cellH = frame.height / Double(ny)
        for j in 0..<ny {
            var i = 0
            while i < nx {
                let label = predicted[j * nx + i]
                var end = i + 1
                while end < nx && predicted[j * nx + end] == label { end += 1 }
                // Overlapping by a fraction of a pixel (within the frame) and drawn with crisp edges (the
                // group), so no seams show between cells, even on a page that scales the picture.
                svg.rect(x: frame.left + Double(i) * cellW, y: frame.top + Double(j) * cellH,
                         width: Double(end - i) * cellW + (end < nx ? 0.3 : 0), height: cellH + (j + 1 < ny ? 0.3 : 0),
                         fill: tint(SVG.classColor(label), 0.28))
                i = end
            }
        }
        svg.endGroup()
        frame.drawAxes(&svg, xLabel: featureNames[safe: 0] ?? "feature 1", yLabel: featureNames[safe: 1] ?? "feature 2",
                       xTicks: xTicks, yTicks: yTicks, yTitleOffset: PlotFrame.yTitleOffset(labelWidth: labelWidth))
        svg.beginGroup("points")
        for (k, label) in data.labels.enumerated() {
            svg.circle(frame.x(xs[k]), frame.y(ys[k]), radius: 4.5, fill: SVG.classColor(label), stroke: "#111111", strokeWidth: 1)
        }
        svg.endGroup()
        svg.beginGroup("legend")
        svg.text("class", x: legendX, y: 66, size: 12, weight: "bold")
        for (k, name) in classes.enumerated() {
            svg.circle(legendX + 7, 84 + Double(k) * 20, radius: 5, fill: SVG.classColor(k))
            svg.text(name, x: legendX + 19, y: 88 + Double(k) * 20, size: 11)
        }
        svg.text(note, x: legendX, y: legendBottom, size: 10, color: "#555555")
        svg.endGroup()
        return svg.document
    }

    /// A confusion-matrix heatmap: rows are true classes, columns predicted, cells annotated. The
    /// canvas is sized to its labels: column labels stand upright when they are wider than a cell,
    /// cells are never narrower than a label's line, names longer than ``longestName`` end in "…".
    static func confusion(_ matrix: [[Int]], classNames: [String], title: String) -> String {
        let k = matrix.count
        let labelSize = 11.0
        let cell = max(22, min(56, 480 / Double(max(k, 1))))
        let names = (0..<k).map { shown(classNames[safe: $0] ?? "\($0)") }
        let widest = names.map { TextMetrics.width($0, size: labelSize) }.max() ?? 0
        let upright = widest > cell - 6
        let columnLabels = upright ? widest + 8 : 18
        let left = max(widest + 8 + 30, 60), top = 46 + 20 + columnLabels
        let scaleHeight = min(200, max(100, cell * Double(k)))
        let peak = Double(max(matrix.flatMap { $0 }.max() ?? 1, 1))
        let lx = left + cell * Double(k) + 30
        let titleText = titled(title)
        let width = max(lx + 24 + max(TextMetrics.width(String(Int(peak)), size: 11), TextMetrics.width("count", size: 11) - 24) + 16,
                        TextMetrics.width(titleText, size: 16, bold: true) + 32).rounded(.up)
        var svg = SVG(width: width, height: (top + max(cell * Double(k), scaleHeight) + 24).rounded(.up))
        svg.text(titleText, x: svg.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        func color(_ value: Double) -> String {
            // White to dark blue.
            let t = value / peak
            let r = Int(255 - t * (255 - 8)), g = Int(255 - t * (255 - 48)), b = Int(255 - t * (255 - 107))
            return String(format: "#%02x%02x%02x", r, g, b)
        }
        let digits = Double(String(Int(peak)).count)
        let countSize = min(13, cell / 3, (cell - 4) / (0.64 * digits))
        svg.beginGroup("cells")
        for (i, row) in matrix.enumerated() {
            for (j, count) in row.enumerated() {
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                svg.rect(x: x, y: y, width: cell, height: cell, fill: color(Double(count)), stroke: "#ffffff",
                         title: "true \(classNames[safe: i] ?? "\(i)"), predicted \(classNames[safe: j] ?? "\(j)"): \(count)")
                svg.text(String(count), x: x + cell / 2, y: y + cell / 2 + countSize * 0.35, size: countSize, anchor: "middle",
                         color: Double(count) / peak > 0.5 ? "#ffffff" : "#222222")
            }
        }
        svg.endGroup()
        svg.beginGroup("labels")
        for (i, name) in names.enumerated() {
            svg.text(name, x: left - 8, y: top + (Double(i) + 0.5) * cell + labelSize * 0.35, size: labelSize, anchor: "end")
            let x = left + (Double(i) + 0.5) * cell
            if upright {
                svg.text(name, x: x + labelSize * 0.35, y: top - 6, size: labelSize, rotate: -90)
            } else {
                svg.text(name, x: x, y: top - 8, size: labelSize, anchor: "middle")
            }
        }
        svg.endGroup()
        svg.text("predicted class", x: left + cell * Double(k) / 2, y: top - columnLabels - 8, size: 12, anchor: "middle", weight: "bold")
        svg.text("true class", x: left - widest - 8 - 14, y: top + cell * Double(k) / 2, size: 12, anchor: "middle", weight: "bold", rotate: -90)
        // Colour scale legend.
        svg.beginGroup("legend")
        let step = scaleHeight / 10
        for s in 0..<10 {
            svg.rect(x: lx, y: top + Double(9 - s) * step, width: 18, height: step, fill: color(peak * Double(s) / 9))
        }
        // Outlined, so the scale's white zero end shows against the white page.
        svg.rect(x: lx, y: top, width: 18, height: scaleHeight, fill: "none", stroke: "#999999")
        svg.text(String(Int(peak)), x: lx + 24, y: top + 12, size: 11)
        svg.text("0", x: lx + 24, y: top + scaleHeight, size: 11)
        svg.text("count", x: lx, y: top - 8, size: 11)
        svg.endGroup()
        return svg.document
    }
}

/// A log10 axis for positive values spanning more than two decades (losses falling from 2 to 0.001):
/// values are placed at their log10, ticks at the powers of ten (and 2 and 5 between them when
/// there are few decades).
struct LogScale {
    /// The axis range, in log10 units.
    let range: ClosedRange<Double>

    /// A log scale for `values`, or nil when a linear one serves: some value is not positive, or
    /// they span two decades or less.
    init?(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max(), low > 0, high / low > 100 else { return nil }
        let (a, b) = (log10(low), log10(high)), pad = (b - a) * 0.04
        range = (a - pad)...(b + pad)
    }

    /// Where `value` goes on the axis (log10; -∞ for 0 is left to the caller's clamping).
    func position(_ value: Double) -> Double { value > 0 ? log10(value) : -.infinity }

    /// Powers of ten in the range, with 2× and 5× when they are fewer than four; labels as `0.001`,
    /// or all as `1e-5` when one of them needs an exponent (not `0.0001` beside `1e-05`, nor `100000`
    /// beside `1e+06`, on one axis).
    var ticks: [(value: Double, label: String)] {
        let first = Int(floor(range.lowerBound)), last = Int(ceil(range.upperBound))
        let decades = Array(stride(from: first, through: last, by: max(1, (last - first + 9) / 10)))
        let multiples: [Double] = decades.count <= 4 ? [1, 2, 5] : [1]
        let values = decades.flatMap { d in multiples.map { m in (m, d) } }.filter { range.contains(log10($0.0) + Double($0.1)) }
        let plain = values.map { String(format: "%g", $0.0 * pow(10, Double($0.1))) }
        let exponents = plain.contains { $0.contains("e") }
        return zip(values, plain).map { tick, label in
            (log10(tick.0) + Double(tick.1), exponents ? "\(Int(tick.0))e\(tick.1)" : label)
        }
    }
}

/// `color` (#rrggbb) mixed with white, `amount` of the colour: an opaque tint, so overlapping cells show no seams.
func tint(_ color: String, _ amount: Double) -> String {
    let hex = Int(color.dropFirst(), radix: 16) ?? 0
    let channels = [(hex >> 16) & 0xff, (hex >> 8) & 0xff, hex & 0xff].map { Int(255 - amount * Double(255 - $0)) }
    return String(format: "#%02x%02x%02x", channels[0], channels[1], channels[2])
}

extension Array where Element == Double {
    /// The difference between the first two elements (a tick list's step), or 1.
    var adjacentStep: Double { count > 1 ? self[1] - self[0] : 1 }
}

extension Array {
    /// The element at `index`, or nil when out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
