import CSynapseKernels
import Foundation

/// An n-dimensional array of `Float` or `Double` in row-major (C) order that can record how it was
/// computed, so that ``backward(gradient:)`` can differentiate through it.
///
/// `Tensor` is a reference type, like a PyTorch tensor: a model's parameters are shared between
/// the model and its optimizer, and `.grad` belongs to the parameter itself. Operations such as
/// `a + b` always return a new tensor; the few that update in place (`+=`, ``update(_:)``)
/// say so.
///
/// ```swift
/// let w = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4], requiresGrad: true)
/// let x = Tensor<Double>(shape: [1, 2], scalars: [0.5, -1])
/// let loss = matmul(x, w).squared().sum()
/// loss.backward()
/// print(w.grad!)   // ∂loss/∂w
/// ```
///
/// Storage is always contiguous. ``reshaped(_:)`` and first-axis slices (``rows(_:)``) share the
/// storage of the tensor they came from; everything else copies.
public final class Tensor<Scalar: TensorScalar> {
    /// The size of each dimension, outermost first. `[]` is a scalar (rank 0).
    public let shape: [Int]
    /// The number of elements (the product of ``shape``).
    public let count: Int
    /// The first element of the contiguous storage.
    @usableFromInline package let data: UnsafeMutablePointer<Scalar>
    /// When this tensor is a view, the tensor that owns `data` (kept alive by this reference).
    private let owner: Tensor?

    /// Whether operations on this tensor record their gradient. Set it on the leaves you want
    /// gradients for (parameters); results of recorded operations have it set automatically.
    @exclusivity(unchecked) public var requiresGrad: Bool
    /// The gradient accumulated by ``backward(gradient:)`` (leaves only), or nil before any backward pass.
    @exclusivity(unchecked) public var grad: Tensor?
    /// How this tensor was computed, when recorded (nil for leaves and in inference).
    @exclusivity(unchecked) var gradientFunction: GradientFunction<Scalar>?

    /// Creates a tensor with freshly allocated, **uninitialised** storage; callers must write every element.
    @usableFromInline package init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.count = count
        // malloc directly: `UnsafeMutablePointer.allocate` goes through posix_memalign, which costs
        // more than the work of a small operation. malloc's 16-byte alignment suits the SIMD loops.
        _ = Allocator.configured
        guard let raw = malloc(Swift.max(count, 1) * MemoryLayout<Scalar>.stride) else {
            fatalError("out of memory allocating a tensor of shape \(shape)")
        }
        self.data = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
        self.owner = nil
        self.requiresGrad = false
    }

    /// Creates a view sharing `owner`'s storage from element `offset`.
    init(viewOf base: Tensor, offset: Int, shape: [Int]) {
        let count = shape.reduce(1, *)
        precondition(offset >= 0 && offset + count <= base.count, "view out of range")
        self.shape = shape
        self.count = count
        self.data = base.data + offset
        self.owner = base.owner ?? base
        self.requiresGrad = false
    }

    deinit {
        if owner == nil { free(data) }
        if gradientFunction != nil { GradientFunction.release(&gradientFunction) }
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// Whether this tensor is a view of another's storage.
    var isView: Bool { owner != nil }

    /// Whether this tensor was created by the user rather than by a recorded operation.
    public var isLeaf: Bool { gradientFunction == nil }

    /// The elements in row-major order, copied into an array.
    public var scalars: [Scalar] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single element of a one-element tensor (PyTorch's `item()`).
    public var scalar: Scalar {
        precondition(count == 1, "scalar needs a tensor with one element, got shape \(shape)")
        return data[0]
    }

    /// Calls `body` with the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: data, count: count))
    }

    /// Calls `body` with mutable access to the elements, in place. Views see the change; recorded
    /// graphs that saved this tensor do not know about it, so only mutate outside differentiation.
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: data, count: count))
    }

    /// The flat row-major offset of a multi-index.
    func offset(of indices: [Int]) -> Int {
        precondition(indices.count == rank, "expected \(rank) indices for shape \(shape), got \(indices.count)")
        var offset = 0
        for (i, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[i], "index \(index) out of range for dimension \(i) of size \(shape[i])")
            offset = offset * shape[i] + index
        }
        return offset
    }

    /// Reads or writes one element by its multi-index (`t[1, 0]`).
    public subscript(indices: Int...) -> Scalar {
        get { data[offset(of: indices)] }
        set { data[offset(of: indices)] = newValue }
    }

    /// A copy with its own storage, detached from any recorded graph.
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        result.data.update(from: data, count: count)
        return result
    }

    /// A view of the same storage that records nothing (PyTorch's `detach()`).
    public func detached() -> Tensor {
        Tensor(viewOf: self, offset: 0, shape: shape)
    }

    /// Converts the elements to another scalar type (a new tensor, not recorded).
    public func converted<Other: TensorScalar>(to type: Other.Type = Other.self) -> Tensor<Other> {
        let result = Tensor<Other>(uninitializedShape: shape)
        for i in 0..<count { result.data[i] = Other(data[i]) }
        return result
    }
}

extension Tensor {
    /// The elements truncated to `Int` (class labels), in memory order.
    public var integerScalars: [Int] { Scalar.integers(data, count: count) }

    /// The elements as `Double`, in memory order.
    public var doubleScalars: [Double] { Scalar.doubles(data, count: count) }
}

/// One-time tuning of the C allocator for tensor workloads: training frees and re-allocates
/// same-sized buffers of hundreds of kilobytes every step. glibc would hand such blocks back to
/// the kernel (mmap/munmap or heap trimming), so every step paid page faults and page clearing;
/// keeping them in the heap makes reuse free.
enum Allocator {
    static let configured: Void = {
        synapse_configure_allocator()
    }()
}
