import Foundation
import Testing
import Synapse
@testable import SynapseTraining

/// Issue 19, "Data as it comes": delimiters, header modes, text columns, missing values, headerless
/// files with their target at predict time, and checkpoints opened by predict, evaluate and inspect.
@Suite("Data as it comes")
struct DataAsItComesTests {
    /// A table of 60 rows: three numeric features and a two-class label, joined by `delimiter`.
    static func numericTable(delimiter: String, header: Bool = true, rows: Int = 60) -> String {
        var text = header ? ["a", "b", "c", "label"].joined(separator: delimiter) + "\n" : ""
        for i in 0..<rows {
            let (a, b, c) = (Double(i % 7) / 7, Double(i % 5) / 5, Double(i % 3) / 3)
            text += ["\(a)", "\(b)", "\(c)", a + b > 0.8 ? "yes" : "no"].joined(separator: delimiter) + "\n"
        }
        return text
    }

    /// Rows with a numeric column `size` (some missing), a text column `color` (some missing) and a label.
    static func mixedTable(rows: Int = 60, colors: [String] = ["red", "green", "blue"]) -> String {
        var text = "size,color,weight,label\n"
        for i in 0..<rows {
            let size = i % 11 == 3 ? "NA" : String(Double(i % 9) / 3)
            let color = i % 13 == 5 ? "" : colors[i % colors.count]
            let weight = Double(i % 4)
            text += "\(size),\(color),\(weight),\(colors[i % colors.count] == "red" || weight > 2 ? "heavy" : "light")\n"
        }
        return text
    }

