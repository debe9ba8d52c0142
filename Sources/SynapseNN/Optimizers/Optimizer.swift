import SynapseCore
/// Updates parameters from their gradients (PyTorch's `torch.optim.Optimizer`).
///
/// ```swift
/// let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
/// optimizer.zeroGrad(); loss.backward(); optimizer.step()
/// ```
///
/// Parameters whose `grad` is nil are skipped. The whole state (hyper-parameters, step counts,
/// moment buffers) is exported by ``state`` and restored by ``load(state:)``, so a checkpointed
/// run continues bit for bit.
public protocol Optimizer<Scalar>: AnyObject {
    /// The scalar type of the parameters.
    associatedtype Scalar: TensorScalar
    /// The tensors updated, in order.
    var parameters: [Tensor<Scalar>] { get }
    /// The step size η (schedules change it between steps).
    var learningRate: Double { get set }
    /// One update of every parameter that has a gradient.
    func step()
    /// A snapshot of everything the optimizer remembers.
    var state: OptimizerState { get }
    /// Restores a snapshot taken by ``state`` from an optimizer of the same kind over parameters of the same shapes.
    func load(state: OptimizerState) throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

/// What every optimizer shares — the parameters, the learning rate, per-parameter step counts and
/// buffers, the loop over parameters that have a gradient, and the state snapshot — so that each
/// optimizer's file holds only its hyper-parameters and its update rule (as MLX's
/// `applySingle(gradient:parameter:state:)` or llm.c's one update loop).
///
/// A subclass overrides ``update(_:gradient:index:step:)``, ``kind`` and ``hyperparameters``, and
/// implements `load(state:)` (checking its hyper-parameters, then ``restoreSlots(from:)``).
public class OptimizerBase<Scalar: TensorScalar> {
    /// The tensors updated, in order.
    public let parameters: [Tensor<Scalar>]
    /// η, the step size (schedules change it between steps).
    public var learningRate: Double
    /// Step counts and lazily created buffers, one per parameter.
    var slots: OptimizerSlots<Scalar>

    /// An optimizer over `parameters` keeping the per-parameter buffers `bufferNames` (PyTorch's
    /// `state_dict` names: `exp_avg`, `momentum_buffer`, …).
    init(parameters: [Tensor<Scalar>], learningRate: Double, bufferNames: [String]) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.slots = OptimizerSlots(parameterCount: parameters.count, bufferNames: bufferNames)
    }

    /// One update of every parameter that has a gradient (parameters without one are skipped and
    /// their step counts stay).
    public func step() {
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            update(parameter, gradient: gradient, index: index, step: slots.advance(index))
        }
    }

    /// The update of one parameter; `step` counts this parameter's updates, 1 on the first.
    func update(_ parameter: Tensor<Scalar>, gradient: Tensor<Scalar>, index: Int, step: Int) {
        preconditionFailure("\(type(of: self)) must override update(_:gradient:index:step:)")
    }

    /// The name saved in the state (`SGD`, `Adam`, …), checked when a state is loaded.
    var kind: String { preconditionFailure("\(type(of: self)) must override kind") }

    /// The hyper-parameters by name, as the state stores them (flags as 0 or 1).
    var hyperparameters: [String: Double] { preconditionFailure("\(type(of: self)) must override hyperparameters") }

    /// A snapshot of everything the optimizer remembers: kind, hyper-parameters, steps and buffers.
    public var state: OptimizerState { slots.state(kind: kind, hyperparameters: hyperparameters) }

    /// Restores step counts and buffers from `state` after checking its kind and every buffer's size;
    /// the subclass's `load(state:)` reads and checks its hyper-parameters first, so nothing changes
    /// when the state is refused.
    func restoreSlots(from state: OptimizerState) throws {
        try slots.load(state, kind: kind, parameters: parameters)
    }

    /// The buffer `name` of parameter `index`, created shaped like `parameter` and filled with `initial`.
    func buffer(_ name: String, _ index: Int, like parameter: Tensor<Scalar>, initial: Scalar = 0) -> Tensor<Scalar> {
        slots.buffer(name, index, like: parameter, initial: initial)
    }
}

/// `tensor`'s storage seen as `T`, the concrete type the caller has checked `Scalar` is: optimizers
/// run their update loops on `Float` or `Double` pointers, so each loop is fully specialised.
func storage<Scalar, T>(_ tensor: Tensor<Scalar>, as _: T.Type) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(tensor.data).assumingMemoryBound(to: T.self)
}

/// An optimizer's serialisable state: its kind, hyper-parameters, per-parameter step counts and
/// buffers (values stored as `Double`, exact for `Float` and `Double` parameters).
public struct OptimizerState: Sendable, Equatable, Codable {
    /// The optimizer's name (`SGD`, `Adam`, …).
    public var kind: String
    /// Hyper-parameters by name (`learningRate`, `beta1`, …).
    public var hyperparameters: [String: Double]
    /// How many updates each parameter has received.
    public var steps: [Int]
    /// Buffers by name (`momentum`, `exp_avg`, …): one entry per parameter, nil where not yet created.
    public var buffers: [String: [[Double]?]]
}

