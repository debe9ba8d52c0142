import Foundation
import Synapse

/// A branching network (residual blocks, graphs) drawn from its ``ArchitectureOutline``: one box per
/// layer, laid out in levels from the input down (a layer one level below the lowest of its inputs),
/// parallel branches side by side, arrows from each layer's inputs, a ⊕ where branches are added and
/// a "concat" marker where they are joined, and a dashed frame around each residual block, graph or
/// nested sequential. Long arrows bend around the levels they cross, so they never run through a box
/// (the Sugiyama method: dummy points on long edges, barycentre ordering, then positions that follow
/// each layer's inputs as closely as the boxes' widths allow). The canvas is sized to what is drawn.
enum GraphDiagram {
    /// Horizontal room between neighbours, and between a neighbour and a bend of a long arrow.
    static let gap = 26.0, bendGap = 14.0
    /// A layer's box height, a ⊕'s radius, the concat marker's size.
    static let boxHeight = 38.0, addRadius = 12.0, concatWidth = 58.0, concatHeight = 22.0
    /// Vertical room between levels, and more for each frame that opens or closes there.
    static let levelGap = 34.0, frameGap = 14.0, framePadding = 12.0

    /// A node of the layered drawing: a row of the outline, or a bend of a long arrow (no row).
    private struct Item {
        var row: ArchitectureOutline.Row?
        var level = 0
        /// Extent left and right of the centre, and height.
        var left: Double, right: Double, height: Double
        var x = 0.0, top = 0.0
        var predecessors: [Int] = [], successors: [Int] = []
        var isBend: Bool { row == nil }
    }

    /// What a layer is drawn as.
    private enum Marker { case box, add, concat }

    private static func marker(_ row: ArchitectureOutline.Row) -> Marker {
        guard row.role == .merge else { return .box }
        if case .concatenate? = row.layer { return .concat }
        return .add
    }

    /// The small grey line under a box's title (or beside a merge marker): name and output shape.
    private static func caption(_ row: ArchitectureOutline.Row) -> String {
        [row.name, row.outputShape.map { LayerSpec.format($0) }].compactMap { $0 }.joined(separator: " · ")
    }

    /// The most layers and arrow bends a diagram draws: a crafted graph whose arrows each cross
    /// thousands of levels would otherwise need billions of bends (its layers are listed instead).
    static let largestDrawing = 20_000

