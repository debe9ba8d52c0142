// `import Synapse` brings in the three floors of the library, bottom to top:
//   SynapseCore     — Random, Kernels, Tensor, Autograd
//   SynapseNN       — Layers, Initializers, Optimizers
//   SynapseTraining — Data, model files, checkpoints, Model, fit, metrics, the tutorial
@_exported import SynapseCore
@_exported import SynapseNN
@_exported import SynapseTraining

/// The library's version, as `synapse --version` prints it.
public let version = "0.1.0"
