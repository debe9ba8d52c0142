// Printing tensors: a NumPy-like layout, so learners can compare with the tutorial's output.

extension Tensor: CustomStringConvertible {
    /// The elements in nested brackets, each with Swift's shortest round-trip representation
    /// (`[[0.5, 1.0], [2.0, 3.0]]`); a scalar prints as its value.
    public var description: String {
        if rank == 0 { return "\(data[0])" }
        var text = ""
        func write(dimension: Int, offset: Int) {
            if dimension == rank { text += "\(data[offset])"; return }
            let stride = shape[(dimension + 1)...].reduce(1, *)
            text += "["
            for i in 0..<shape[dimension] {
                if i > 0 { text += dimension == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: dimension + 1) }
                write(dimension: dimension + 1, offset: offset + i * stride)
            }
            text += "]"
        }
        write(dimension: 0, offset: 0)
        return text
    }
}

extension Tensor: CustomDebugStringConvertible {
    /// The shape, scalar type and whether gradients are recorded, then the elements.
    public var debugDescription: String {
        "Tensor<\(Scalar.self)>(shape: \(shape)\(requiresGrad ? ", requiresGrad" : ""))\n\(description)"
    }
}
