import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("CSV datasets")
struct CSVDatasetTests {
    let iris = """
        sepal length,sepal width,species,petal length
        5.1,3.5,setosa,1.4
        7.0,3.2,versicolor,4.7
        6.3,3.3,virginica,6.0
        4.9,3.0,setosa,1.4

        """

    @Test("columns by name and index; string labels become sorted class indices")
    func labels() throws {
        let data = try CSVDataset<Float>.parse(iris, path: "iris.csv", target: "species")
        #expect(data.hasHeader && data.featureNames == ["sepal length", "sepal width", "petal length"])
        #expect(data.targetName == "species" && data.classNames == ["setosa", "versicolor", "virginica"])
        #expect(data.dataset.features.shape == [4, 3] && data.dataset.features.scalars[0..<3] == [5.1, 3.5, 1.4])
        #expect(data.dataset.labels == [0, 1, 2, 0])
        let chosen = try CSVDataset<Double>.parse(iris, target: 2, features: ["petal length", 0])
        #expect(chosen.featureNames == ["petal length", "sepal length"] && chosen.dataset.features.scalars[0..<2] == [1.4, 5.1])
        // A model's class names fix the mapping; unknown labels are errors with their line.
        let fixed = try CSVDataset<Float>.parse(iris, target: "species", classNames: ["virginica", "setosa", "versicolor"])
        #expect(fixed.dataset.labels == [1, 2, 0, 1])
        #expect(throws: DataError(path: "iris.csv", "label 'virginica' is not one of the model's classes (setosa, versicolor)", line: 4)) {
            try CSVDataset<Float>.parse(iris, path: "iris.csv", target: "species", classNames: ["setosa", "versicolor"])
        }
        // No target: features only.
        let unlabeled = try CSVDataset<Float>.parse("1,2\n3,4\n", target: nil)
        #expect(unlabeled.targetName == nil && unlabeled.dataset.features.scalars == [1, 2, 3, 4] && !unlabeled.hasHeader)
    }

    @Test("numeric targets stay numbers; numeric class names sort numerically; other delimiters")
    func numbers() throws {
        let data = try CSVDataset<Double>.parse("x;y\n1;2.5\n2;-1e3\n", target: "y", delimiter: ";")
        #expect(data.classNames == nil && data.dataset.targets.scalars == [2.5, -1000])
        let classes = try CSVDataset<Float>.parse("a\tk\n1\t10\n2\t9\n3\t10\n", target: 1, delimiter: "\t", labels: .classNames)
        #expect(classes.classNames == ["9", "10"] && classes.dataset.labels == [1, 0, 1])
        #expect(throws: DataError(path: "-", "target 'cat' in column 'k' is not a number", line: 2, column: 3)) {
            try CSVDataset<Float>.parse("a,k\n1,cat\n", target: "k", labels: .numbers)
        }
    }

    @Test("missing values: an error naming file:line:column, or dropped rows")
    func missing() throws {
        let text = "a,b,y\n1,2,0\n3,,1\n4,NA,0\n5,6,\n7,8,1\n"
        #expect(throws: DataError(path: "m.csv", "missing value in column 'b' (fill such values with '--impute', or leave their rows out with '--drop-missing'; missingValues: .dropRows in Swift)", line: 3, column: 3)) {
            try CSVDataset<Float>.parse(text, path: "m.csv", target: "y")
        }
        let dropped = try CSVDataset<Float>.parse(text, target: "y", missingValues: .dropRows)
        #expect(dropped.droppedRows == 3 && dropped.dataset.features.scalars == [1, 2, 7, 8] && dropped.dataset.labels == [0, 1])
    }

    @Test("column errors name what exists")
    func columnErrors() throws {
        #expect(throws: DataError(path: "-", "no target column 'kind' in the header (columns: a, b)")) {
            try CSVDataset<Float>.parse("a,b\n1,2\n", target: "kind")
        }
        #expect(throws: DataError(path: "-", "target column 'b' is named, but the file has no header row (give the column's number instead, counting from 1)")) {
            try CSVDataset<Float>.parse("1,2\n3,4\n", target: "b")
        }
        #expect(throws: DataError(path: "-", "target column 6 does not exist (the file has 2 columns: 1 to 2)")) {
            try CSVDataset<Float>.parse("1,2\n3,4\n", target: 5)
        }
        #expect(throws: DataError(path: "-", "column 'a' cannot be both a feature and the target")) {
            try CSVDataset<Float>.parse("a,b\n1,2\n", target: "a", features: ["a"])
        }
        #expect(throws: DataError(path: "-", "the delimiter must be one ASCII character other than a quote or line end, got '\"'")) {
            try CSVDataset<Float>.parse("a,b\n1,2\n", target: 0, delimiter: "\"")
        }
    }

    @Test("a file of millions of values: streamed from a mapped file, gzip too")
    func largeFile() throws {
        let directory = try temporaryDirectory("csv")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var text = "f0,f1,f2,f3,f4,f5,f6,f7,label\n"
        var g = RandomGenerator(seed: 5)
        for i in 0..<100_000 {
            for _ in 0..<8 { text += String(format: "%.6f,", g.nextDouble() * 100 - 50) }
            text += i % 3 == 0 ? "yes\n" : "no\n"
        }
        let path = "\(directory)/big.csv"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let start = Date()
        let data = try CSVDataset<Float>.load(path, target: "label")
        let seconds = Date().timeIntervalSince(start)
        print("CSV: \(text.utf8.count / 1_000_000) MB, 900 000 values in \(String(format: "%.3f", seconds)) s")
        #expect(data.dataset.count == 100_000 && data.classNames == ["no", "yes"] && data.dataset.labels[0..<3] == [1, 0, 0])
        let table = try CSVTable.read(path)
        #expect(Float(try table.number(row: 99_999, column: 7)) == data.dataset.features.scalars[799_999])

        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", path]
        try gzip.run()
        gzip.waitUntilExit()
        try #require(gzip.terminationStatus == 0, "gzip failed")
        let compressed = try CSVDataset<Float>.load(path + ".gz", target: "label")
        #expect(compressed.dataset.features.scalars == data.dataset.features.scalars && compressed.dataset.labels == data.dataset.labels)
    }
}
