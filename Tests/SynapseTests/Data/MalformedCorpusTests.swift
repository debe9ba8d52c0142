import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// One malformed file, the reader that must reject it, and words its error must contain.
struct MalformedFile: CustomStringConvertible, Sendable {
    enum Reader: Sendable { case csv, idx, npy, safetensors, model }
    let description: String
    let reader: Reader
    let bytes: [UInt8]
    let expected: String
}

/// Helpers that build the corpus's bytes.
enum Corpus {
    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func bigEndian(_ values: [UInt32]) -> [UInt8] { values.flatMap { v in (0..<4).reversed().map { UInt8((v >> (8 * UInt32($0))) & 0xff) } } }
    static func npy(_ header: String, version: UInt8 = 1, payload: [UInt8] = []) -> [UInt8] {
        let h = Array(header.utf8)
        let length: [UInt8] = version == 1 ? [UInt8(h.count & 0xff), UInt8(h.count >> 8)]
                                           : [UInt8(h.count & 0xff), UInt8(h.count >> 8), 0, 0]
        return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + h + payload
    }
    static func safetensors(_ header: String, data: [UInt8], declaredLength: Int? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        let n = UInt64(declaredLength ?? h.count)
        return (0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xff) } + h + data
    }
    static let floats8 = [UInt8](repeating: 0, count: 8)
    static let gzipHeader: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03]

    static let all: [MalformedFile] = [
        // CSV
        MalformedFile(description: "csv: empty", reader: .csv, bytes: text("\n\n"), expected: "the file is empty"),
        MalformedFile(description: "csv: header only", reader: .csv, bytes: text("a,b,label\n"), expected: "header but no data rows"),
        MalformedFile(description: "csv: ragged row", reader: .csv, bytes: text("1,2,0\n3,4\n"), expected: "bad.csv:2: row has 2 fields, expected 3"),
        MalformedFile(description: "csv: unclosed quote", reader: .csv, bytes: text("a,b\n1,\"2\n3,4\n"), expected: "bad.csv:2:3: a quoted field is never closed"),
        MalformedFile(description: "csv: quote inside a field", reader: .csv, bytes: text("a,b\n1,2\"\n"), expected: "bad.csv:2:4: a quote inside an unquoted field"),
        MalformedFile(description: "csv: text after a closing quote", reader: .csv, bytes: text("a,b\n\"1\"x,2\n"), expected: "bad.csv:2:4: unexpected text after a closing quote"),
        MalformedFile(description: "csv: not a number", reader: .csv, bytes: text("a,b\n1,0\nseven,1\n"), expected: "bad.csv:3:1: 'seven' in column 'a' is not a number"),
        MalformedFile(description: "csv: missing value", reader: .csv, bytes: text("a,b\n1,0\n ,1\n"), expected: "bad.csv:3:1: missing value in column 'a'"),
        // IDX
        MalformedFile(description: "idx: too short", reader: .idx, bytes: [0, 0], expected: "too short for an IDX header"),
        MalformedFile(description: "idx: bad magic", reader: .idx, bytes: [1, 2, 8, 1, 0, 0, 0, 0], expected: "not an IDX file"),
        MalformedFile(description: "idx: unsupported element type", reader: .idx, bytes: [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], expected: "element type 0xd is not supported"),
        MalformedFile(description: "idx: rank 0", reader: .idx, bytes: [0, 0, 8, 0], expected: "IDX rank 0 is out of range"),
        MalformedFile(description: "idx: truncated payload", reader: .idx, bytes: [0, 0, 8, 3] + bigEndian([10, 28, 28]) + [UInt8](repeating: 7, count: 100),
                      expected: "declares 10×28×28 = 7840 bytes of data, but the file holds 100"),
        MalformedFile(description: "idx: dimensions larger than memory", reader: .idx, bytes: [0, 0, 8, 4] + bigEndian([.max, .max, .max, .max]),
                      expected: "IDX dimensions 4294967295×4294967295×4294967295×4294967295 are too large"),
        // Found by Fuzz/run (FuzzIDX): a zero dimension made the byte count match while the others overflowed.
        MalformedFile(description: "idx: a zero dimension beside overflowing ones", reader: .idx,
                      bytes: [0, 0, 8, 4] + bigEndian([0x0100_0004, 0x0100_0008, 0x0308_0000, 0]),
                      expected: "IDX dimensions 16777220×16777224×50855936×0 are too large"),
        MalformedFile(description: "idx: truncated gzip", reader: .idx, bytes: gzipHeader + [0x63, 0x60], expected: "gzip data is truncated"),
        MalformedFile(description: "idx: corrupt gzip", reader: .idx, bytes: gzipHeader + [0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0], expected: "gzip data is corrupt"),
        // .npy
        MalformedFile(description: "npy: bad magic", reader: .npy, bytes: text("PK\u{3}\u{4} not numpy at all"), expected: "not a .npy file"),
        MalformedFile(description: "npy: version 4", reader: .npy, bytes: npy("{}", version: 4), expected: "format version 4.0 is not supported"),
        MalformedFile(description: "npy: header longer than the file", reader: .npy, bytes: [0x93] + text("NUMPY") + [1, 0, 0xff, 0xff] + text("{'descr'"),
                      expected: "header length 65535 runs past the end"),
        MalformedFile(description: "npy: Fortran order", reader: .npy, bytes: npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }", payload: floats8),
                      expected: "Fortran-ordered arrays are not supported"),
        MalformedFile(description: "npy: object array", reader: .npy, bytes: npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", payload: floats8),
                      expected: "object arrays (dtype 'O') cannot be read"),
        MalformedFile(description: "npy: complex dtype", reader: .npy, bytes: npy("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", payload: floats8 + floats8),
                      expected: "dtype '<c16' is not supported"),
        MalformedFile(description: "npy: no shape", reader: .npy, bytes: npy("{'descr': '<f8', 'fortran_order': False, }", payload: floats8),
                      expected: "the header has no 'shape'"),
        MalformedFile(description: "npy: header syntax", reader: .npy, bytes: npy("{'descr': '<f8' 'fortran_order': False}", payload: floats8),
                      expected: "malformed .npy header: expected ',' or '}'"),
        MalformedFile(description: "npy: shape larger than the file", reader: .npy, bytes: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
                      expected: "is larger than the file could hold"),
        MalformedFile(description: "npy: payload truncated", reader: .npy, bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", payload: floats8),
                      expected: "needs 12 bytes of data, the file holds 8"),
        // safetensors
        MalformedFile(description: "safetensors: shorter than its length field", reader: .safetensors, bytes: [1, 2, 3], expected: "too short for the 8-byte header length"),
        MalformedFile(description: "safetensors: header length beyond the file", reader: .safetensors, bytes: safetensors("{}", data: [], declaredLength: 1 << 40),
                      expected: "header length 1099511627776 exceeds the 2 bytes after it"),
        MalformedFile(description: "safetensors: header not JSON", reader: .safetensors, bytes: safetensors("{\"a\": [1, 2", data: []), expected: "not well-formed JSON"),
        MalformedFile(description: "safetensors: unknown dtype", reader: .safetensors,
                      bytes: safetensors(#"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,8]}}"#, data: floats8), expected: "unknown dtype 'F128'"),
        MalformedFile(description: "safetensors: offsets out of range", reader: .safetensors,
                      bytes: safetensors(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: floats8), expected: "fall outside the 8-byte data section"),
        MalformedFile(description: "safetensors: overlapping tensors", reader: .safetensors,
                      bytes: safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: floats8),
                      expected: "overlaps the tensor before it"),
        MalformedFile(description: "safetensors: gap between tensors", reader: .safetensors,
                      bytes: safetensors(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: floats8), expected: "a gap of 4 bytes before tensor 'a'"),
        MalformedFile(description: "safetensors: byte count ≠ dtype × shape", reader: .safetensors,
                      bytes: safetensors(#"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#, data: floats8), expected: "F64 [2] needs 16 bytes, data_offsets give 8"),
        MalformedFile(description: "safetensors: shape overflows", reader: .safetensors,
                      bytes: safetensors(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}"#, data: floats8),
                      expected: "is larger than the file"),
        MalformedFile(description: "safetensors: truncated data", reader: .safetensors,
                      bytes: safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, data: floats8),
                      expected: "fall outside the 8-byte data section"),
        MalformedFile(description: "safetensors: metadata not strings", reader: .safetensors,
                      bytes: safetensors(#"{"__metadata__":{"format":3}}"#, data: []), expected: "__metadata__ value for 'format' is not a string"),
        MalformedFile(description: "model: no architecture", reader: .model,
                      bytes: safetensors(#"{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, data: floats8),
                      expected: "no Synapse architecture in the metadata"),
        MalformedFile(description: "model: hostile architecture", reader: .model,
                      bytes: safetensors(#"{"__metadata__":{"architecture":"{\"type\":\"dense\",\"in\":100000000,\"out\":100000000,\"bias\":true,\"activation\":\"relu\"}","task":"{\"regression\":{\"outputs\":1}}"}}"#, data: []),
                      expected: "dense layer 100000000 → 100000000 is not a valid size"),
        MalformedFile(description: "model: weights missing for the architecture", reader: .model,
                      bytes: safetensors(#"{"__metadata__":{"architecture":"{\"type\":\"dense\",\"in\":2,\"out\":1,\"bias\":true,\"activation\":\"relu\"}","task":"{\"regression\":{\"outputs\":1}}"},"weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#, data: floats8),
                      expected: "declares more parameters than the file's 8 bytes of tensors hold"),
        MalformedFile(description: "model: unknown activation", reader: .model,
                      bytes: safetensors(#"{"__metadata__":{"architecture":"{\"type\":\"activation\",\"function\":\"swoosh\"}","task":"{\"regression\":{\"outputs\":1}}"}}"#, data: []),
                      expected: "unknown activation 'swoosh'"),
        // Found by Fuzz/run (FuzzSafeTensors): scaling for more features than the file names crashed predict.
        MalformedFile(description: "model: scaling and feature names disagree", reader: .model,
                      bytes: safetensors(#"{"__metadata__":{"architecture":"{\"type\":\"activation\",\"function\":\"relu\"}","task":"{\"regression\":{\"outputs\":2}}","feature_names":"[\"a\",\"b\"]","scaling":"{\"method\":\"standard\",\"shift\":[0,0,3],\"scale\":[1,1,1]}"}}"#, data: []),
                      expected: "metadata 'scaling' is not valid: fitted on 3 features but the file names 2 features"),
        MalformedFile(description: "model: a zero scale", reader: .model,
                      bytes: safetensors(#"{"__metadata__":{"architecture":"{\"type\":\"activation\",\"function\":\"relu\"}","task":"{\"regression\":{\"outputs\":2}}","scaling":"{\"method\":\"standard\",\"shift\":[0,1],\"scale\":[1,0]}"}}"#, data: []),
                      expected: "feature 2 has shift 1.0 and scale 0.0"),
        MalformedFile(description: "model: scaling wider than the network's input", reader: .model,
                      bytes: safetensors(#"{"__metadata__":{"architecture":"{\"type\":\"dense\",\"in\":1,\"out\":1,\"bias\":false,\"activation\":\"identity\"}","task":"{\"regression\":{\"outputs\":1}}","scaling":"{\"method\":\"standard\",\"shift\":[0,1],\"scale\":[1,1]}"},"weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                      expected: "the architecture does not take the 2 features the file describes"),
    ]
}

@Suite("Malformed files")
struct MalformedCorpusTests {
    @Test("the corpus covers the four formats with at least 20 files")
    func size() {
        #expect(Corpus.all.count >= 20)
        for reader in [MalformedFile.Reader.csv, .idx, .npy, .safetensors] { #expect(Corpus.all.contains { $0.reader == reader }) }
    }

    @Test("each malformed file gives its descriptive error, never a crash", arguments: Corpus.all)
    func rejects(_ file: MalformedFile) throws {
        let directory = try temporaryDirectory("corpus")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/bad.\(file.reader == .csv ? "csv" : file.reader == .idx ? "idx" : file.reader == .npy ? "npy" : "safetensors")"
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        do {
            switch file.reader {
            case .csv: _ = try CSVDataset<Float>.load(path, target: .index(1))
            case .idx: _ = try IDX.read(path)
            case .npy: _ = try NumPyArray.read(path)
            case .safetensors: _ = try SafeTensors.read(path)
            case .model: _ = try Model<Float>.load(from: path)
            }
            Issue.record("\(file) was accepted")
        } catch let error as DataError {
            let message = error.description.replacingOccurrences(of: directory + "/", with: "")
            #expect(message.contains(file.expected), "\(file): \(message)")
            #expect(error.path == path)
        }
    }
}
