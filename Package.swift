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
        .target(name: "Synapse", dependencies: ["CZlib"], path: "Sources/Synapse"),
        .executableTarget(name: "SynapseCLI", dependencies: ["Synapse"], path: "Sources/SynapseCLI"),
        .testTarget(name: "SynapseTests", dependencies: ["Synapse"], path: "Tests/SynapseTests"),
    ]
)
