// Loss functions, `(prediction, target)` as in PyTorch, returning a rank-0 tensor. The fused
// cross-entropies compute forward and backward in one place; the others are compositions of
// differentiable operations, so their backward is the chain rule of their parts.

/// How a loss combines the per-element (or per-example) losses.
public enum LossReduction: Sendable {
    /// The mean (PyTorch's default).
    case mean
    /// The sum.
    case sum
}

extension Tensor {
    /// Mean or sum of all elements.
    func reduced(_ reduction: LossReduction) -> Tensor { reduction == .mean ? mean() : sum() }
}

/// Mean squared error: reduce((ŷ − y)²).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func meanSquaredError<Scalar>(_ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>,
                                     reduction: LossReduction = .mean) -> Tensor<Scalar> {
    (prediction - target).squared().reduced(reduction)
}

/// Mean absolute error (L1): reduce(|ŷ − y|).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func meanAbsoluteError<Scalar>(_ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>,
                                      reduction: LossReduction = .mean) -> Tensor<Scalar> {
    abs(prediction - target).reduced(reduction)
}

/// Huber loss (PyTorch's `HuberLoss`): ½d² where |d| < δ, δ(|d| − ½δ) elsewhere, d = ŷ − y.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func huberLoss<Scalar>(_ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, delta: Scalar = 1,
                              reduction: LossReduction = .mean) -> Tensor<Scalar> {
    precondition(delta > 0, "huberLoss needs delta > 0, got \(delta)")
    let a = abs(prediction - target)
    let q = clamp(a, min: 0, max: delta)          // min(|d|, δ)
    return (0.5 * q.squared() + delta * (a - q)).reduced(reduction)   // = ½q² + δ(|d| − q)
}

/// Binary cross-entropy of probabilities ŷ ∈ [0, 1]: −[y ln ŷ + (1 − y) ln(1 − ŷ)], each log
/// clamped at −100 as PyTorch does so that ŷ = 0 or 1 gives a finite loss (and gradient).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func binaryCrossEntropy<Scalar>(_ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>,
                                       reduction: LossReduction = .mean) -> Tensor<Scalar> {
    let p = prediction, y = target
    let logP = p.applying(.log).applying(.clamp(low: -100, high: .greatestFiniteMagnitude))
    let logNotP = p.applying(.subtractedFrom(1)).applying(.log).applying(.clamp(low: -100, high: .greatestFiniteMagnitude))
    // ℓ = −(y·ln ŷ + (1 − y)·ln(1 − ŷ)) = −(ln(1 − ŷ) + y·(ln ŷ − ln(1 − ŷ)))
    let logRatio = Tensor.combining(.subtract, logP, logNotP)
    let elementwise = Tensor.combining(.add, logNotP, Tensor.combining(.multiply, y, logRatio)).applying(.negate)
    if Tensor.recordsGradient(p, y) {
        // ∂ℓ/∂ŷ = (ŷ − y) / max(ŷ(1 − ŷ), 10⁻¹²)   (PyTorch's guard against ŷ ∈ {0, 1});   ∂ℓ/∂y = −(ln ŷ − ln(1 − ŷ))
        elementwise.recordGradient("binaryCrossEntropy", inputs: [p, y]) { g, _ in
            var gradP: Tensor<Scalar>? = nil
            if p.requiresGrad {
                let variance = Tensor.combining(.multiply, p, p.applying(.subtractedFrom(1)))
                    .applying(.clamp(low: 1e-12, high: .greatestFiniteMagnitude))
                gradP = Tensor.combining(.multiply, g, Tensor.combining(.divide, Tensor.combining(.subtract, p, y), variance))
                    .unbroadcast(to: p.shape)
            }
            let gradY = y.requiresGrad ? Tensor.combining(.multiply, g, logRatio).applying(.negate).unbroadcast(to: y.shape) : nil
            return [gradP, gradY]
        }
    }
    return elementwise.reduced(reduction)
}

/// Binary cross-entropy on logits x (no sigmoid before it): softplus(x) − x·y, which equals
/// max(x, 0) − x·y + ln(1 + e^{−|x|}) and never overflows. Its backward is σ(x) − y.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func binaryCrossEntropyWithLogits<Scalar>(_ logits: Tensor<Scalar>, _ target: Tensor<Scalar>,
                                                 reduction: LossReduction = .mean) -> Tensor<Scalar> {
    (softplus(logits) - logits * target).reduced(reduction)
}

/// Checks `labels` against a `[N, classes]` tensor, naming the first bad label.
private func validateLabels<Scalar>(_ labels: [Int], for logits: Tensor<Scalar>, function: String) {
    precondition(logits.rank == 2, "\(function): expected [N, classes], got \(logits.shape)")
    precondition(labels.count == logits.shape[0], "\(function): \(labels.count) labels for \(logits.shape[0]) rows")
    for (row, label) in labels.enumerated() where label < 0 || label >= logits.shape[1] {
        preconditionFailure("\(function): label \(label) out of range for \(logits.shape[1]) classes at row \(row)")
    }
}

