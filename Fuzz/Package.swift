// swift-tools-version:6.1
// libFuzzer targets for every reader of user files (and, for checkpoints, the resume behind the
// reader). Built and run by `Fuzz/run`, which places this manifest beside a link named `synapse` to
// the repository (a path dependency's identity is its directory name, and a clone's directory can be
// called anything).
import PackageDescription

let readers = ["CSV", "IDX", "NPY", "SafeTensors", "Architecture", "Options", "Checkpoint"]

let package = Package(
    name: "SynapseFuzz",
    dependencies: [.package(path: "synapse")],
    targets: [.target(name: "FuzzSupport", path: "Sources/FuzzSupport")] + readers.map { reader in
        .executableTarget(name: "Fuzz\(reader)", dependencies: ["FuzzSupport", .product(name: "Synapse", package: "synapse")],
                          path: "Sources/Fuzz\(reader)")
    }
)
