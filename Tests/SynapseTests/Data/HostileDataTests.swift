import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Builders for hostile inputs: every file is made here, in a fresh temporary directory.
enum Hostile {
    /// A fresh temporary directory.
    static func directory(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-hostile-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// `bytes` compressed by the `gzip` tool (one member).
    static func gzip(_ bytes: [UInt8], level: Int = 6) throws -> [UInt8] {
        let directory = try directory("gzip")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = "\(directory)/in"
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", "-\(level)", input]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "gzip failed")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: input + ".gz")))
    }

    /// A gzip file of `header` followed by `megabytes` MiB of zeros, as concatenated members (a
    /// 1 MiB member repeated: fast to make, and a valid gzip file that inflates to all of it).
    static func zeroBomb(header: [UInt8], megabytes: Int) throws -> [UInt8] {
        let member = try gzip([UInt8](repeating: 0, count: 1 << 20), level: 9)
        var bytes = try gzip(header)
        bytes.reserveCapacity(bytes.count + member.count * megabytes)
        for _ in 0..<megabytes { bytes += member }
        return bytes
    }

    /// An IDX header of unsigned bytes with these dimensions.
    static func idxHeader(_ dimensions: [UInt32]) -> [UInt8] {
        [0, 0, 8, UInt8(dimensions.count)] + dimensions.flatMap { v in (0..<4).reversed().map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
    }

    /// Writes `bytes` to `directory/name` and returns the path.
    static func write(_ bytes: [UInt8], _ directory: String, _ name: String) throws -> String {
        let path = "\(directory)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The `DataError` that `body` throws (a failure is recorded when it throws none, or another error).
    static func error(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DataError? {
        do {
            try body()
            Issue.record("no error was thrown", sourceLocation: sourceLocation)
        } catch let error as DataError {
            return error
        } catch {
            Issue.record("not a DataError: \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }
}

@Suite("Hostile data files")
struct HostileDataTests {
    // MARK: 1. gzip bombs

    @Test("an IDX gzip bomb (a 10-image header, then 200 MB of zeros) is refused after inflating what the header declares")
    func idxGzipBomb() throws {
        let directory = try Hostile.directory("idx-bomb")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bomb = try Hostile.zeroBomb(header: Hostile.idxHeader([10, 28, 28]) + [UInt8](repeating: 1, count: 7840), megabytes: 200)
        #expect(bomb.count < 1_000_000)
        let path = try Hostile.write(bomb, directory, "train-images-idx3-ubyte.gz")
        let start = Date()
        let error = Hostile.error { _ = try IDX.read(path) }
        let seconds = Date().timeIntervalSince(start)
        #expect(error == DataError(path: path, "IDX header declares 10×28×28 = 7840 bytes of data, but the gzip data holds more"))
        // Inflating the 200 MB takes most of a second; the header and 7 841 bytes, microseconds.
        #expect(seconds < 0.5, "took \(seconds) s")

        // The same header with exactly its data is read; with less, the truncation error.
        let exact = try Hostile.write(try Hostile.gzip(Hostile.idxHeader([10, 28, 28]) + [UInt8](repeating: 1, count: 7840)), directory, "exact.gz")
        let array = try IDX.read(exact)
        #expect(array.shape == [10, 28, 28] && array.bytes.count == 7840 && array.bytes.allSatisfy { $0 == 1 })
        let short = try Hostile.write(try Hostile.gzip(Hostile.idxHeader([10, 28, 28]) + [UInt8](repeating: 1, count: 100)), directory, "short.gz")
        #expect(throws: DataError(path: short, "IDX header declares 10×28×28 = 7840 bytes of data, but the file holds 100")) { try IDX.read(short) }
        // A header alone inflated from a gzip file is checked as a plain one is.
        let badMagic = try Hostile.write(try Hostile.gzip([1, 2, 8, 1, 0, 0, 0, 0]), directory, "magic.gz")
        #expect(throws: DataError(path: badMagic, "not an IDX file: the first two bytes must be 0 (found 1, 2)")) { try IDX.read(badMagic) }
    }

    @Test("an IDX gzip file whose header declares more than the decompression limit is refused before inflating the data")
    func idxDeclaredBeyondLimit() throws {
        let directory = try Hostile.directory("idx-declared")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 2×1000×1000×1000 bytes: more than the 1 GiB default.
        let path = try Hostile.write(try Hostile.zeroBomb(header: Hostile.idxHeader([2, 1000, 1000, 1000]), megabytes: 4), directory, "big.gz")
        let error = try #require(Hostile.error { _ = try IDX.read(path) })
        #expect(error.path == path)
        #expect(error.message.contains("its IDX header declares 2×1000×1000×1000 = 2000000000 bytes of data"), "\(error)")
        #expect(error.message.contains("SYNAPSE_MAX_DECOMPRESSED_BYTES"), "\(error)")
    }

    @Test("gunzip stops at its output limit with an error naming the file, the limit and SYNAPSE_MAX_DECOMPRESSED_BYTES")
    func gunzipLimit() throws {
        let bomb = try Hostile.zeroBomb(header: Array("a,b\n".utf8), megabytes: 64)
        let error = try #require(Hostile.error { _ = try FileBytes.gunzip(bomb, path: "bomb.csv.gz", limit: 1 << 20) })
        #expect(error.path == "bomb.csv.gz")
        #expect(error.message.contains("more than 1048576 bytes") && error.message.contains("1 MiB"), "\(error)")
        #expect(error.message.contains("SYNAPSE_MAX_DECOMPRESSED_BYTES"), "\(error)")
        // Exactly at the limit is fine; one byte over is not.
        let thousand = try Hostile.gzip((0..<1000).map { UInt8($0 % 251) })
        #expect(try FileBytes.gunzip(thousand, path: "t.gz", limit: 1000) == (0..<1000).map { UInt8($0 % 251) })
        #expect(throws: DataError.self) { try FileBytes.gunzip(thousand, path: "t.gz", limit: 999) }
        // The default limit is the configured one.
        #expect(ResourceLimits.current.decompressedBytes == ResourceLimits.defaults.decompressedBytes
                || ProcessInfo.processInfo.environment["SYNAPSE_MAX_DECOMPRESSED_BYTES"] != nil)
        // The untrusted ISIZE trailer (here the last member's: 1 MiB) reserves nothing beyond the limit.
        let inflated = try bomb.withUnsafeBytes { try FileBytes.inflate($0, path: "b.gz", atMost: 2000) }
        #expect(inflated.bytes.count == 2000 && inflated.more && inflated.bytes.capacity < 4096, "capacity \(inflated.bytes.capacity)")
    }

    // MARK: 2. Memory of the CSV path

    @Test("a gzip CSV's header and first rows are read without inflating the rest (the tail here is corrupt)")
    func csvPeekDoesNotInflateEverything() throws {
        let directory = try Hostile.directory("csv-peek")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rows = "x,y,label\n"
        for i in 0..<30_000 { rows += "\(i),\(i % 7),\(i % 3 == 0 ? "yes" : "no")\n" }
        let corruptTail: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        let path = try Hostile.write(try Hostile.gzip(Array(rows.utf8)) + corruptTail, directory, "peek.csv.gz")
        let table = try CSVTable.read(path, maxRows: 2)
        #expect(table.header == ["x", "y", "label"] && table.rows == [["0", "0", "yes"], ["1", "1", "no"]] && table.lineNumbers == [2, 3])
        let error = try #require(Hostile.error { _ = try CSVTable.read(path) })
        #expect(error.message.contains("gzip data is corrupt"), "\(error)")
        // A plain file, and rows longer than the first inflated prefix.
        let wide = try Hostile.write(try Hostile.gzip(Array(("a,b\n" + String(repeating: "7", count: 200_000) + ",1\n2,3\n4,5\n").utf8)), directory, "wide.csv.gz")
        let wideTable = try CSVTable.read(wide, maxRows: 1)
        #expect(wideTable.header == ["a", "b"] && wideTable.rows.count == 1 && wideTable.rows[0][0].count == 200_000)
        let plain = try Hostile.write(Array("1,2\n3,4\n5,6\n".utf8), directory, "plain.csv")
        #expect(try CSVTable.read(plain, maxRows: 2).rows == [["1", "2"], ["3", "4"]])
    }

    @Test("the streaming loader across many chunks: values, dropped rows, labels and numbers agree with the table reader")
    func chunkedLoading() throws {
        // 300 000 values cross the 1 MiB chunks several times; dropped rows straddle chunk ends.
        var text = "a,b,c,label,value\n"
        var g = RandomGenerator(seed: 11)
        var expectedFeatures: [Float] = [], expectedLabels: [Int] = [], expectedValues: [Float] = []
        for i in 0..<100_000 {
            let row = (0..<3).map { _ in Float(Int(g.nextDouble() * 2000) - 1000) / 8 }
            let drop = i % 997 == 5
            text += "\(row[0]),\(row[1])," + (drop ? "NA" : "\(row[2])") + ",\(["cat", "dog", "emu"][i % 3]),\(Double(i) / 4)\n"
            if !drop { expectedFeatures += row; expectedLabels.append(i % 3); expectedValues.append(Float(i) / 4) }
        }
        let labelled = try CSVDataset<Float>.parse(text, target: "label", features: ["a", "b", "c"], missingValues: .dropRows)
        #expect(labelled.droppedRows == 101 && labelled.classNames == ["cat", "dog", "emu"])
        #expect(labelled.dataset.features.scalars == expectedFeatures && labelled.dataset.labels == expectedLabels)
        let numbers = try CSVDataset<Float>.parse(text, target: "value", features: ["a", "b", "c"], missingValues: .dropRows)
        #expect(numbers.classNames == nil && numbers.dataset.targets.scalars == expectedValues)
        // `.numbers` wins over class names given with it, as before.
        let forced = try CSVDataset<Float>.parse("a,y\n1,2.5\n2,-1\n", target: "y", labels: .numbers, classNames: ["x"])
        #expect(forced.classNames == nil && forced.dataset.targets.scalars == [2.5, -1])
    }

    @Test("chunked storage: dropping a row that straddles two chunks, then moving everything into one buffer")
    func chunkedStore() {
        var store = ChunkedStore<Float>()
        let n = (1 << 20) / 4 + 2   // one full chunk and two values
        for i in 0..<n { store.append(Float(i)) }
        store.removeLast(3)
        #expect(store.count == n - 3)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { buffer.deallocate() }
        store.move(into: buffer)
        #expect(store.count == 0 && (0..<(n - 3)).allSatisfy { buffer[$0] == Float($0) })
    }

    // MARK: 3. Class labels

    @Test("100 000 distinct text labels: refused at label 1 001, naming the column, the count and SYNAPSE_MAX_CLASSES")
    func tooManyClasses() throws {
        try #require(ResourceLimits.current.classes == 1000, "SYNAPSE_MAX_CLASSES is set; this test expects the default")
        var text = "x,kind\n"
        for i in 0..<100_000 { text += "\(i),label\(i)\n" }
        let error = try #require(Hostile.error { _ = try CSVDataset<Float>.parse(text, path: "c.csv", target: "kind") })
        #expect(error.path == "c.csv" && error.line == 1002, "\(error)")
        #expect(error.message.contains("column 'kind' has more than 1000 distinct class labels (label 1001 is on line 1002)"), "\(error)")
        #expect(error.message.contains("SYNAPSE_MAX_CLASSES"), "\(error)")
        // The same with `.classNames` on numbers, and when a numeric column turns into labels late.
        var numeric = "x,y\n"
        for i in 0..<1500 { numeric += "\(i),\(i)\n" }
        #expect(Hostile.error { _ = try CSVDataset<Float>.parse(numeric, target: "y", labels: .classNames) }?.line == 1002)
        let late = Hostile.error { _ = try CSVDataset<Float>.parse(numeric + "1500,cat\n", target: "y") }
        #expect(late?.line == 1502 && late?.message.contains("label 1001 is on line 1002") == true, "\(String(describing: late))")
        // Many distinct numbers are still a regression target, and 1 000 labels are still classes.
        let regression = try CSVDataset<Float>.parse(numeric, target: "y")
        #expect(regression.classNames == nil && regression.dataset.targets.scalars == (0..<1500).map(Float.init))
        var thousand = "x,kind\n"
        for i in 0..<2000 { thousand += "\(i),c\(i % 1000)\n" }
        #expect(try CSVDataset<Float>.parse(thousand, target: "kind").classNames?.count == 1000)
    }

    // MARK: 4 and 5. Numbers out of range, long decimals

    @Test("values that are not finite in the target type are refused with file:line:column and the value")
    func nonFiniteValues() throws {
        #expect(throws: DataError(path: "f.csv", "'1e39' in column 'b' is NaN or infinite, or too large for float32", line: 3, column: 3)) {
            try CSVDataset<Float>.parse("a,b,y\n1,2,0\n3,1e39,1\n", path: "f.csv", target: "y")
        }
        // 1e39 fits a Double.
        #expect(try CSVDataset<Double>.parse("a,b,y\n1,2,0\n3,1e39,1\n", target: "y").dataset.features.scalars == [1, 2, 3, 1e39])
        for text in ["inf", "-inf", "+Infinity", "INF", "1e999", "-1e400"] {
            #expect(throws: DataError(path: "f.csv", "'\(text)' in column 'b' is NaN or infinite, or too large for float64", line: 2, column: 3)) {
                try CSVDataset<Double>.parse("a,b,y\n1,\(text),0\n", path: "f.csv", target: "y")
            }
        }
        // Targets: numbers beyond Float, or infinite, are refused when the targets are numbers.
        #expect(throws: DataError(path: "t.csv", "'-3e38000' in column 'y' is NaN or infinite, or too large for float32", line: 3, column: 3)) {
            try CSVDataset<Float>.parse("a,y\n1,0.5\n2,-3e38000\n", path: "t.csv", target: "y")
        }
        #expect(throws: DataError(path: "t.csv", "'5e38' in column 'y' is NaN or infinite, or too large for float32", line: 2, column: 3)) {
            try CSVDataset<Float>.parse("a,y\n1,5e38\n2,1\n", path: "t.csv", target: "y", labels: .numbers)
        }
        // …but are just names when the column holds class labels.
        #expect(try CSVDataset<Float>.parse("a,y\n1,inf\n2,cat\n", target: "y").classNames == ["cat", "inf"])
        // NaN is a missing value, as before: an error naming it, or a dropped row.
        #expect(throws: DataError(path: "n.csv", "missing value in column 'b' (fill such values with '--impute', or leave their rows out with '--drop-missing'; missingValues: .dropRows in Swift)", line: 3, column: 3)) {
            try CSVDataset<Float>.parse("a,b,y\n1,2,0\n3,NaN,1\n", path: "n.csv", target: "y")
        }
        let dropped = try CSVDataset<Float>.parse("a,b,y\n1,2,0\n3,nan,1\n4,-nan,1\n5,6,1\n", target: "y", missingValues: .dropRows)
        #expect(dropped.droppedRows == 2 && dropped.dataset.features.scalars == [1, 2, 5, 6])
        // The table reader and its numeric dataset apply the same checks.
        let table = try CSVTable.parse("a,b\n1,1e39\n2,inf\n", path: "t.csv")
        #expect(try table.number(row: 0, column: 1) == 1e39)
        #expect(throws: DataError(path: "t.csv", "'inf' in column 'b' is NaN or infinite, or too large for float64", line: 3, column: 2)) {
            try table.number(row: 1, column: 1)
        }
        #expect(throws: DataError(path: "t.csv", "'1e39' in column 'b' is NaN or infinite, or too large for float32", line: 2, column: 2)) {
            try table.numericDataset(targetColumn: 0, as: Float.self)
        }
    }

    @Test("long decimals are read exactly as Double(String) reads them, then range-checked")
    func longDecimals() throws {
        let long = "1234567890123456789012345678901234567890123456789012345678901234567890.5"
        let small = "0." + String(repeating: "0", count: 100) + "123456789012345678901234567890"
        let data = try CSVDataset<Double>.parse("a,y\n\(long),0\n\(small),1\n-\(long),0\n", target: "y")
        #expect(data.dataset.features.scalars == [Double(long)!, Double(small)!, -Double(long)!])
        #expect(try CSVTable.parse("a\n\(long)\n").number(row: 0, column: 0) == Double(long)!)
        // 1.2e69 is too large for float32.
        #expect(throws: DataError(path: "l.csv", "'\(long)' in column 'a' is NaN or infinite, or too large for float32", line: 2, column: 1)) {
            try CSVDataset<Float>.parse("a,y\n\(long),0\n", path: "l.csv", target: "y")
        }
        // Long text is still not a number, and hexadecimal floats are not CSV numbers.
        let words = String(repeating: "x", count: 100)
        #expect(throws: DataError(path: "-", "'\(words.prefix(80))…' in column 'a' is not a number", line: 3, column: 1)) {
            try CSVDataset<Double>.parse("a,y\n0,0\n\(words),0\n", target: "y")
        }
        #expect(throws: DataError.self) { try CSVDataset<Double>.parse("a,y\n0x1p3,0\n", target: "y") }
        #expect(throws: DataError.self) { try CSVDataset<Double>.parse("a,y\n" + String(repeating: "1", count: 100) + "x,0\n", target: "y") }
    }

    // MARK: 6. Column numbers count from 1

    @Test("column numbers in messages count from 1, as --target does")
    func oneBasedColumns() throws {
        let row = (1...65).map(String.init).joined(separator: ",")
        let text = "\(row)\n\(row)\n"
        #expect(throws: DataError(path: "w.csv", "target column 66 does not exist (the file has 65 columns: 1 to 65)")) {
            try CSVDataset<Float>.parse(text, path: "w.csv", target: .index(65))
        }
        #expect(throws: DataError(path: "w.csv", "feature column 100 does not exist (the file has 65 columns: 1 to 65)")) {
            try CSVDataset<Float>.parse(text, path: "w.csv", target: .index(0), features: [.index(99)])
        }
        let named = try #require(Hostile.error { _ = try CSVDataset<Float>.parse("1,2\n3,4\n", target: "x") })
        #expect(named.message == "target column 'x' is named, but the file has no header row (give the column's number instead, counting from 1)")
        #expect(!named.message.contains("0-based"))
        #expect(CSVColumn.index(3).description == "column 4" && CSVColumn.name("y").description == "'y'")
        #expect(throws: DataError(path: "-", "target column 3 does not exist (the file has 2 columns: 1 to 2)")) {
            try CSVTable.parse("1,2\n3,4\n").numericDataset(targetColumn: 2, as: Float.self)
        }
    }

    // MARK: 7. Messages quote at most 80 characters of a field

    @Test("a 1 MB field, name or label is quoted in at most 80 characters and an ellipsis")
    func messagesQuoteExcerpts() throws {
        let huge = String(repeating: "z", count: 1 << 20)
        let cut = String(repeating: "z", count: 80) + "…"
        func check(_ error: DataError?, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let error else { return }
            #expect(error.description.count < 2000, "\(error.description.count) characters", sourceLocation: sourceLocation)
            #expect(error.message.contains(expected), "\(error.message.prefix(300))", sourceLocation: sourceLocation)
        }
        check(Hostile.error { _ = try CSVDataset<Float>.parse("a,y\n1,0\n\(huge),1\n", target: "y") }, "'\(cut)' in column 'a' is not a number")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("a,y\n1,0\n\"\(huge)\",1\n", target: "y") }, "'\(cut)' in column 'a' is not a number")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("a,y\n1,0\n2,\(huge)\n", target: "y", labels: .numbers) }, "target '\(cut)'")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("a,y\n1,cat\n2,\(huge)\n", target: "y", classNames: ["cat"]) },
              "label '\(cut)' is not one of the model's classes (cat)")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("a,y\n1,0\n", target: .name(huge)) }, "no target column '\(cut)' in the header")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("\(huge),y\n1,0\n", target: "q") }, "(columns: \(cut), y)")
        // A name past ResourceLimits.nameLength is refused before any row is read.
        check(Hostile.error { _ = try CSVDataset<Float>.parse("\(huge),y\n,0\n", target: "y") }, "the name of column 1 ('\(cut)') is 1048576 bytes long")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("\(huge),y\n1e39,0\n", target: "y") }, "column names may have at most 1024")
        check(Hostile.error { _ = try CSVDataset<Float>.parse("\(huge),y\n1,0\n", target: .name(huge), features: [.name(huge)]) }, "column '\(cut)' cannot be both")
        let many = (0..<5000).map { "column name number \($0)" }
        check(Hostile.error { _ = try CSVDataset<Float>.parse(many.joined(separator: ",") + "\n" + (0..<5000).map { _ in "1" }.joined(separator: ",") + "\n", target: "q") },
              "… (5000 in all)")
        let table = try CSVTable.parse("a,\(huge)\n1,\(huge)\n")
        check(Hostile.error { _ = try table.number(row: 0, column: 1) }, "'\(cut)' in column '\(cut)' is not a number")
        // The .npy header's strings.
        let npyDirectory = try Hostile.directory("npy-excerpt")
        defer { try? FileManager.default.removeItem(atPath: npyDirectory) }
        let longDescr = String(repeating: "<", count: 5000)
        let descr = try Hostile.write(Corpus.npy("{'descr': '\(longDescr)', 'fortran_order': False, 'shape': (1,), }", payload: Corpus.floats8), npyDirectory, "d.npy")
        check(Hostile.error { _ = try NumPyArray.read(descr) }, "dtype '\(String(repeating: "<", count: 80))…' is not supported")
        let key = try Hostile.write(Corpus.npy("{'\(longDescr)': 1}"), npyDirectory, "k.npy")
        check(Hostile.error { _ = try NumPyArray.read(key) }, "unexpected key '\(String(repeating: "<", count: 80))…'")
    }

    // MARK: 8. Empty feature sets

    @Test("empty arrays (.npy (20, 0) and (0,), IDX with a zero dimension, a CSV of the target alone) are DataErrors, not crashes")
    func emptyFeatureSets() throws {
        let directory = try Hostile.directory("empty")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wide = try Hostile.write(Corpus.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (20, 0), }"), directory, "w.npy")
        #expect(throws: DataError(path: wide, "no values: shape (20, 0)")) { try NumPyArray.read(wide) }
        let rows = try Hostile.write(NumPyArray(dtype: .float32, shape: [0, 3], bytes: []).encoded(), directory, "r.npy")
        #expect(throws: DataError(path: rows, "no values: shape (0, 3)")) { try NumPyArray.read(rows) }
        let none = try Hostile.write(Corpus.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (0,), }"), directory, "n.npy")
        #expect(throws: DataError(path: none, "no values: shape (0,)")) { try NumPyArray.read(none) }

        for (name, dimensions) in [("no-images", [UInt32(0), 28, 28]), ("no-columns", [10, 28, 0])] {
            let path = try Hostile.write(Hostile.idxHeader(dimensions), directory, name)
            let shown = dimensions.map(String.init).joined(separator: "×")
            #expect(throws: DataError(path: path, "the IDX file holds no values: dimensions \(shown)")) { try IDX.read(path) }
            let compressed = try Hostile.write(try Hostile.gzip(Hostile.idxHeader(dimensions)), directory, name + ".gz")
            #expect(throws: DataError(path: compressed, "the IDX file holds no values: dimensions \(shown)")) { try IDX.read(compressed) }
        }
        // An MNIST directory of empty files.
        let mnist = "\(directory)/mnist"
        try FileManager.default.createDirectory(atPath: mnist, withIntermediateDirectories: true)
        _ = try Hostile.write(Hostile.idxHeader([0, 28, 28]), mnist, "train-images-idx3-ubyte")
        _ = try Hostile.write(Hostile.idxHeader([0]), mnist, "train-labels-idx1-ubyte")
        #expect(throws: DataError.self) { _ = try MNIST.load(.train, from: mnist, as: Float.self) }

        #expect(throws: DataError(path: "-", "no feature columns: the file has only the target column")) {
            try CSVTable.parse("1\n2\n").numericDataset(targetColumn: 0, as: Float.self)
        }
        // The checked constructor every reader uses.
        #expect(throws: DataError(path: "x", "no feature values: features of shape [20, 0]")) {
            try Dataset(checkedFeatures: Tensor<Float>(zeros: [20, 0]), targets: Tensor(zeros: [20]), path: "x")
        }
        #expect(throws: DataError(path: "x", "no rows to learn from: features of shape [0, 4]")) {
            try Dataset(checkedFeatures: Tensor<Float>(zeros: [0, 4]), targets: Tensor(zeros: [0]), path: "x")
        }
        #expect(throws: DataError(path: "x", "3 rows of features but targets of shape [2]")) {
            try Dataset(checkedFeatures: Tensor<Float>(zeros: [3, 4]), targets: Tensor(zeros: [2]), path: "x")
        }
    }
}
