import CZlib
import Foundation

/// Reading whole files, transparently gunzipped when they are gzip (by magic bytes, not by name).
enum FileBytes {
    /// The bytes of `path`, decompressed if it is gzip. Errors name the file and the problem.
    static func read(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError(path: path, "no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(path: path, "cannot read the file (permissions?)") }
        let bytes = [UInt8](data)
        if bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b { return try gunzip(bytes, path: path) }
        return bytes
    }

    /// Calls `body` with the file's bytes — memory-mapped for a plain file (no copy in memory),
    /// decompressed once for gzip — so large files are never held twice.
    static func withContents<T>(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard FileManagerShim.exists(path) else { throw DataError(path: path, "no such file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError(path: path, "cannot read the file (permissions?)")
        }
        if data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b {
            let inflated = try gunzip([UInt8](data), path: path)
            return try inflated.withUnsafeBytes(body)
        }
        return try data.withUnsafeBytes(body)
    }

    /// Inflates one or more concatenated gzip members with zlib.
    static func gunzip(_ compressed: [UInt8], path: String) throws -> [UInt8] {
        var output: [UInt8] = []
        // The trailer's ISIZE (size mod 2³²) is a hint for the first member; never trusted beyond
        // what deflate can produce from this many bytes (at most ~1032:1).
        if compressed.count >= 18 {
            let n = compressed.count
            let hint = Int(compressed[n - 4]) | Int(compressed[n - 3]) << 8 | Int(compressed[n - 2]) << 16 | Int(compressed[n - 1]) << 24
            output.reserveCapacity(Swift.min(hint, compressed.count * 1032))
        }
        var stream = z_stream()
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(path: path, "cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        // 64 KiB at a time: as fast as larger chunks on big files, and cheap for small ones (a 1 MiB
        // buffer zeroed per call made small gzip inputs 3× slower to reject).
        let chunk = 1 << 16
        var buffer = [UInt8](repeating: 0, count: chunk)
        try compressed.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                switch status {
                case Z_OK: continue
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    inflateReset(&stream)   // another gzip member follows
                case Z_BUF_ERROR where stream.avail_in == 0:
                    throw DataError(path: path, "gzip data is truncated")
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                    throw DataError(path: path, "gzip data is corrupt (\(reason))")
                }
            }
        }
        return output
    }
}
