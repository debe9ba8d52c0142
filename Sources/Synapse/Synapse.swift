/// The library's version, as `synapse --version` prints it.
public let version = "0.1.0"
