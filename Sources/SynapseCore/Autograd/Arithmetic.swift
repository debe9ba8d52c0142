// Arithmetic: +, −, ×, ÷ and negation, with NumPy broadcasting. Each operator computes its value
// and, when an operand requires gradients, records its backward right here. Gradients of
// broadcast operands are summed back to the operand's shape (`unbroadcast`).

extension Tensor {
    /// Elementwise sum with broadcasting.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = combining(.add, a, b)
        if recordsGradient(a, b) {
            // ∂(a+b)/∂a = 1,  ∂(a+b)/∂b = 1
            out.recordGradient("add", inputs: [a, b]) { g, _ in
                [a.requiresGrad ? g.unbroadcast(to: a.shape) : nil, b.requiresGrad ? g.unbroadcast(to: b.shape) : nil]
            }
        }
        return out
    }

    /// Elementwise difference with broadcasting.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = combining(.subtract, a, b)
        if recordsGradient(a, b) {
            // ∂(a−b)/∂a = 1,  ∂(a−b)/∂b = −1
            out.recordGradient("subtract", inputs: [a, b]) { g, _ in
                [a.requiresGrad ? g.unbroadcast(to: a.shape) : nil,
                 b.requiresGrad ? g.applying(.negate).unbroadcast(to: b.shape) : nil]
            }
        }
        return out
    }

    /// Elementwise product with broadcasting (NumPy's `*`, not a matrix product: see ``matmul(_:_:transposeA:transposeB:)``).
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = combining(.multiply, a, b)
        if recordsGradient(a, b) {
            // ∂(a·b)/∂a = b,  ∂(a·b)/∂b = a
            out.recordGradient("multiply", inputs: [a, b]) { g, _ in
                [a.requiresGrad ? combining(.multiply, g, b).unbroadcast(to: a.shape) : nil,
                 b.requiresGrad ? combining(.multiply, g, a).unbroadcast(to: b.shape) : nil]
            }
        }
        return out
    }

    /// Elementwise quotient with broadcasting.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = combining(.divide, a, b)
        if recordsGradient(a, b) {
            // ∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = −a/b² = −out/b
            out.recordGradient("divide", inputs: [a, b]) { g, out in
                [a.requiresGrad ? combining(.divide, g, b).unbroadcast(to: a.shape) : nil,
                 b.requiresGrad ? combining(.multiply, g, combining(.divide, out, b)).applying(.negate).unbroadcast(to: b.shape) : nil]
            }
        }
        return out
    }

    /// Elementwise negation.
    public static prefix func - (a: Tensor) -> Tensor {
        let out = a.applying(.negate)
        if recordsGradient(a) {
            // ∂(−a)/∂a = −1
            out.recordGradient("negate", inputs: [a]) { g, _ in [g.applying(.negate)] }
        }
        return out
    }

    // MARK: Tensor ∘ scalar (one pass, no tensor materialised for the constant)

    /// Applies a unary operation whose derivative is the constant `slope`, recording `g · slope`.
    private static func affine(_ a: Tensor, _ op: UnaryOperation<Scalar>, slope: Scalar, name: String) -> Tensor {
        let out = a.applying(op)
        if recordsGradient(a) {
            out.recordGradient(name, inputs: [a]) { g, _ in [slope == 1 ? g : g.applying(.times(slope))] }
        }
        return out
    }

    /// `a + s` elementwise.  ∂/∂a = 1
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func + (a: Tensor, s: Scalar) -> Tensor { affine(a, .plus(s), slope: 1, name: "add scalar") }
    /// `s + a` elementwise.  ∂/∂a = 1
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func + (s: Scalar, a: Tensor) -> Tensor { affine(a, .plus(s), slope: 1, name: "add scalar") }
    /// `a − s` elementwise.  ∂/∂a = 1
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func - (a: Tensor, s: Scalar) -> Tensor { affine(a, .plus(-s), slope: 1, name: "subtract scalar") }
    /// `s − a` elementwise.  ∂/∂a = −1
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func - (s: Scalar, a: Tensor) -> Tensor { affine(a, .subtractedFrom(s), slope: -1, name: "scalar subtract") }
    /// `a · s` elementwise.  ∂/∂a = s
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func * (a: Tensor, s: Scalar) -> Tensor { affine(a, .times(s), slope: s, name: "multiply scalar") }
    /// `s · a` elementwise.  ∂/∂a = s
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func * (s: Scalar, a: Tensor) -> Tensor { affine(a, .times(s), slope: s, name: "multiply scalar") }

    /// `a / s` elementwise.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func / (a: Tensor, s: Scalar) -> Tensor {
        let out = a.applying(.dividedBy(s))
        if recordsGradient(a) {
            // ∂(a/s)/∂a = 1/s
            out.recordGradient("divide by scalar", inputs: [a]) { g, _ in [g.applying(.dividedBy(s))] }
        }
        return out
    }

    /// `s / a` elementwise.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func / (s: Scalar, a: Tensor) -> Tensor {
        let out = a.applying(.dividing(s))
        if recordsGradient(a) {
            // ∂(s/a)/∂a = −s/a² = −out/a
            out.recordGradient("scalar divide", inputs: [a]) { g, out in
                [combining(.multiply, g, combining(.divide, out, a)).applying(.negate)]
            }
        }
        return out
    }

    // MARK: In place (PyTorch's `add_`): never recorded

    /// Applies `op(self, other)` into `self`'s storage; `other` must broadcast to `self`'s shape.
    private func combineInPlace(_ op: BinaryOperation, _ other: Tensor) {
        precondition(!(requiresGrad && GradientMode.isEnabled),
                     "in-place update of a tensor that requires gradients: wrap it in withoutGradients { } (as torch.no_grad())")
        precondition(BroadcastLayout.broadcastShape(shape, other.shape) == shape,
                     "cannot update a tensor of shape \(shape) in place with shape \(other.shape)")
        let layout = shape == other.shape ? BroadcastLayout(elementwise: count)
                                          : BroadcastLayout(x: shape, y: other.shape, result: shape)
        Scalar.combine(op, data, other.data, data, layout: layout)
    }

    /// Adds `b` into `a`'s storage (in place; views of `a` see the change).
    public static func += (a: Tensor, b: Tensor) { a.combineInPlace(.add, b) }
    /// Subtracts `b` from `a`'s storage in place.
    public static func -= (a: Tensor, b: Tensor) { a.combineInPlace(.subtract, b) }
    /// Multiplies `a`'s storage by `b` in place.
    public static func *= (a: Tensor, b: Tensor) { a.combineInPlace(.multiply, b) }

    /// Replaces every element with `transform` applied to it, in place (an optimiser's update, say).
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func update(_ op: UnaryOperation<Scalar>) {
        precondition(!(requiresGrad && GradientMode.isEnabled),
                     "in-place update of a tensor that requires gradients: wrap it in withoutGradients { }")
        Scalar.map(op, data, data, count: count)
    }
}
