import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Readers: CSV, gzip, IDX")
struct ReaderTests {
    @Test("CSV: header detection, quotes, CRLF, errors with file:line:column")
    func csv() throws {
        let t = try CSVTable.parse("a,b,label\r\n1,2,\"x, y\"\n3,4,\"say \"\"hi\"\"\"\n\n", path: "t.csv")
        #expect(t.header == ["a", "b", "label"])
        #expect(t.rows == [["1", "2", "x, y"], ["3", "4", "say \"hi\""]])
        #expect(t.lineNumbers == [2, 3])
        #expect(try t.number(row: 1, column: 0) == 3)
        #expect(throws: DataError(path: "t.csv", "'x, y' in column 'label' is not a number", line: 2, column: 3)) {
            try t.number(row: 0, column: 2)
        }
        #expect(try CSVTable.parse("1,2\n3,4\n").header == nil)
        #expect(throws: DataError(path: "r.csv", "row has 3 fields, expected 2 like the first row", line: 2)) {
            try CSVTable.parse("1,2\n3,4,5\n", path: "r.csv")
        }
        #expect(throws: DataError(path: "e.csv", "the file is empty: no rows to read")) { try CSVTable.parse("\n\n", path: "e.csv") }
        #expect(throws: DataError(path: "q.csv", "a quoted field is never closed", line: 1, column: 3)) {
            try CSVTable.parse("1,\"2\n3,4\n", path: "q.csv")
        }
        let missing = try CSVTable.parse("x,y\n1,\n", path: "m.csv")
        #expect(throws: DataError(path: "m.csv", "missing value in column 'y'", line: 2, column: 2)) { try missing.number(row: 0, column: 1) }
    }

    @Test("the digits data set: 1 797 rows of 64 pixels and a label")
    func digits() throws {
        let path = Shared.directory.appendingPathComponent("data/digits/digits.csv.gz").path
        let table = try CSVTable.read(path)
        #expect(table.header == nil && table.rows.count == 1797 && table.columnCount == 65)
        let labels = try (0..<table.rows.count).map { Int(try table.number(row: $0, column: 64)) }
        #expect((0..<10).map { c in labels.filter { $0 == c }.count } == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    }

    @Test("MNIST training set from .gz: 60 000 images, the README's pixel sum and label counts; timed")
    func mnistTraining() throws {
        let start = Date()
        let train: Dataset<Float> = try MNIST.load(.train, from: Shared.directory.appendingPathComponent("data/mnist").path)
        let seconds = Date().timeIntervalSince(start)
        print("MNIST: 60 000 training images and labels loaded from .gz in \(String(format: "%.3f", seconds)) s")
        #expect(train.features.shape == [60_000, 784])
        let labels = train.labels
        #expect((0..<10).map { c in labels.filter { $0 == c }.count } == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let sum = train.features.withUnsafeBufferPointer { $0.reduce(0.0) { $0 + Double($1) } }
        #expect(abs(sum * 255 - 1_567_298_545) < 100)
    }

    @Test("IDX: MNIST headers, counts, first labels; corrupt files are errors")
    func idx() throws {
        let directory = Shared.directory.appendingPathComponent("data/mnist").path
        let test: Dataset<Float> = try MNIST.load(.test, from: directory)
        #expect(test.features.shape == [10_000, 784] && test.targets.shape == [10_000])
        #expect(Array(test.labels.prefix(10)) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        #expect(test.features.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Pixel sum from shared/data/README.md: 264 923 200 / 255.
        let sum = test.features.scalars.reduce(0.0) { $0 + Double($1) }
        #expect(abs(sum - 264_923_200.0 / 255) < 1)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-idx-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let truncated = dir.appendingPathComponent("short").path
        try Data([0, 0, 8, 1, 0, 0, 0, 5, 1, 2]).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: DataError(path: truncated, "IDX header declares 5 = 5 bytes of data, but the file holds 2")) { try IDX.read(truncated) }
        let huge = dir.appendingPathComponent("huge").path
        try Data([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]).write(to: URL(fileURLWithPath: huge))
        #expect(throws: DataError.self) { try IDX.read(huge) }
        let garbage = dir.appendingPathComponent("garbage.gz").path
        try Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef]).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: DataError.self) { try IDX.read(garbage) }
        #expect(throws: DataError(path: dir.path + "/nope", "no such file")) { try IDX.read(dir.path + "/nope") }
    }
}
