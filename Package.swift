// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Synapse",
    products: [
        .library(name: "Synapse", targets: ["Synapse"]),
        .executable(name: "synapse", targets: ["SynapseCLI"]),
    ],
    targets: [
        // zlib, for .gz data files (Debian: zlib1g-dev; macOS: in the SDK).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // FMA micro-kernels (AVX2, AVX-512) selected at run time; plain C, no unsafe flags.
        .target(name: "CSynapseKernels", path: "Sources/CSynapseKernels"),
        .target(name: "Synapse", dependencies: ["CZlib", "CSynapseKernels"], path: "Sources/Synapse"),
        .executableTarget(name: "SynapseCLI", dependencies: ["Synapse"], path: "Sources/SynapseCLI"),
        .testTarget(name: "SynapseTests", dependencies: ["Synapse"], path: "Tests/SynapseTests"),
    ]
)
