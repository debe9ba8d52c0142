/// The record an operation leaves on its result so the result can be differentiated: which tensors
/// went in, and a closure that turns the gradient of the result into gradients of those inputs.
///
/// Every operation builds its record right beside its forward computation (see `Arithmetic.swift`,
/// `MatMul.swift`, …), in the style of micrograd's `_backward`: forward and backward read together.
final class GradientFunction<Scalar: TensorScalar> {
    /// A short name for debugging (`"matmul"`, `"add"`).
    let name: String
    /// The operands, in the order the closure returns their gradients.
    private(set) var inputs: [Tensor<Scalar>]
    /// Given ∂L/∂output and the output itself, returns ∂L/∂input for each input
    /// (nil for inputs that do not require gradients).
    private(set) var backward: ((_ gradient: Tensor<Scalar>, _ output: Tensor<Scalar>) -> [Tensor<Scalar>?])?

    init(name: String, inputs: [Tensor<Scalar>],
         backward: @escaping (_ gradient: Tensor<Scalar>, _ output: Tensor<Scalar>) -> [Tensor<Scalar>?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }

    /// Frees a recorded graph without recursion. Releasing a long chain the natural way would
    /// run one nested `deinit` per tensor and overflow the stack; instead, each function whose
    /// inputs are referenced only by it hands their own functions to an explicit work list.
    static func release(_ slot: inout GradientFunction?) {
        guard slot != nil else { return }
        var pending = [slot.take()!]
        while var function = pending.popLast() {
            guard isKnownUniquelyReferenced(&function) else { continue }
            function.backward = nil   // drop the closure's captures, leaving `inputs` as the only owner
            for i in function.inputs.indices where isKnownUniquelyReferenced(&function.inputs[i]) {
                if let inner = function.inputs[i].gradientFunction {
                    function.inputs[i].gradientFunction = nil
                    pending.append(inner)
                }
            }
        }
    }
}

/// Whether operations currently record gradients (a task-local switch, so threads and tasks don't interfere).
public enum GradientMode {
    @TaskLocal static var isEnabled = true

    /// Whether operations record gradients in the current context.
    public static var isRecording: Bool { isEnabled }
}

/// Runs `body` without recording gradients, as PyTorch's `torch.no_grad()`: inference inside
/// allocates nothing for autodiff.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false) { try body() }
}

extension Tensor {
    /// Whether an operation on `inputs` must record its gradient.
    @inline(__always)
    static func recordsGradient(_ a: Tensor, _ b: Tensor? = nil) -> Bool {
        (a.requiresGrad || (b?.requiresGrad ?? false)) && GradientMode.isEnabled
    }

    /// Attaches the backward closure of the operation that produced `self`.
    func recordGradient(_ name: String, inputs: [Tensor],
                        backward: @escaping (_ gradient: Tensor, _ output: Tensor) -> [Tensor?]) {
        gradientFunction = GradientFunction(name: name, inputs: inputs, backward: backward)
        requiresGrad = true
    }
}