    /// The SVG document, or nil when the network has more than ``largestDrawing`` layers and bends.
    static func draw(_ outline: ArchitectureOutline, title: String) -> String? {
        let rows = outline.rows.filter { $0.role != .container }
        guard rows.count <= largestDrawing else { return nil }
        var slot: [String: Int] = [:]
        for (i, row) in rows.enumerated() { slot[row.name] = i }
        // Levels first, to count the bends long arrows need before making any.
        var levelOf = [Int](repeating: 0, count: rows.count), bends = 0
        for (i, row) in rows.enumerated() {
            let sources = row.inputs.compactMap { outline.producer(of: $0).flatMap { slot[$0.name] } }
            levelOf[i] = sources.map { levelOf[$0] + 1 }.max() ?? 0
            for source in sources { bends += levelOf[i] - levelOf[source] - 1 }
            if rows.count + bends > largestDrawing { return nil }
        }
        var items = rows.map { row -> Item in
            switch marker(row) {
            case .box:
                let width = max(TextMetrics.width(row.title, size: 12, bold: true), TextMetrics.width(caption(row), size: 10)) + 22
                return Item(row: row, left: width / 2, right: width / 2, height: boxHeight)
            case .add:
                return Item(row: row, left: addRadius, right: addRadius + 8 + TextMetrics.width(caption(row), size: 10), height: 2 * addRadius)
            case .concat:
                return Item(row: row, left: concatWidth / 2, right: concatWidth / 2 + 8 + TextMetrics.width(caption(row), size: 10), height: concatHeight)
            }
        }

        // Levels (rows come after their inputs), and arrows broken by a bend at every level they cross.
        var arrows: [[Int]] = []
        for (i, row) in rows.enumerated() {
            let sources = row.inputs.compactMap { outline.producer(of: $0).flatMap { slot[$0.name] } }
            items[i].level = sources.map { items[$0].level + 1 }.max() ?? 0
            for source in sources {
                var chain = [source]
                for level in (items[source].level + 1)..<items[i].level {
                    items.append(Item(row: nil, level: level, left: 0, right: 0, height: 0))
                    chain.append(items.count - 1)
                }
                chain.append(i)
                for (a, b) in zip(chain, chain.dropFirst()) {
                    items[a].successors.append(b)
                    items[b].predecessors.append(a)
                }
                arrows.append(chain)
            }
        }
        let levelCount = (items.map(\.level).max() ?? 0) + 1
        var levels = [[Int]](repeating: [], count: levelCount)
        for (i, item) in items.enumerated() { levels[item.level].append(i) }

        // Frames: the containers but a residual's branches (its block and shortcut columns need none),
        // each with the layers inside it; a bend is inside the frames both ends are in, and inside its
        // target's frames from the level where they start. Neighbours in different frames stand further apart.
        let containers = outline.rows.filter { container in
            guard container.role == .container else { return false }
            if case .sequential? = container.layer, let parent = container.parent, case .residual? = outline.row(named: parent)?.layer { return false }
            return true
        }
        var inside = items.map { item in Set(item.row.map { row in containers.indices.filter { row.name.hasPrefix(containers[$0].name + ".") } } ?? []) }
        var firstLevel = [Int](repeating: Int.max, count: containers.count), lastLevel = [Int](repeating: -1, count: containers.count)
        for (i, frames) in inside.enumerated() {
            for c in frames { firstLevel[c] = min(firstLevel[c], items[i].level); lastLevel[c] = max(lastLevel[c], items[i].level) }
        }
        for chain in arrows {
            let source = inside[chain[0]], target = inside[chain.last!]
            for bend in chain.dropFirst().dropLast() {
                inside[bend] = target.filter { source.contains($0) || firstLevel[$0] <= items[bend].level }
            }
        }

        // Order within levels: barycentres of the neighbours above, then below, then above again.
        func reorder(_ level: Int, by neighbours: (Item) -> [Int]) {
            var position: [Int: Double] = [:]
            for list in levels { for (k, i) in list.enumerated() { position[i] = Double(k) } }
            let keyed = levels[level].enumerated().map { k, i -> (Double, Int, Int) in
                let around = neighbours(items[i]).compactMap { position[$0] }
                return (around.isEmpty ? Double(k) : around.reduce(0, +) / Double(around.count), k, i)
            }
            levels[level] = keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
        }
        for _ in 0..<2 {
            for level in levels.indices.dropFirst() { reorder(level, by: \.predecessors) }
            for level in levels.indices.dropLast().reversed() { reorder(level, by: \.successors) }
        }
        for level in levels.indices.dropFirst() { reorder(level, by: \.predecessors) }

        // Positions: each level as close as it can be to where its neighbours want it (least squares
        // under the boxes' minimum spacing: pool-adjacent-violators).
        func spacing(_ a: Int, _ b: Int) -> Double {
            items[a].right + (items[a].isBend || items[b].isBend ? bendGap : gap) + items[b].left
                + framePadding * Double(inside[a].symmetricDifference(inside[b]).count)
        }
        func place(_ level: Int, wanted: (Item) -> Double) {
            let list = levels[level]
            var offsets = [0.0]
            for k in list.indices.dropFirst() { offsets.append(offsets[k - 1] + spacing(list[k - 1], list[k])) }
            var blocks: [(sum: Double, count: Double, first: Int)] = []
            for k in list.indices {
                blocks.append((wanted(items[list[k]]) - offsets[k], 1, k))
                while blocks.count > 1, blocks[blocks.count - 2].sum / blocks[blocks.count - 2].count > blocks[blocks.count - 1].sum / blocks[blocks.count - 1].count {
                    let last = blocks.removeLast()
                    blocks[blocks.count - 1].sum += last.sum
                    blocks[blocks.count - 1].count += last.count
                }
            }
            for (b, block) in blocks.enumerated() {
                let end = b + 1 < blocks.count ? blocks[b + 1].first : list.count
                for k in block.first..<end { items[list[k]].x = block.sum / block.count + offsets[k] }
            }
        }
        func mean(_ neighbours: [Int], or current: Double) -> Double {
            neighbours.isEmpty ? current : neighbours.map { items[$0].x }.reduce(0, +) / Double(neighbours.count)
        }
        for level in levels.indices { place(level) { _ in 0 } }
        for _ in 0..<6 {
            for level in levels.indices.dropFirst() { place(level) { mean($0.predecessors, or: $0.x) } }
            for level in levels.indices.dropLast().reversed() { place(level) { mean($0.successors, or: $0.x) } }
        }
        for level in levels.indices.dropFirst() { place(level) { mean($0.predecessors, or: $0.x) } }

        // More room where frames open and close.
        var opening = [Int](repeating: 0, count: levelCount), closing = opening
        for c in containers.indices where lastLevel[c] >= 0 {
            opening[firstLevel[c]] += 1
            closing[lastLevel[c]] += 1
        }
        var levelTop = [Double](repeating: 0, count: levelCount), y = 0.0
        for level in levels.indices {
            if level > 0 { y += levelGap + frameGap * Double(opening[level] + closing[level - 1]) }
            levelTop[level] = y
            let height = levels[level].map { items[$0].height }.max() ?? 0
            for i in levels[level] { items[i].top = y + (height - items[i].height) / 2 }
            y += height
        }
        func levelBottom(_ level: Int) -> Double { levelTop[level] + (levels[level].map { items[$0].height }.max() ?? 0) }

        var drawing = Drawing()
        // Frames first (behind), innermost computed first so an outer frame encloses the inner ones.
        var frames: [String: (x: Double, y: Double, width: Double, height: Double)] = [:]
        for (c, container) in containers.enumerated().reversed() where lastLevel[c] >= 0 {
            var boxes: [(Double, Double, Double, Double)] = []
            for i in items.indices where inside[i].contains(c) {
                boxes.append(items[i].isBend ? (items[i].x, levelTop[items[i].level], items[i].x, levelBottom(items[i].level))
                                             : (items[i].x - items[i].left, items[i].top, items[i].x + items[i].right, items[i].top + items[i].height))
            }
            for (name, frame) in frames where name.hasPrefix(container.name + ".") {
                boxes.append((frame.x, frame.y, frame.x + frame.width, frame.y + frame.height))
            }
            let left = boxes.map(\.0).min()! - framePadding, top = boxes.map(\.1).min()! - framePadding
            let right = boxes.map(\.2).max()! + framePadding, bottom = boxes.map(\.3).max()! + framePadding
            // A frame that would take in a layer not its own (a graph's parallel branch) is left out.
            let intrudes = rows.indices.contains { i in
                !inside[i].contains(c) && items[i].x + items[i].right > left && items[i].x - items[i].left < right
                    && items[i].top + items[i].height > top && items[i].top < bottom
            }
            if intrudes { continue }
            frames[container.name] = (left, top, right - left, bottom - top)
        }
        drawing.begin("frames")
        for container in containers {
            guard let frame = frames[container.name] else { continue }
            drawing.begin("frame-\(container.name)")
            drawing.rect(x: frame.x, y: frame.y, width: frame.width, height: frame.height, radius: 8, fill: "#f7f7f7", stroke: "#9a9a9a",
                         dash: "5,3", title: "\(container.name): \(container.summary)")
            let kind: String
            switch container.layer {
            case .residual?: kind = "residual"
            case .graph?: kind = "graph"
            default: kind = "sequential"
            }
            let label = "\(container.name) · \(kind)"
            let width = TextMetrics.width(label, size: 10)
            drawing.rect(x: frame.x + 6, y: frame.y - 7, width: width + 8, height: 13, radius: 3, fill: "#ffffff", stroke: "none")
            drawing.text(label, x: frame.x + 10, y: frame.y + 3.5, size: 10, color: "#555555", width: width)
            drawing.end()
        }
        drawing.end()

        // Arrows: from the bottom of a layer, down through its bends, to the top of the next.
        // Arrows into a concat marker end side by side along its top, in the order they come from.
        var concatTips: [Int: [Double]] = [:]
        for (target, list) in Dictionary(grouping: arrows.indices, by: { arrows[$0].last! }) where marker(items[target].row!) == .concat {
            let sorted = list.sorted { items[arrows[$0].dropLast().last!].x < items[arrows[$1].dropLast().last!].x }
            let span = concatWidth - 16, step = sorted.count > 1 ? span / Double(sorted.count - 1) : 0
            for (k, arrow) in sorted.enumerated() {
                concatTips[arrow] = [items[target].x + (sorted.count > 1 ? -span / 2 + step * Double(k) : 0)]
            }
        }
        drawing.begin("arrows")
        for (arrow, chain) in arrows.enumerated() {
            let source = items[chain[0]], target = items[chain.last!]
            var points = [(source.x, source.top + source.height)]
            for bend in chain.dropFirst().dropLast() {
                points.append((items[bend].x, levelTop[items[bend].level]))
                points.append((items[bend].x, levelBottom(items[bend].level)))
            }
            let previous = points.last!
            let tip: (Double, Double)
            switch marker(target.row!) {
            case .box: tip = (target.x, target.top)
            case .concat: tip = (concatTips[arrow]?.first ?? target.x, target.top)
            case .add:
                let centre = (target.x, target.top + addRadius)
                let (dx, dy) = (centre.0 - previous.0, centre.1 - previous.1), length = max((dx * dx + dy * dy).squareRoot(), 1e-9)
                tip = (centre.0 - addRadius * dx / length, centre.1 - addRadius * dy / length)
            }
            points.append(tip)
            drawing.polyline(points, stroke: "#555555", width: 1.3)
            let from = points[points.count - 2]
            let (dx, dy) = (tip.0 - from.0, tip.1 - from.1), length = max((dx * dx + dy * dy).squareRoot(), 1e-9)
            let (ux, uy) = (dx / length, dy / length)
            drawing.polygon([tip, (tip.0 - 8 * ux - 3.5 * uy, tip.1 - 8 * uy + 3.5 * ux), (tip.0 - 8 * ux + 3.5 * uy, tip.1 - 8 * uy - 3.5 * ux)],
                            fill: "#555555")
        }
        drawing.end()

        // Layers and merge points.
        drawing.begin("layers")
        for item in items where !item.isBend {
            let row = item.row!
            let parameters = row.parameterCount.map { ", \($0) parameters" } ?? ""
            let tooltip = "\(row.name): \(row.summary)" + (row.inputs.isEmpty ? "" : " ← \(row.inputs.joined(separator: ", "))") + parameters
            switch marker(row) {
            case .box:
                drawing.begin("node-\(row.name)")
                let color = color(row)
                drawing.rect(x: item.x - item.left, y: item.top, width: item.left + item.right, height: item.height, radius: 5,
                             fill: tint(color, 0.3), stroke: color, title: tooltip)
                drawing.text(row.title, x: item.x, y: item.top + 16, size: 12, anchor: "middle", weight: "bold",
                             width: TextMetrics.width(row.title, size: 12, bold: true))
                drawing.text(caption(row), x: item.x, y: item.top + 31, size: 10, anchor: "middle", color: "#444444",
                             width: TextMetrics.width(caption(row), size: 10))
            case .add:
                drawing.begin("merge-add-\(row.name)")
                let cy = item.top + addRadius
                drawing.circle(item.x, cy, radius: addRadius, fill: "#ffffff", stroke: "#333333", strokeWidth: 1.5, title: tooltip)
                drawing.line(item.x - 7, cy, item.x + 7, cy, stroke: "#333333", width: 1.8)
                drawing.line(item.x, cy - 7, item.x, cy + 7, stroke: "#333333", width: 1.8)
                drawing.text(caption(row), x: item.x + addRadius + 8, y: cy + 3.5, size: 10, color: "#444444", width: TextMetrics.width(caption(row), size: 10))
            case .concat:
                drawing.begin("merge-concat-\(row.name)")
                drawing.rect(x: item.x - concatWidth / 2, y: item.top, width: concatWidth, height: concatHeight, radius: concatHeight / 2,
                             fill: "#ffffff", stroke: "#333333", strokeWidth: 1.5, title: tooltip)
                drawing.text("concat", x: item.x, y: item.top + 15, size: 11, anchor: "middle", weight: "bold",
                             width: TextMetrics.width("concat", size: 11, bold: true))
                drawing.text(caption(row), x: item.x + concatWidth / 2 + 8, y: item.top + 15, size: 10, color: "#444444",
                             width: TextMetrics.width(caption(row), size: 10))
            }
            drawing.end()
        }
        drawing.end()

        // The canvas: what was drawn, a margin, the title above.
        let margin = 24.0, titleHeight = 46.0
        let bounds = drawing.bounds
        let titleWidth = TextMetrics.width(title, size: 16, bold: true)
        let width = max(bounds.maxX - bounds.minX, titleWidth) + 2 * margin
        let height = bounds.maxY - bounds.minY + 2 * margin + titleHeight
        var svg = SVG(width: width.rounded(.up), height: height.rounded(.up))
        svg.text(title, x: svg.width / 2, y: 28, size: 16, anchor: "middle", weight: "bold")
        let dx = (svg.width - (bounds.maxX - bounds.minX)) / 2 - bounds.minX
        drawing.render(into: &svg, dx: dx, dy: margin + titleHeight - bounds.minY)
        return svg.document
    }

