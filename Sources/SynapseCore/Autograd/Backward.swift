/// Reverse-mode differentiation: the backward pass over the recorded graph.
extension Tensor {
    /// Back-propagates from this tensor and **accumulates** ∂self/∂leaf into `grad` of every leaf
    /// that requires gradients (call `zeroGrad()`/set `grad = nil` between steps, as in PyTorch).
    ///
    /// The graph is walked in reverse topological order, so a tensor used by several operations
    /// receives the sum of all its uses' gradients before its own backward runs — the reason for
    /// the topological sort that plain recursion gets wrong. The graph is kept, so calling
    /// `backward()` twice adds the gradients twice.
    ///
    /// - Parameter gradient: ∂L/∂self; may be omitted for a one-element tensor (it is then 1).
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func backward(gradient: Tensor? = nil) {
        precondition(requiresGrad, "backward() needs a tensor that requires gradients (was anything marked requiresGrad?)")
        let seed: Tensor
        if let gradient {
            precondition(gradient.shape == shape, "backward gradient shape \(gradient.shape) differs from tensor shape \(shape)")
            seed = gradient
        } else {
            precondition(count == 1, "backward() without a gradient needs a one-element tensor, got shape \(shape)")
            seed = Tensor(ones: shape)
        }
        let order = topologicalOrder()
        withoutGradients {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed]
            for node in order.reversed() {
                guard var g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                guard let function = node.gradientFunction else {
                    // A leaf: accumulate into .grad (a fresh tensor, never an alias of another gradient).
                    // A gradient nothing else holds (not a view, no other reference, no graph) is
                    // adopted as it is; any other is copied (a weight's gradient is a large copy per step).
                    if let grad = node.grad {
                        node.grad = grad + g
                    } else {
                        let adoptable = !g.isView && g.gradientFunction == nil && isKnownUniquelyReferenced(&g)
                        node.grad = adoptable ? g : g.copy()
                    }
                    continue
                }
                let inputGradients = function.backward?(g, node) ?? []
                for (input, inputGradient) in zip(function.inputs, inputGradients) {
                    guard input.requiresGrad, let inputGradient else { continue }
                    precondition(inputGradient.shape == input.shape,
                                 "\(function.name) backward produced gradient \(inputGradient.shape) for input \(input.shape)")
                    let key = ObjectIdentifier(input)
                    pending[key] = pending[key].map { $0 + inputGradient } ?? inputGradient
                }
            }
        }
    }

    /// Every tensor that requires gradients and that `self` depends on, each after all its inputs
    /// (an iterative depth-first post-order, so deep graphs cannot overflow the stack).
    func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(tensor: Tensor, inputsPushed: Bool)] = [(self, false)]
        while let (tensor, inputsPushed) = stack.popLast() {
            if inputsPushed { order.append(tensor); continue }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradientFunction?.inputs ?? [] where input.requiresGrad
                && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Clears the accumulated gradient (`grad = nil`), as before each optimisation step.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func zeroGrad() {
        grad = nil
    }
}
