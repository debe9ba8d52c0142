/// Sizes read from files are untrusted: every product of them is checked here, the one place that
/// multiplies shapes from an input (NPY, safetensors and IDX headers, architectures, shape inference).
extension Sequence where Element == Int {
    /// The product of the sizes, or nil when a partial product overflows `Int` or passes `limit`
    /// (checked at every step, so a file cannot declare a shape whose size only a later factor of
    /// 0 would make small). A zero size makes the product 0 from there on.
    public func checkedProduct(limit: Int = .max) -> Int? {
        var product = 1
        for size in self {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            guard !overflow, next <= limit else { return nil }
            product = next
        }
        return product
    }
}
