// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Synapse",
    products: [
        .library(name: "Synapse", targets: ["Synapse"]),
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
        .target(name: "Synapse",
                dependencies: ["CZlib", "CSynapseKernels", .target(name: "CBLAS", condition: .when(traits: ["OpenBLAS"]))],
                path: "Sources/Synapse"),
        // Every command's logic, as a library (the top floor): testable in-process.
        .target(name: "SynapseCommandLine", dependencies: ["Synapse"], path: "Sources/SynapseCommandLine"),
        // The `synapse` executable: a few lines of main.
        .executableTarget(name: "SynapseCLI", dependencies: ["SynapseCommandLine"], path: "Sources/SynapseCLI"),
        .testTarget(name: "SynapseTests", dependencies: ["Synapse", "SynapseCommandLine"], path: "Tests/SynapseTests"),
    ]
)
