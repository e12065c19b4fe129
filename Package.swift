// swift-tools-version: 6.1
//
// semsegloss-swift: segmentation losses with analytic gradients, metrics, distance
// transforms and a U-Net trainer. See ../shared/DESIGN.md for the layering:
//   SemSegLoss      pure-Swift maths (losses, metrics, distance transforms)
//   SemSegTraining  U-Net layers, Adam, trainer (sgemm from OpenBLAS)
//   CSemSegLoss     the hand-written C header `semsegloss.h` (the ABI contract)
//   SemSegLossC     `@c @implementation` shims exporting the ABI (dynamic library)
import PackageDescription


let package = Package(
    name: "semsegloss-swift",
    products: [
        .library(name: "SemSegLoss", targets: ["SemSegLoss"]),
        .library(name: "SemSegTraining", targets: ["SemSegTraining"]),
        .library(name: "SemSegLossC", type: .dynamic, targets: ["SemSegLossC"]),
    ],
    dependencies: [
        // `Relaxed` arithmetic: sums the loop vectoriser may reassociate into vector lanes.
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.0"),
    ],
    targets: [
        .target(
            name: "SemSegLoss",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "SemSegTraining", dependencies: ["SemSegLoss", "COpenBLAS"]),
        .target(name: "CSemSegLoss"),
        .target(
            name: "SemSegLossC",
            dependencies: ["SemSegLoss", "SemSegTraining", "CSemSegLoss"]
        ),
        .testTarget(name: "SemSegLossTests", dependencies: ["SemSegLoss"]),
        .testTarget(name: "SemSegLossCTests", dependencies: ["SemSegLossC", "CSemSegLoss", "SemSegLoss"]),
        .testTarget(name: "SemSegTrainingTests", dependencies: ["SemSegTraining", "SemSegLoss"]),
    ]
)
