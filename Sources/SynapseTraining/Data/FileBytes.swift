import SynapseCore
import SynapseNN
import CZlib
import Foundation

/// Reading whole files, transparently gunzipped when they are gzip (by magic bytes, not by name).
///
/// Decompression is bounded: a gzip file may inflate to at most `limit` bytes
/// (``ResourceLimits/decompressedBytes`` unless a caller knows the exact size, as the IDX reader
/// does from its header), and inflating stops with a ``DataError`` as soon as the output would
/// pass it — an 8 MB gzip bomb costs 8 MB, not the 4 GB it expands to.
enum FileBytes {
    /// The bytes of `path`, decompressed if it is gzip (to at most `limit` bytes). Errors name the file and the problem.
    static func read(_ path: String, limit: Int = ResourceLimits.current.decompressedBytes) throws -> [UInt8] {
        let bytes = try readRaw(path)
        if isGzip(bytes) { return try gunzip(bytes, path: path, limit: limit) }
        return bytes
    }

    /// The bytes of `path` as they are on disk (gzip or not).
    static func readRaw(_ path: String) throws -> [UInt8] {
        guard FileManagerShim.exists(path) else { throw DataError(path: path, "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(path: path, "cannot read the file (permissions?)") }
        return [UInt8](data)
    }

    /// Calls `body` with the file's bytes — memory-mapped for a plain file (no copy in memory),
    /// decompressed once (to at most `limit` bytes) for gzip — so large files are never held twice.
    static func withContents<T>(_ path: String, limit: Int = ResourceLimits.current.decompressedBytes,
                                _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        try withRawContents(path) { raw in
            if isGzip(raw) {
                let inflated = try gunzip(raw, path: path, limit: limit)
                return try inflated.withUnsafeBytes(body)
            }
            return try body(raw)
        }
    }

    /// Calls `body` with the file's bytes as they are on disk (gzip or not), memory-mapped.
    static func withRawContents<T>(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard FileManagerShim.exists(path) else { throw DataError(path: path, "no such file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError(path: path, "cannot read the file (permissions?)")
        }
        return try data.withUnsafeBytes(body)
    }

    /// Whether `bytes` start with the gzip magic number.
    static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// Whether `bytes` start with the gzip magic number.
    static func isGzip(_ bytes: UnsafeRawBufferPointer) -> Bool { bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

    /// Inflates one or more concatenated gzip members with zlib, to at most `limit` bytes: past
    /// that a ``DataError`` names the file, the limit and `SYNAPSE_MAX_DECOMPRESSED_BYTES`.
    static func gunzip(_ compressed: [UInt8], path: String, limit: Int = ResourceLimits.current.decompressedBytes) throws -> [UInt8] {
        try compressed.withUnsafeBytes { try gunzip($0, path: path, limit: limit) }
    }

    /// Inflates gzip bytes where they are (a memory-mapped file, say), as the `[UInt8]` overload does.
    static func gunzip(_ compressed: UnsafeRawBufferPointer, path: String, limit: Int = ResourceLimits.current.decompressedBytes) throws -> [UInt8] {
        let (output, more) = try inflate(compressed, path: path, atMost: limit)
        if more { throw tooLarge(path: path, limit: limit) }
        return output
    }

    /// The error for gzip data that inflates to more than `limit` bytes.
    static func tooLarge(path: String, limit: Int, declared: String? = nil) -> DataError {
        DataError(path: path, "gzip data inflates to more than \(limit) bytes\(declared.map { " (\($0))" } ?? ""), the limit for one "
                  + "file (\(byteSize(limit))); set SYNAPSE_MAX_DECOMPRESSED_BYTES to raise it")
    }

    /// `n` bytes in words (`1 GiB`, `47.0 MiB`, `512 bytes`).
    static func byteSize(_ n: Int) -> String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, unit) in units where n >= size {
            return n % size == 0 ? "\(n / size) \(unit)" : String(format: "%.1f", Double(n) / Double(size)) + " " + unit
        }
        return "\(n) bytes"
    }

    /// Inflates at most `maximum` bytes of gzip (or zlib) data: the output, and whether the data
    /// holds more than that. Truncated or corrupt data within the first `maximum` bytes is a
    /// ``DataError``; what lies beyond them is never inflated, so a header can be read from a
    /// file of any size for the cost of the header.
    static func inflate(_ compressed: UnsafeRawBufferPointer, path: String, atMost maximum: Int) throws -> (bytes: [UInt8], more: Bool) {
        let maximum = Swift.max(0, maximum)
        // One byte past the maximum tells "exactly this much" from "more" (no overflow: the
        // maximum is clamped below Int.max).
        let target = Swift.min(maximum, Int.max - 1) + 1
        var output: [UInt8] = []
        // The trailer's ISIZE (size mod 2³²) is a hint for the first member; never trusted beyond
        // the limit, nor beyond what deflate can produce from this many bytes (at most ~1032:1).
        if compressed.count >= 18 {
            let n = compressed.count
            let hint = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
            let bound = compressed.count.multipliedReportingOverflow(by: 1032)
            output.reserveCapacity(Swift.min(hint, target, bound.overflow ? Int.max : bound.partialValue))
        }
        guard let base = compressed.baseAddress, compressed.count > 0 else { throw DataError(path: path, "gzip data is truncated") }
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(path: path, "cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        // 64 KiB at a time: as fast as larger chunks on big files, and cheap for small ones (a 1 MiB
        // buffer zeroed per call made small gzip inputs 3× slower to reject).
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: Swift.min(chunk, target))
        // zlib counts input in 32 bits: feed a file over 4 GiB in slices.
        var consumed = 0
        func refill() {
            let slice = Swift.min(compressed.count - consumed, 1 << 30)
            stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self) + consumed)
            stream.avail_in = UInt32(slice)
            consumed += slice
        }
        refill()
        inflating: while output.count < target {
            let room = Swift.min(buffer.count, target - output.count)
            let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(room)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: buffer[0..<(room - Int(stream.avail_out))])
            if stream.avail_in == 0 && consumed < compressed.count { refill() }
            let inputLeft = stream.avail_in > 0 || consumed < compressed.count
            switch status {
            case Z_OK: continue
            case Z_STREAM_END:
                if !inputLeft {
                    if output.count > maximum { break inflating }
                    return (output, false)
                }
                inflateReset(&stream)   // another gzip member follows
            case Z_BUF_ERROR:
                // No progress: the end of the input (truncated), or a full output chunk or a new
                // input slice (go on).
                if !inputLeft && stream.avail_out > 0 { throw DataError(path: path, "gzip data is truncated") }
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw DataError(path: path, "gzip data is corrupt (\(reason))")
            }
        }
        output.removeLast(output.count - maximum)
        return (output, true)
    }
}
