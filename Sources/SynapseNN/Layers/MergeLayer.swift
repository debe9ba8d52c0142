import SynapseCore
/// A layer that merges the outputs of several earlier layers into one tensor — ``Add`` and
/// ``Concatenate`` — as the node of a ``Graph`` that has two or more inputs (Keras's merge layers).
///
/// Called with a single tensor (the ``Layer`` requirement) a merge layer has one input to merge and
/// returns it unchanged; a ``Sequential`` holding one is refused by shape inference.
public protocol MergeLayer<Scalar>: Layer {
    /// The merged tensor of `inputs` (two or more, in the order of the node's inputs).
    func callAsFunction(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar>
}

extension MergeLayer {
    /// A merge of one tensor: the tensor.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { self([x]) }
}
