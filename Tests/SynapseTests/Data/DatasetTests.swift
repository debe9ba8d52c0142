import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Datasets and scaling")
struct DatasetTests {
    static func sample(_ n: Int) -> Dataset<Double> {
        Dataset(features: Tensor(shape: [n, 2], scalars: (0..<(2 * n)).map(Double.init)),
                targets: Tensor(shape: [n], scalars: (0..<n).map(Double.init)))
    }

    @Test("batches: in order as views, shuffled by seed, drop-last")
    func batching() {
        let data = Self.sample(10)
        let ordered = data.batches(size: 4)
        #expect(ordered.map(\.count) == [4, 4, 2])
        #expect(ordered[1].labels == [4, 5, 6, 7])
        #expect(data.batches(size: 4, dropLast: true).map(\.count) == [4, 4])
        var g1 = RandomGenerator(seed: 3), g2 = RandomGenerator(seed: 3)
        let s1 = data.batches(size: 3, shuffledBy: &g1).flatMap(\.labels)
        let s2 = data.batches(size: 3, shuffledBy: &g2).flatMap(\.labels)
        #expect(s1 == s2 && s1.sorted() == Array(0..<10) && s1 != Array(0..<10))
        // Features travel with their targets.
        for batch in data.batches(size: 3, shuffledBy: &g1) {
            for (row, label) in batch.labels.enumerated() { #expect(batch.features[row, 0] == Double(2 * label)) }
        }
    }

    @Test("split: disjoint, complete, seeded")
    func splitting() {
        let (train, held) = Self.sample(100).split(heldOutFraction: 0.2, seed: 7)
        #expect(train.count == 80 && held.count == 20)
        #expect(Set(train.labels).isDisjoint(with: held.labels) && Set(train.labels + held.labels).count == 100)
        #expect(Self.sample(100).split(heldOutFraction: 0.2, seed: 7).heldOut.labels == held.labels)
    }

    @Test("standard and min-max scaling fitted on training data")
    func scaling() {
        let x = Tensor<Double>(shape: [4, 2], scalars: [1, 10, 2, 10, 3, 10, 4, 10])
        let standard = FeatureScaling(fitting: x, method: .standard)
        #expect(standard.shift == [2.5, 10] && abs(standard.scale[0] - 1.118033988749895) < 1e-15 && standard.scale[1] == 1)
        let z = standard.apply(x)
        #expect(abs(z.mean(axis: 0).scalars[0]) < 1e-15 && z.scalars[1] == 0)
        let minMax = FeatureScaling(fitting: x, method: .minMax)
        #expect(minMax.apply(x).scalars == [0, 0, 1.0 / 3, 0, 2.0 / 3, 0, 1, 0])
        // Applied to new data with the training statistics.
        #expect(minMax.apply(Tensor(shape: [1, 2], scalars: [7, 10])).scalars == [2, 0])
    }
}
