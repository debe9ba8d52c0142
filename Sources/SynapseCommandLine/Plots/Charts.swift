import Foundation
import Synapse

/// The plots the command line draws, as SVG documents.
enum Charts {
    /// Loss (training and validation) and the main metric per epoch, in two panels.
    static func trainingCurves(_ history: History, title: String) -> String {
        var svg = SVG(width: 760, height: 560)
        svg.text(title, x: 380, y: 26, size: 16, anchor: "middle", weight: "bold")
        let epochs = history.epochs.map { Double($0.epoch + 1) }
        let xRange = 1.0...max(2.0, epochs.last ?? 2)
        func panel(top: Double, yLabel: String, series: [(name: String, values: [Double], color: String, dashed: Bool)]) {
            let values = series.flatMap(\.values).filter(\.isFinite)
            let low = values.min() ?? 0, high = values.max() ?? 1
            let pad = max((high - low) * 0.08, 1e-6)
            let bottom = low >= 0 ? max(0, low - pad) : low - pad   // losses start at 0; an r2 may be negative
            let frame = PlotFrame(left: 80, top: top, width: 640, height: 190, xRange: xRange, yRange: bottom...max(bottom, high + pad))
            frame.drawAxes(&svg, xLabel: "epoch", yLabel: yLabel, integerX: true)
            for s in series where !s.values.isEmpty {
                svg.polyline(zip(epochs, s.values).map { (frame.x($0), frame.y($1)) }, stroke: s.color, dash: s.dashed ? "6,4" : nil,
                             id: "series-\(s.name)")
            }
            frame.drawLegend(&svg, series.filter { !$0.values.isEmpty }.map { ($0.name, $0.color, $0.dashed) })
        }
        var lossSeries = [(name: "loss", values: history.epochs.map(\.loss), color: SVG.palette[0], dashed: false)]
        let validation = history.epochs.compactMap(\.validationLoss)
        if validation.count == history.epochs.count { lossSeries.append(("val_loss", validation, SVG.palette[1], true)) }
        panel(top: 50, yLabel: "loss", series: lossSeries)
        let metric = ["accuracy", "r2", "mae"].first { name in history.epochs.allSatisfy { $0.metrics[name] != nil } }
        if let metric {
            let name = validation.isEmpty ? metric : "val_\(metric)"
            panel(top: 320, yLabel: metric, series: [(name, history.epochs.map { $0.metrics[metric]! }, SVG.palette[2], false)])
        }
        return svg.document
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
        let rowHeight = 46.0
        var svg = SVG(width: 560, height: 90 + rowHeight * Double(layers.count + 1))
        svg.text(title, x: svg.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        func row(_ index: Int, _ label: String, _ detail: String, color: String) {
            let y = 50 + rowHeight * Double(index)
            svg.rect(x: 80, y: y, width: 400, height: rowHeight - 12, fill: color, stroke: "#333333", opacity: 0.85, title: label)
            svg.text(label, x: 96, y: y + 21, size: 13, weight: "bold")
            svg.text(detail, x: 464, y: y + 21, size: 12, anchor: "end", color: "#222222")
            if index > 0 { svg.line(280, y - 12, 280, y, stroke: "#333333", width: 1.5) }
        }
        func text(_ shape: [Int]?) -> String { shape.map { LayerSpec.format($0) } ?? "" }
        row(0, "input", text(shape), color: SVG.palette[4])
        for (i, layer) in layers.enumerated() {
            shape = shape.flatMap { try? layer.outputShape(for: $0) }
            let color: String
            switch layer {
            case .conv2d, .dense: color = SVG.palette[2]
            case .pool2d, .globalAveragePool: color = SVG.palette[0]
            case .batchNorm, .dropout: color = SVG.palette[3]
            default: color = "#dddddd"
            }
            row(i + 1, layer.title, text(shape), color: color)
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
        var svg = SVG(width: Double(max(520, 170 * columns)), height: 560)
        svg.text(title, x: svg.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        let maxShown = 10
        var positions: [[(Double, Double, Int?)]] = []   // x, y, unit index (nil for the ellipsis)
        for (c, size) in sizes.enumerated() {
            let x = 90 + Double(c) * (svg.width - 180) / Double(max(columns - 1, 1))
            let units: [Int?] = size <= maxShown ? Array(0..<size) : Array(0..<6) + [nil] + Array((size - 3)..<size)
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
                let name = c == 0 ? featureNames?[safe: unit] : c == columns - 1 ? classNames?[safe: unit] : nil
                if let name {
                    let short = name.count > 14 ? String(name.prefix(13)) + "…" : name
                    svg.text(short, x: c == 0 ? x - 18 : x + 18, y: y + 4, size: 10, anchor: c == 0 ? "end" : "start")
                }
            }
            let bottom = (column.last?.1 ?? 290) + 40
            svg.text("\(kind) (\(sizes[c]))", x: column[0].0, y: bottom, size: 12, anchor: "middle", weight: "bold")
            svg.text(activations[c], x: column[0].0, y: bottom + 16, size: 11, anchor: "middle", color: "#555555")
            svg.endGroup()
        }
        return svg.document
    }

    /// The decision regions of a 2-feature classifier on a grid, with the data points on top.
    static func boundary(model: Model<Float>, data: Dataset<Float>, featureNames: [String], title: String) -> String {
        let x = data.features.scalars
        let xs = stride(from: 0, to: x.count, by: 2).map { Double(x[$0]) }, ys = stride(from: 1, to: x.count, by: 2).map { Double(x[$0]) }
        func padded(_ v: [Double]) -> ClosedRange<Double> {
            let low = v.min() ?? 0, high = v.max() ?? 1, pad = max((high - low) * 0.1, 0.5)
            return (low - pad)...(high + pad)
        }
        let frame = PlotFrame(left: 80, top: 50, width: 520, height: 460, xRange: padded(xs), yRange: padded(ys))
        var svg = SVG(width: 780, height: 570)
        svg.text(title, x: 340, y: 26, size: 16, anchor: "middle", weight: "bold")
        let n = 80
        var grid: [Float] = []
        for j in 0..<n {
            for i in 0..<n {
                let u = frame.xRange.lowerBound + (Double(i) + 0.5) / Double(n) * (frame.xRange.upperBound - frame.xRange.lowerBound)
                let v = frame.yRange.upperBound - (Double(j) + 0.5) / Double(n) * (frame.yRange.upperBound - frame.yRange.lowerBound)
                grid += [Float(u), Float(v)]
            }
        }
        let predicted = model.predictClasses(Tensor(shape: [n * n, 2], scalars: grid))
        svg.beginGroup("regions")
        let cellW = frame.width / Double(n), cellH = frame.height / Double(n)
        for j in 0..<n {
            for i in 0..<n {
                svg.rect(x: frame.left + Double(i) * cellW, y: frame.top + Double(j) * cellH, width: cellW + 0.3, height: cellH + 0.3,
                         fill: tint(SVG.palette[predicted[j * n + i] % SVG.palette.count], 0.28))
            }
        }
        svg.endGroup()
        frame.drawAxes(&svg, xLabel: featureNames[safe: 0] ?? "feature 1", yLabel: featureNames[safe: 1] ?? "feature 2")
        svg.beginGroup("points")
        for (k, label) in data.labels.enumerated() {
            svg.circle(frame.x(xs[k]), frame.y(ys[k]), radius: 4.5, fill: SVG.palette[label % SVG.palette.count], stroke: "#111111", strokeWidth: 1)
        }
        svg.endGroup()
        let classes = model.classNames ?? (0..<(data.labels.max() ?? 0) + 1).map(String.init)
        svg.beginGroup("legend")
        svg.text("class", x: 625, y: 66, size: 12, weight: "bold")
        for (k, name) in classes.enumerated() {
            svg.circle(632, 84 + Double(k) * 20, radius: 5, fill: SVG.palette[k % SVG.palette.count])
            svg.text(name, x: 644, y: 88 + Double(k) * 20, size: 11)
        }
        svg.text("shaded: predicted class", x: 625, y: 100 + Double(classes.count) * 20, size: 10, color: "#555555")
        svg.endGroup()
        return svg.document
    }

    /// A confusion-matrix heatmap: rows are true classes, columns predicted, cells annotated.
    static func confusion(_ matrix: [[Int]], classNames: [String], title: String) -> String {
        let k = matrix.count
        let cell = min(56, 440 / Double(max(k, 1)))
        let left = 130.0, top = 80.0
        var svg = SVG(width: left + cell * Double(k) + 150, height: top + cell * Double(k) + 80)
        svg.text(title, x: svg.width / 2, y: 26, size: 16, anchor: "middle", weight: "bold")
        let peak = Double(max(matrix.flatMap { $0 }.max() ?? 1, 1))
        func color(_ value: Double) -> String {
            // White to dark blue.
            let t = value / peak
            let r = Int(255 - t * (255 - 8)), g = Int(255 - t * (255 - 48)), b = Int(255 - t * (255 - 107))
            return String(format: "#%02x%02x%02x", r, g, b)
        }
        svg.beginGroup("cells")
        for (i, row) in matrix.enumerated() {
            for (j, count) in row.enumerated() {
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                svg.rect(x: x, y: y, width: cell, height: cell, fill: color(Double(count)), stroke: "#ffffff",
                         title: "true \(classNames[safe: i] ?? "\(i)"), predicted \(classNames[safe: j] ?? "\(j)"): \(count)")
                svg.text(String(count), x: x + cell / 2, y: y + cell / 2 + 4, size: min(13, cell / 3), anchor: "middle",
                         color: Double(count) / peak > 0.5 ? "#ffffff" : "#222222")
            }
        }
        svg.endGroup()
        for i in 0..<k {
            let name = classNames[safe: i] ?? "\(i)"
            svg.text(name, x: left - 8, y: top + (Double(i) + 0.5) * cell + 4, size: 11, anchor: "end")
            svg.text(name, x: left + (Double(i) + 0.5) * cell, y: top - 8, size: 11, anchor: "middle")
        }
        svg.text("predicted class", x: left + cell * Double(k) / 2, y: top - 30, size: 12, anchor: "middle", weight: "bold")
        svg.text("true class", x: left - 80, y: top + cell * Double(k) / 2, size: 12, anchor: "middle", weight: "bold", rotate: -90)
        // Colour scale legend.
        let lx = left + cell * Double(k) + 30
        svg.beginGroup("legend")
        for s in 0..<10 {
            svg.rect(x: lx, y: top + Double(9 - s) * 20, width: 18, height: 20, fill: color(peak * Double(s) / 9))
        }
        svg.text(String(Int(peak)), x: lx + 24, y: top + 12, size: 11)
        svg.text("0", x: lx + 24, y: top + 200, size: 11)
        svg.text("count", x: lx, y: top - 8, size: 11)
        svg.endGroup()
        return svg.document
    }
}

/// `color` (#rrggbb) mixed with white, `amount` of the colour: an opaque tint, so overlapping cells show no seams.
func tint(_ color: String, _ amount: Double) -> String {
    let hex = Int(color.dropFirst(), radix: 16) ?? 0
    let channels = [(hex >> 16) & 0xff, (hex >> 8) & 0xff, hex & 0xff].map { Int(255 - amount * Double(255 - $0)) }
    return String(format: "#%02x%02x%02x", channels[0], channels[1], channels[2])
}

extension Array {
    /// The element at `index`, or nil when out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
