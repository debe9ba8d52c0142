// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Synapse",
    products: [
        .library(name: "Synapse", targets: ["Synapse"]),
        .executable(name: "synapse", targets: ["SynapseCLI"]),
    ],
    targets: [
        .target(name: "Synapse", path: "Sources/Synapse"),
        .executableTarget(name: "SynapseCLI", dependencies: ["Synapse"], path: "Sources/SynapseCLI"),
        .testTarget(name: "SynapseTests", dependencies: ["Synapse"], path: "Tests/SynapseTests"),
    ]
)
