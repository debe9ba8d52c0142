import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Backward pass semantics")
struct BackwardTests {
    @Test("a diamond graph: x feeds two branches that meet again")
    func diamond() {
        let x = Tensor<Double>(3, requiresGrad: true)
        let a = x * 2, b = x * x
        let y = a * b          // y = 2x · x² = 2x³  ⇒  dy/dx = 6x² = 54
        y.backward()
        #expect(x.grad?.scalar == 54)
    }

    @Test("backward twice accumulates; zeroGrad clears")
    func accumulation() {
        let x = Tensor<Double>([1, 2, 3], requiresGrad: true)
        let y = (x * x).sum()
        y.backward()
        #expect(x.grad?.scalars == [2, 4, 6])
        y.backward()
        #expect(x.grad?.scalars == [4, 8, 12])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test("tensors that do not require gradients get none; inference records nothing")
    func inferenceRecordsNothing() {
        let w = Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4], requiresGrad: true)
        let x = Tensor<Float>(shape: [1, 2], scalars: [1, 1])
        let y = matmul(x, w).sum()
        #expect(y.requiresGrad && !y.isLeaf)
        y.backward()
        #expect(x.grad == nil)
        #expect(w.grad?.scalars == [1, 1, 1, 1])
        let z = withoutGradients { matmul(x, w).sum() }
        #expect(!z.requiresGrad && z.isLeaf)
        let plain = matmul(x, x, transposeB: true)
        #expect(!plain.requiresGrad && plain.isLeaf)
    }

    @Test("a deep chain does not overflow the stack")
    func deepChain() {
        let x = Tensor<Double>(1, requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y + 0.001 }
        y.backward()
        #expect(x.grad?.scalar == 1)
    }

    @Test("a non-scalar result needs an explicit gradient")
    func explicitGradient() {
        let x = Tensor<Double>([1, 2], requiresGrad: true)
        let y = x * 3
        y.backward(gradient: Tensor([1, 10]))
        #expect(x.grad?.scalars == [3, 30])
    }

    @Test("gradients of shared broadcast operands are not aliased")
    func noAliasing() {
        let a = Tensor<Double>([1, 2], requiresGrad: true), b = Tensor<Double>([3, 4], requiresGrad: true)
        (a + b).sum().backward()
        withoutGradients { a.grad! += Tensor([100, 100]) }
        #expect(b.grad?.scalars == [1, 1])
        // A leaf's gradient adopts a fresh gradient tensor, but never one someone else holds: the
        // caller's seed, or a gradient shared with another input (x + x), or a view.
        let leaf = Tensor<Double>([1, 2], requiresGrad: true), seed = Tensor<Double>([5, 6])
        leaf.backward(gradient: seed)
        #expect(leaf.grad !== seed && leaf.grad?.scalars == [5, 6])
        withoutGradients { leaf.grad! += Tensor([1, 1]) }
        #expect(seed.scalars == [5, 6])
        let x = Tensor<Double>([[1, 2], [3, 4]], requiresGrad: true), y = Tensor<Double>([[1, 1], [1, 1]], requiresGrad: true)
        matmul(x, y).sum().backward()
        #expect(x.grad?.scalars == [2, 2, 2, 2] && y.grad?.scalars == [4, 4, 6, 6] && x.grad !== y.grad)
    }
}