    /// A layer's colour, as the layer-stack plot colours it.
    private static func color(_ row: ArchitectureOutline.Row) -> String {
        switch row.layer {
        case nil: return SVG.palette[4]
        case .conv2d?, .dense?: return SVG.palette[2]
        case .pool2d?, .globalAveragePool?: return SVG.palette[0]
        case .batchNorm?, .dropout?: return SVG.palette[3]
        case .custom?: return SVG.palette[5]
        default: return "#888888"
        }
    }
}

/// How wide text is drawn, estimated per character from DejaVu Sans's advance widths (the font the
/// plots ask for first; Helvetica and Arial are narrower), rounded up, so boxes and canvases sized
/// from it hold their text.
enum TextMetrics {
    /// The width of `text` at font `size`, in pixels.
    static func width(_ text: String, size: Double, bold: Bool = false) -> Double {
        var ems = 0.0
        for character in text {
            switch character {
            case "i", "j", "l", "I", "'", "|", ".", ",", ":", ";", "!", " ": ems += 0.33
            case "f", "t", "r", "(", ")", "[", "]", "-", "·": ems += 0.42
            case "m", "w", "M", "W", "%", "@": ems += 0.98
            case "0"..."9", "_": ems += 0.64
            case "a"..."z": ems += 0.64
            case "A"..."Z": ems += 0.8
            case "→", "×", "⊕", "←", "…": ems += 0.84
            default:
                // Wide scripts (CJK, Hangul, full-width forms) take a whole em a character.
                ems += (character.unicodeScalars.first?.value ?? 0) >= 0x1100 ? 1.0 : 0.8
            }
        }
        return ems * size * (bold ? 1.1 : 1)
    }