    @Test("a ';' file, a tab file and a '|' file train, predict and evaluate without --delimiter; a wrong one is named")
    func delimiters() throws {
        let directory = try temporaryDirectory("delimiters")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, delimiter) in [("semicolon", ";"), ("tab", "\t"), ("pipe", "|")] {
            try Self.numericTable(delimiter: delimiter).write(toFile: "\(directory)/\(name).csv", atomically: true, encoding: .utf8)
            let train = try runSynapse(["train", "--data", "\(name).csv", "--epochs", "2", "--layers", "4", "--quiet", "--out", "\(name).safetensors"], in: directory)
            #expect(train.status == 0 && train.stdout.hasPrefix("data: 60 rows, 3 features\n"), "\(name): \(train)")
            let predict = try runSynapse(["predict", "--model", "\(name).safetensors", "--data", "\(name).csv"], in: directory)
            #expect(predict.status == 0 && predict.stdout.split(separator: "\n").count == 61 && predict.stdout.hasPrefix("label\n"), "\(name): \(predict)")
            let evaluate = try runSynapse(["evaluate", "--model", "\(name).safetensors", "--data", "\(name).csv"], in: directory)
            #expect(evaluate.status == 0 && evaluate.stdout.hasPrefix("samples   60\n"), "\(name): \(evaluate)")
        }
        // Given explicitly, by name or as the character; standard input is sniffed too.
        let named = try runSynapse(["train", "--data", "tab.csv", "--delimiter", "tab", "--epochs", "1", "--quiet", "--out", "t2.safetensors"], in: directory)
        #expect(named.status == 0, "\(named)")
        let piped = try runSynapse(["predict", "--model", "semicolon.safetensors", "--data", "-"], input: "a;b;c\n0.1;0.2;0.3\n", in: directory)
        #expect(piped.status == 0 && piped.stdout.split(separator: "\n").count == 2, "\(piped)")
        // A wrong delimiter: the file has one column, and the message says what to look at.
        let wrong = try runSynapse(["train", "--data", "semicolon.csv", "--delimiter", ",", "--out", "w.safetensors"], in: directory)
        #expect(wrong.status == 1 && wrong.stderr.contains("no feature columns: the file has only 1 column")
                && wrong.stderr.contains("is the delimiter another than ','?"), "\(wrong)")
        for bad in ["ab", "\"", ""] {
            let refused = try runSynapse(["train", "--data", "semicolon.csv", "--delimiter", bad, "--out", "w.safetensors"], in: directory)
            #expect(refused.status == 2 && refused.stderr.contains("'--delimiter'"), "\(bad): \(refused)")
        }
        // The library's sniffer on its own: ragged and one-column texts.
        #expect(CSVDialect.sniffDelimiter(text: "x;y\n1;2\n") == ";")
        #expect(CSVDialect.sniffDelimiter(text: "x\n1\n2\n") == ",")
        #expect(CSVDialect.sniffDelimiter(text: "a|b|c\n1|2|3\n4|5\n") == "|")
        #expect(CSVDialect.sniffDelimiter(text: "\"a;b\",c\n\"1;2\",3\n") == ",")
    }

    @Test("--target is 1-based in every message, also on a header-less file; --header yes|no|auto")
    func targetsAndHeaders() throws {
        let directory = try temporaryDirectory("targets-headers")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var wide = (1...13).map { "c\($0)" }.joined(separator: ",") + "\n"
        for i in 0..<20 { wide += (1...13).map { String(($0 * i) % 7) }.joined(separator: ",") + "\n" }
        try wide.write(toFile: "\(directory)/wide.csv", atomically: true, encoding: .utf8)
        let beyond = try runSynapse(["train", "--data", "wide.csv", "--target", "14", "--out", "m.safetensors"], in: directory)
        #expect(beyond.status == 1 && beyond.stderr.contains("column 14 does not exist (the file has 13 columns: 1 to 13)"), "\(beyond)")
        let zero = try runSynapse(["train", "--data", "wide.csv", "--target", "0", "--out", "m.safetensors"], in: directory)
        #expect(zero.status == 2 && zero.stderr.contains("start at 1"), "\(zero)")
        try Self.numericTable(delimiter: ",", header: false).write(toFile: "\(directory)/bare.csv", atomically: true, encoding: .utf8)
        let named = try runSynapse(["train", "--data", "bare.csv", "--target", "cultivar", "--out", "m.safetensors"], in: directory)
        #expect(named.status == 1 && named.stderr.contains("target column 'cultivar' is named, but the file has no header row")
                && named.stderr.contains("counting from 1") && !named.stderr.contains("0-based"), "\(named)")
        // --header yes takes the first row as names even when it holds numbers; no keeps it as data.
        let yes = try runSynapse(["train", "--data", "wide.csv", "--header", "yes", "--epochs", "1", "--quiet", "--task", "regress", "--out", "y.safetensors"], in: directory)
        #expect(yes.status == 0 && yes.stdout.hasPrefix("data: 20 rows, 12 features"), "\(yes)")
        // (Its names are then values: each column mixes text and numbers, which is refused, naming both.)
        let no = try runSynapse(["train", "--data", "wide.csv", "--header", "no", "--epochs", "1", "--quiet", "--task", "regress", "--out", "n.safetensors"], in: directory)
        #expect(no.status == 1 && no.stderr.contains("wide.csv:2:1: '0' in column 'column 1' is a number, but the column holds text ('c1' on line 1)"), "\(no)")
        try Self.numericTable(delimiter: ",", header: false).write(toFile: "\(directory)/bare.csv", atomically: true, encoding: .utf8)
        let bareNo = try runSynapse(["train", "--data", "bare.csv", "--header", "no", "--epochs", "1", "--quiet", "--out", "n.safetensors"], in: directory)
        #expect(bareNo.status == 0 && bareNo.stdout.hasPrefix("data: 60 rows, 3 features\n"), "\(bareNo)")
        let auto = try runSynapse(["train", "--data", "wide.csv", "--header", "auto", "--epochs", "1", "--quiet", "--task", "regress", "--out", "a.safetensors"], in: directory)
        #expect(auto.status == 0 && auto.stdout.hasPrefix("data: 20 rows, 12 features"), "\(auto)")
        let badHeader = try runSynapse(["train", "--data", "wide.csv", "--header", "maybe", "--out", "a.safetensors"], in: directory)
        #expect(badHeader.status == 2 && badHeader.stderr.contains("'--header' must be one of yes, no, auto"), "\(badHeader)")
        // Renamed and missing columns are named.
        try Self.numericTable(delimiter: ",").write(toFile: "\(directory)/in.csv", atomically: true, encoding: .utf8)
        #expect(try runSynapse(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--out", "m.safetensors"], in: directory).status == 0)
        try Self.numericTable(delimiter: ",").replacingOccurrences(of: "a,b,c,label", with: "a,B,c,label")
            .write(toFile: "\(directory)/renamed.csv", atomically: true, encoding: .utf8)
        let renamed = try runSynapse(["predict", "--model", "m.safetensors", "--data", "renamed.csv"], in: directory)
        #expect(renamed.status == 1 && renamed.stderr.contains("lacks the model's feature column 'b'"), "\(renamed)")
        let missingTarget = try runSynapse(["evaluate", "--model", "m.safetensors", "--data", "in.csv", "--target", "labl"], in: directory)
        #expect(missingTarget.status == 1 && missingTarget.stderr.contains("no target column 'labl' in the header (columns: a, b, c, label)"), "\(missingTarget)")
    }

    @Test("predict takes a header-less file with its target column (--target), evaluate too")
    func headerlessWithTarget() throws {
        let directory = try temporaryDirectory("headerless")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.numericTable(delimiter: ",", header: false).write(toFile: "\(directory)/bare.csv", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--data", "bare.csv", "--epochs", "2", "--quiet", "--out", "m.safetensors"], in: directory)
        #expect(train.status == 0 && train.stdout.hasPrefix("data: 60 rows, 3 features"), "\(train)")
        let guessed = try runSynapse(["predict", "--model", "m.safetensors", "--data", "bare.csv"], in: directory)
        #expect(guessed.status == 1 && guessed.stderr.contains("one more than the 3 feature columns of the model")
                && guessed.stderr.contains("'--target'"), "\(guessed)")
        let predicted = try runSynapse(["predict", "--model", "m.safetensors", "--data", "bare.csv", "--target", "4"], in: directory)
        #expect(predicted.status == 0 && predicted.stdout.split(separator: "\n").count == 61, "\(predicted)")
        // The features alone give the same predictions.
        let features = Self.numericTable(delimiter: ",", header: false).split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
        let alone = try runSynapse(["predict", "--model", "m.safetensors", "--data", "-"], input: features.joined(separator: "\n") + "\n", in: directory)
        #expect(alone.status == 0 && alone.stdout == predicted.stdout, "\(alone)")
        let evaluated = try runSynapse(["evaluate", "--model", "m.safetensors", "--data", "bare.csv", "--json"], in: directory)
        #expect(evaluated.status == 0 && evaluated.stdout.contains("\"samples\":60"), "\(evaluated)")
    }

    @Test("a text column and missing values: train --impute, predict and evaluate round trip; unknown categories; limits")
    func textAndMissing() throws {
        let directory = try temporaryDirectory("text-missing")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.mixedTable().write(toFile: "\(directory)/mixed.csv", atomically: true, encoding: .utf8)
        // Without --impute, a missing value stops training and names both flags.
        let refused = try runSynapse(["train", "--data", "mixed.csv", "--out", "m.safetensors"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("missing value in column 'size'")
                && refused.stderr.contains("--impute") && refused.stderr.contains("--drop-missing"), "\(refused)")
        let train = try runSynapse(["train", "--data", "mixed.csv", "--impute", "median", "--epochs", "3", "--quiet", "--out", "m.safetensors"], in: directory)
        #expect(train.status == 0 && train.stdout.hasPrefix("data: 60 rows, 5 features\n")
                && train.stdout.contains("encoding: one-hot 'color' (3 categories); missing values imputed (median), 3 columns → 5 features"), "\(train)")
        let inspect = try runSynapse(["inspect", "m.safetensors"], in: directory)
        #expect(inspect.status == 0 && inspect.stdout.contains("features: size, color=blue, color=green, color=red, weight")
                && inspect.stdout.contains("encoding: one-hot 'color'"), "\(inspect)")
        let model = try Model<Float>.load(from: "\(directory)/m.safetensors")
        let encoding = try #require(model.featureEncoding)
        #expect(encoding.imputation == .median && encoding.columns.map(\.name) == ["size", "color", "weight"])
        #expect(encoding.columns[1].categories == ["blue", "green", "red"] && encoding.columns[1].fill == nil)
        #expect(encoding.columns[2].fill == 1.5 && encoding.columns[2].categories == nil)
        let evaluate = try runSynapse(["evaluate", "--model", "m.safetensors", "--data", "mixed.csv"], in: directory)
        #expect(evaluate.status == 0 && evaluate.stdout.hasPrefix("samples   60\n") && evaluate.stderr.isEmpty, "\(evaluate)")
        // New data with a category training never saw: encoded as all zeros, with a warning; columns in another order.
        let fresh = "label,weight,color,size\nheavy,3,purple,1\nlight,0,green,\nlight,1,?,2\n"
        try fresh.write(toFile: "\(directory)/fresh.csv", atomically: true, encoding: .utf8)
        let predict = try runSynapse(["predict", "--model", "m.safetensors", "--data", "fresh.csv", "--probabilities"], in: directory)
        #expect(predict.status == 0 && predict.stdout.split(separator: "\n").count == 4
                && predict.stderr.contains("1 value is in no category the model learned in training") && predict.stderr.contains("all zeros"), "\(predict)")
        // A text column without missing values needs no --impute.
        let noMissing = Self.mixedTable().replacingOccurrences(of: "NA,", with: "1,").replacingOccurrences(of: ",,", with: ",red,")
        try noMissing.write(toFile: "\(directory)/text.csv", atomically: true, encoding: .utf8)
        let text = try runSynapse(["train", "--data", "text.csv", "--epochs", "1", "--quiet", "--out", "t.safetensors"], in: directory)
        #expect(text.status == 0 && text.stdout.contains("encoding: one-hot 'color' (3 categories), 3 columns → 5 features"), "\(text)")
        // The library: one-hot and imputation values, exactly.
        let loaded = try CSVDataset<Double>.parse("n,c,y\n1,b,0\nNA,a,1\n5,,0\n3,b,1\n", target: "y", featureMode: .fit(imputation: .mean))
        #expect(loaded.featureNames == ["n", "c=a", "c=b"])
        #expect(loaded.dataset.features.scalars == [1, 0, 1, 3, 1, 0, 5, 0, 1, 3, 0, 1])
        let mostFrequent = try CSVDataset<Double>.parse("n,y\n2,0\n7,1\n7,0\n2,1\n?,0\n", target: "y", featureMode: .fit(imputation: .mostFrequent))
        #expect(mostFrequent.dataset.features.scalars == [2, 7, 7, 2, 2])
        let applied = try CSVDataset<Double>.parse("n,c,y\n2,z,0\n", target: "y", featureMode: .apply(try #require(loaded.featureEncoding)))
        #expect(applied.dataset.features.scalars == [2, 0, 0] && applied.unknownCategories == 1)
        // Too many categories: exit 1, naming the column and the limit.
        var many = "id,x,label\n"
        for i in 0..<1_200 { many += "k\(i),\(i % 10),\(i % 2)\n" }   // (1 080 training rows: 10 % is held out)
        try many.write(toFile: "\(directory)/many.csv", atomically: true, encoding: .utf8)
        let tooMany = try runSynapse(["train", "--data", "many.csv", "--out", "x.safetensors"], in: directory)
        #expect(tooMany.status == 1 && tooMany.stderr.contains("text column 'id' has more than 1000 distinct values")
                && tooMany.stderr.contains("SYNAPSE_MAX_CATEGORIES"), "\(tooMany)")
        // A numeric column with a stray word is an error naming both kinds, not a category.
        try "a,b,label\n1,2,0\nthree,4,1\n5,6,0\n".write(toFile: "\(directory)/typo.csv", atomically: true, encoding: .utf8)
        let typo = try runSynapse(["train", "--data", "typo.csv", "--out", "x.safetensors"], in: directory)
        #expect(typo.status == 1 && typo.stderr.contains("typo.csv:3:1: 'three' in column 'a' is not a number, but the column's other values are ('1' on line 2)"), "\(typo)")
        // Ragged rows are refused as before.
        try "a,b,label\nx,1,0\ny,2\n".write(toFile: "\(directory)/ragged.csv", atomically: true, encoding: .utf8)
        let ragged = try runSynapse(["train", "--data", "ragged.csv", "--out", "x.safetensors"], in: directory)
        #expect(ragged.status == 1 && ragged.stderr.contains("row has 2 fields, expected 3"), "\(ragged)")
        let badImpute = try runSynapse(["train", "--data", "mixed.csv", "--impute", "zero", "--out", "x.safetensors"], in: directory)
        #expect(badImpute.status == 2 && badImpute.stderr.contains("'--impute' must be one of mean, median, most-frequent"), "\(badImpute)")
        // A crafted model file's encoding is checked before use.
        for (problem, edit) in [("repeats a category", #"{"columns":[{"name":"size","fill":1},{"name":"color","categories":["red","red","blue"]},{"name":"weight"}]}"#),
                                ("not one of its categories", #"{"columns":[{"name":"size"},{"name":"color","categories":["blue","green","red"],"fillCategory":"x"},{"name":"weight"}]}"#),
                                ("gives 4 features, not the 5", #"{"columns":[{"name":"size"},{"name":"color","categories":["blue","green"]},{"name":"weight"}]}"#)] {
            try HostileInputTests.craft("\(directory)/m.safetensors", to: "\(directory)/crafted.safetensors") { $0["feature_encoding"] = edit }
            let crafted = try runSynapse(["predict", "--model", "crafted.safetensors", "--data", "mixed.csv"], in: directory)
            #expect(crafted.status == 1 && crafted.stderr.contains("metadata 'feature_encoding' is not valid") && crafted.stderr.contains(problem), "\(problem): \(crafted)")
        }
    }

    @Test("train fits categories and fill values on the training rows only, as the split of the run holds the others out")
    func encodingFittedOnTrainingRows() throws {
        let directory = try temporaryDirectory("encoding-training-rows")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let rows = 40, heldOut = HeldOutRows(fraction: 0.25, seed: 3)
        let mask = try #require(heldOut.mask(rows: rows))
        #expect(mask.filter { $0 }.count == 10)
        #expect(mask == Dataset<Float>.splitIndices(count: rows, heldOutFraction: 0.25, seed: 3).heldOut.reduce(into: [Bool](repeating: false, count: rows)) { $0[$1] = true })
        // The first held-out row has a category and a value no training row has; row 0 misses its number.
        let special = try #require(mask.firstIndex(of: true))
        var text = "n,c,y\n", trainingValues: [Double] = []
        for i in 0..<rows {
            let n = i == 0 ? "NA" : i == special ? "1000" : String(i)
            if i != 0 && !mask[i] { trainingValues.append(Double(i)) }
            text += "\(n),\(i == special ? "rare" : i % 2 == 0 ? "a" : "b"),\(i % 2)\n"
        }
        let mean = trainingValues.reduce(0, +) / Double(trainingValues.count)
        let loaded = try CSVDataset<Double>.parse(text, target: "y", featureMode: .fit(imputation: .mean, heldOut: heldOut))
        let encoding = try #require(loaded.featureEncoding)
        #expect(encoding.columns[1].categories == ["a", "b"] && loaded.unknownCategories == 1)
        #expect(abs((encoding.columns[0].fill ?? 0) - mean) < 1e-9, "fill \(encoding.columns[0].fill ?? .nan), training mean \(mean)")
        // Fitted on every row, the held-out row's category and value would be in it.
        let everyRow = try CSVDataset<Double>.parse(text, target: "y", featureMode: .fit(imputation: .mean))
        #expect(everyRow.featureEncoding?.columns[1].categories == ["a", "b", "rare"])
        // Below the default's size (and below 10 rows) nothing is held out.
        #expect(HeldOutRows(fraction: nil, seed: 3).mask(rows: 999) == nil && HeldOutRows(fraction: 0.5, seed: 3).mask(rows: 9) == nil)
        // synapse train fits the same encoding from the same split and says so.
        try text.write(toFile: "\(directory)/t.csv", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--data", "t.csv", "--impute", "mean", "--validation-split", "0.25", "--seed", "3", "--epochs", "1",
                                    "--quiet", "--out", "m.safetensors"], in: directory)
        #expect(train.status == 0 && train.stdout.contains("fitted on the training rows")
                && train.stderr.contains("1 value in the rows held out for validation is in no category of the training rows"), "\(train)")
        let model = try Model<Float>.load(from: "\(directory)/m.safetensors")
        #expect(model.featureEncoding == encoding)
    }

    @Test("predict, evaluate and inspect open a checkpoint of train --checkpoint")
    func checkpoints() throws {
        let directory = try temporaryDirectory("checkpoint-open")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.numericTable(delimiter: ";").write(toFile: "\(directory)/in.csv", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--data", "in.csv", "--epochs", "2", "--validation-split", "0", "--layers", "4", "--quiet",
                                    "--checkpoint", "ck.safetensors", "--out", "m.safetensors"], in: directory)
        #expect(train.status == 0, "\(train)")
        let fromModel = try runSynapse(["predict", "--model", "m.safetensors", "--data", "in.csv", "--probabilities"], in: directory)
        let fromCheckpoint = try runSynapse(["predict", "--model", "ck.safetensors", "--data", "in.csv", "--probabilities"], in: directory)
        #expect(fromCheckpoint.status == 0 && fromCheckpoint.stdout == fromModel.stdout && !fromModel.stdout.isEmpty, "\(fromCheckpoint)")
        let evaluate = try runSynapse(["evaluate", "--model", "ck.safetensors", "--data", "in.csv"], in: directory)
        #expect(evaluate.status == 0 && evaluate.stdout.hasPrefix("samples   60\n"), "\(evaluate)")
        let inspect = try runSynapse(["inspect", "ck.safetensors"], in: directory)
        #expect(inspect.status == 0 && inspect.stdout.contains("checkpoint: training state after epoch 2")
                && !inspect.stdout.contains("state.optimizer") && inspect.stdout.contains("0.weight"), "\(inspect)")
        let plain = try runSynapse(["inspect", "m.safetensors"], in: directory)
        #expect(plain.status == 0 && !plain.stdout.contains("checkpoint:"), "\(plain)")
    }
}
