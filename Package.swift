// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Synapse",
    products: [
        .library(name: "Synapse", targets: ["Synapse"]),
        .library(name: "SynapseCommandLine", targets: ["SynapseCommandLine"]),
        .executable(name: "synapse", targets: ["SynapseCLI"]),
    ],
    traits: [
        .trait(name: "OpenBLAS", description: "Adds GEMM.Backend.blas: products through OpenBLAS's cblas_sgemm/cblas_dgemm (needs libopenblas-dev)."),
        .default(enabledTraits: []),
    ],
    targets: [
        // zlib, for .gz data files (Debian: zlib1g-dev; macOS: in the SDK).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // FMA micro-kernels (AVX2, AVX-512) selected at run time; plain C, no unsafe flags.
        .target(name: "CSynapseKernels", path: "Sources/CSynapseKernels"),
        // OpenBLAS, only with the OpenBLAS trait (`swift build --traits OpenBLAS`).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        // The floors, each a target that can import only the ones below it (the compiler enforces
        // "no arrow up"); see "Design" in the README for the picture.
        // Floor 1: Random, Kernels (loops over raw buffers), Tensor, Autograd.
        .target(name: "SynapseCore",
                dependencies: ["CSynapseKernels", .target(name: "CBLAS", condition: .when(traits: ["OpenBLAS"]))],
                path: "Sources/SynapseCore"),
        // Floor 2: Layers, Initializers, Optimizers (each optimizer owns its update loop).
        .target(name: "SynapseNN", dependencies: ["SynapseCore", "CSynapseKernels"], path: "Sources/SynapseNN"),
        // Floor 3: Data readers, model files, checkpoints, Model, fit, callbacks, metrics, the tutorial.
        .target(name: "SynapseTraining", dependencies: ["SynapseNN", "CZlib"], path: "Sources/SynapseTraining"),
        // The umbrella: `import Synapse` re-exports the three floors.
        .target(name: "Synapse", dependencies: ["SynapseCore", "SynapseNN", "SynapseTraining"], path: "Sources/Synapse"),
        // Every command's logic, as a library (the top floor): testable in-process.
        .target(name: "SynapseCommandLine", dependencies: ["Synapse"], path: "Sources/SynapseCommandLine"),
        // The `synapse` executable: a few lines of main.
        .executableTarget(name: "SynapseCLI", dependencies: ["SynapseCommandLine"], path: "Sources/SynapseCLI"),
        .testTarget(name: "SynapseTests", dependencies: ["Synapse", "SynapseCore", "SynapseNN", "SynapseTraining", "SynapseCommandLine"], path: "Tests/SynapseTests"),
    ]
)