/// Softmax cross-entropy from logits `[N, classes]` and class indices, fused and stable:
/// `loss_i = ln Σⱼ e^{x_ij} − x_{i,yᵢ}` (with the max subtracted inside the log-sum-exp).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func softmaxCrossEntropy<Scalar>(logits: Tensor<Scalar>, labels: [Int],
                                        reduction: LossReduction = .mean) -> Tensor<Scalar> {
    validateLabels(labels, for: logits, function: "softmaxCrossEntropy")
    let (n, classes) = (logits.shape[0], logits.shape[1])
    let probabilities = Tensor<Scalar>(uninitializedShape: logits.shape)
    Scalar.softmaxRows(logits.data, probabilities.data, rows: n, columns: classes, logarithmic: true)   // log-softmax
    var total: Scalar = 0
    for (i, label) in labels.enumerated() { total -= probabilities.data[i * classes + label] }
    let out = Tensor<Scalar>(reduction == .mean && n > 0 ? total / Scalar(n) : total)
    if Tensor.recordsGradient(logits) {
        Scalar.map(.exp, probabilities.data, probabilities.data, count: probabilities.count)   // softmax
        // The backward of softmax cross-entropy:  ∂L/∂x_ij = (softmax(x)_ij − [j = yᵢ]) · g / N
        out.recordGradient("softmaxCrossEntropy", inputs: [logits]) { g, _ in
            let scale = g.scalar / (reduction == .mean ? Scalar(Swift.max(n, 1)) : 1)
            let gradient = Tensor<Scalar>(uninitializedShape: logits.shape)
            for (i, label) in labels.enumerated() {
                let p = probabilities.data + i * classes, d = gradient.data + i * classes
                for j in 0..<classes { d[j] = p[j] * scale }
                d[label] -= scale
            }
            return [gradient]
        }
    }
    return out
}

/// Softmax cross-entropy from logits and target distributions `[N, classes]` (one-hot or soft),
/// fused and stable: `loss_i = −Σⱼ t_ij · log softmax(x)_ij`.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func softmaxCrossEntropy<Scalar>(logits: Tensor<Scalar>, targets: Tensor<Scalar>,
                                        reduction: LossReduction = .mean) -> Tensor<Scalar> {
    precondition(logits.rank == 2 && targets.shape == logits.shape,
                 "softmaxCrossEntropy: targets \(targets.shape) must match logits \(logits.shape)")
    let (n, classes) = (logits.shape[0], logits.shape[1])
    let logProbabilities = Tensor<Scalar>(uninitializedShape: logits.shape)
    Scalar.softmaxRows(logits.data, logProbabilities.data, rows: n, columns: classes, logarithmic: true)
    var total: Scalar = 0
    for i in 0..<logits.count where targets.data[i] != 0 { total -= targets.data[i] * logProbabilities.data[i] }
    let out = Tensor<Scalar>(reduction == .mean && n > 0 ? total / Scalar(n) : total)
    if Tensor.recordsGradient(logits, targets) {
        // ∂L/∂x_ij = (softmax(x)_ij · Σₖ t_ik − t_ij) · g / N;   ∂L/∂t_ij = −log softmax(x)_ij · g / N
        out.recordGradient("softmaxCrossEntropy", inputs: [logits, targets]) { g, _ in
            let scale = g.scalar / (reduction == .mean ? Scalar(Swift.max(n, 1)) : 1)
            var gradLogits: Tensor<Scalar>? = nil
            if logits.requiresGrad {
                let gradient = Tensor<Scalar>(uninitializedShape: logits.shape)
                for i in 0..<n {
                    let t = targets.data + i * classes, lp = logProbabilities.data + i * classes, d = gradient.data + i * classes
                    var mass: Scalar = 0
                    for j in 0..<classes { mass += t[j] }
                    for j in 0..<classes { d[j] = (Scalar.exponential(lp[j]) * mass - t[j]) * scale }
                }
                gradLogits = gradient
            }
            return [gradLogits, targets.requiresGrad ? logProbabilities.applying(.times(-scale)) : nil]
        }
    }
    return out
}

/// Negative log-likelihood of log-probabilities `[N, classes]` (a log-softmax output) at class
/// indices: `loss_i = −x_{i,yᵢ}`.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func negativeLogLikelihood<Scalar>(logProbabilities: Tensor<Scalar>, labels: [Int],
                                          reduction: LossReduction = .mean) -> Tensor<Scalar> {
    validateLabels(labels, for: logProbabilities, function: "negativeLogLikelihood")
    let classes = logProbabilities.shape[1], n = labels.count
    var total: Scalar = 0
    for (i, label) in labels.enumerated() { total -= logProbabilities.data[i * classes + label] }
    let out = Tensor<Scalar>(reduction == .mean && n > 0 ? total / Scalar(n) : total)
    if Tensor.recordsGradient(logProbabilities) {
        // ∂L/∂x_ij = −[j = yᵢ] · g / N
        out.recordGradient("negativeLogLikelihood", inputs: [logProbabilities]) { g, _ in
            let scale = g.scalar / (reduction == .mean ? Scalar(Swift.max(n, 1)) : 1)
            let gradient = Tensor<Scalar>(zeros: logProbabilities.shape)
            for (i, label) in labels.enumerated() { gradient.data[i * classes + label] = -scale }
            return [gradient]
        }
    }
    return out
}