    /// `text`, shortened with "…" at the end until it is at most `width` pixels wide at `size`.
    static func fitting(_ text: String, width: Double, size: Double, bold: Bool = false) -> String {
        if Self.width(text, size: size, bold: bold) <= width { return text }
        let budget = width - Self.width("…", size: size, bold: bold)
        var used = 0.0, kept = ""
        for character in text {
            let advance = Self.width(String(character), size: size, bold: bold)
            if used + advance > budget { break }
            used += advance
            kept.append(character)
        }
        return kept + "…"
    }
}

/// Shapes collected with their extents, so the canvas can be sized to them before they are written.
private struct Drawing {
    private var shapes: [(inout SVG, Double, Double) -> Void] = []
    private(set) var bounds = (minX: Double.infinity, minY: Double.infinity, maxX: -Double.infinity, maxY: -Double.infinity)

    private mutating func include(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) {
        bounds = (min(bounds.minX, x0), min(bounds.minY, y0), max(bounds.maxX, x1), max(bounds.maxY, y1))
    }

    mutating func begin(_ id: String) { shapes.append { svg, _, _ in svg.beginGroup(id) } }
    mutating func end() { shapes.append { svg, _, _ in svg.endGroup() } }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, radius: Double, fill: String, stroke: String,
                       strokeWidth: Double = 1, dash: String? = nil, title: String? = nil) {
        include(x - strokeWidth, y - strokeWidth, x + width + strokeWidth, y + height + strokeWidth)
        shapes.append { svg, dx, dy in
            svg.roundedRect(x: x + dx, y: y + dy, width: width, height: height, radius: radius, fill: fill, stroke: stroke,
                            strokeWidth: strokeWidth, dash: dash, title: title)
        }
    }

    mutating func circle(_ cx: Double, _ cy: Double, radius: Double, fill: String, stroke: String, strokeWidth: Double, title: String) {
        include(cx - radius - strokeWidth, cy - radius - strokeWidth, cx + radius + strokeWidth, cy + radius + strokeWidth)
        shapes.append { svg, dx, dy in
            svg.circle(cx + dx, cy + dy, radius: radius, fill: fill, stroke: stroke, strokeWidth: strokeWidth, title: title)
        }
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double) {
        include(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        shapes.append { svg, dx, dy in svg.line(x1 + dx, y1 + dy, x2 + dx, y2 + dy, stroke: stroke, width: width) }
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double) {
        for p in points { include(p.0 - width, p.1 - width, p.0 + width, p.1 + width) }
        shapes.append { svg, dx, dy in svg.polyline(points.map { ($0.0 + dx, $0.1 + dy) }, stroke: stroke, width: width) }
    }

    mutating func polygon(_ points: [(Double, Double)], fill: String) {
        for p in points { include(p.0, p.1, p.0, p.1) }
        shapes.append { svg, dx, dy in svg.polygon(points.map { ($0.0 + dx, $0.1 + dy) }, fill: fill) }
    }

    /// Text whose drawn `width` is estimated (``TextMetrics``); `y` is the baseline.
    mutating func text(_ content: String, x: Double, y: Double, size: Double, anchor: String = "start", weight: String = "normal",
                       color: String = "#222222", width: Double) {
        let left = anchor == "middle" ? x - width / 2 : anchor == "end" ? x - width : x
        include(left, y - size, left + width, y + size * 0.3)
        shapes.append { svg, dx, dy in svg.text(content, x: x + dx, y: y + dy, size: size, anchor: anchor, weight: weight, color: color) }
    }

    /// Writes the shapes moved by (`dx`, `dy`).
    func render(into svg: inout SVG, dx: Double, dy: Double) {
        for shape in shapes { shape(&svg, dx, dy) }
    }
}