/// Why an optimizer state cannot be loaded.
public struct OptimizerStateError: Error, Equatable, CustomStringConvertible {
    /// What does not match.
    public var message: String
    /// The message.
    public var description: String { "cannot load optimizer state: \(message)" }
}

/// The per-parameter bookkeeping every optimizer shares: step counts and lazily created buffers.
struct OptimizerSlots<Scalar: TensorScalar> {
    let names: [String]
    private(set) var steps: [Int]
    private var buffers: [String: [Tensor<Scalar>?]]

    init(parameterCount: Int, bufferNames: [String]) {
        names = bufferNames
        steps = [Int](repeating: 0, count: parameterCount)
        buffers = Dictionary(uniqueKeysWithValues: bufferNames.map { ($0, [Tensor<Scalar>?](repeating: nil, count: parameterCount)) })
    }

    /// Counts one more update of parameter `index` and returns the new count (1 on the first update).
    mutating func advance(_ index: Int) -> Int {
        steps[index] += 1
        return steps[index]
    }

    /// The buffer `name` of parameter `index`, created shaped like `parameter` and filled with `initial`.
    mutating func buffer(_ name: String, _ index: Int, like parameter: Tensor<Scalar>, initial: Scalar = 0) -> Tensor<Scalar> {
        if let existing = buffers[name]![index] { return existing }
        let created = Tensor<Scalar>(repeating: initial, shape: parameter.shape)
        buffers[name]![index] = created
        return created
    }

    /// The snapshot of these slots with the optimizer's kind and hyper-parameters.
    func state(kind: String, hyperparameters: [String: Double]) -> OptimizerState {
        OptimizerState(kind: kind, hyperparameters: hyperparameters, steps: steps,
                       buffers: buffers.mapValues { $0.map { $0.map { $0.scalars.map(Double.init) } } })
    }

    /// Restores slots from `state`, checking kind, parameter count and every buffer's size.
    mutating func load(_ state: OptimizerState, kind: String, parameters: [Tensor<Scalar>]) throws {
        guard state.kind == kind else { throw OptimizerStateError(message: "it belongs to \(state.kind), not \(kind)") }
        if let bad = state.steps.first(where: { !(0...(1 << 40)).contains($0) }) {
            throw OptimizerStateError(message: "a step count of \(bad) is outside 0...2^40")
        }
        if let (name, _) = state.hyperparameters.first(where: { !$0.value.isFinite }) {
            throw OptimizerStateError(message: "hyper-parameter '\(Excerpt.of(name))' is not finite")
        }
        guard state.steps.count == parameters.count else {
            throw OptimizerStateError(message: "it covers \(state.steps.count) parameters, this optimizer has \(parameters.count)")
        }
        var restored: [String: [Tensor<Scalar>?]] = [:]
        for name in names {
            guard let saved = state.buffers[name], saved.count == parameters.count else {
                throw OptimizerStateError(message: "buffer '\(name)' is missing or has the wrong number of entries")
            }
            restored[name] = try zip(saved, parameters).enumerated().map { index, pair in
                guard let values = pair.0 else { return nil }
                guard values.count == pair.1.count else {
                    throw OptimizerStateError(message: "buffer '\(name)' of parameter \(index) has \(values.count) values, the parameter \(pair.1.shape) has \(pair.1.count)")
                }
                return Tensor(shape: pair.1.shape, scalars: values.map { Scalar($0) })
            }
        }
        steps = state.steps
        buffers = restored
    }
}

extension OptimizerState {
    /// A hyper-parameter, or an error naming it.
    func value(_ name: String) throws -> Double {
        guard let value = hyperparameters[name] else { throw OptimizerStateError(message: "hyper-parameter '\(name)' is missing") }
        return value
    }

    /// A finite hyper-parameter of at least `least` (and below `bound`, when given), or an error naming it.
    func value(_ name: String, atLeast least: Double, below bound: Double = .infinity) throws -> Double {
        let value = try value(name)
        guard value.isFinite, value >= least, value < bound else {
            throw OptimizerStateError(message: "hyper-parameter '\(name)' is \(value), outside [\(least), \(bound == .infinity ? "∞" : String(bound)))")
        }
        return value
    }

    /// A yes/no hyper-parameter, stored as 1 or 0.
    func flag(_ name: String) throws -> Bool {
        let value = try value(name)
        guard value == 0 || value == 1 else { throw OptimizerStateError(message: "hyper-parameter '\(name)' is \(value), not 0 or 1") }
        return value == 1
    }
}
