/// Lane selection on SIMD vectors through bit masks.
///
/// Without target flags, Swift scalarises `replacing(with:where:)`, `pointwiseMax` and `clamped`
/// on `SIMD16<Float>` (a store, a scalar op and a reload per lane), while a comparison and a
/// bitwise `&`/`|` on the mask's storage compile to `cmpps`/`andps`/`orps`. These helpers give
/// the kernels selections in the second form.
enum Lanes {
    /// `a` in the lanes where `mask` is set, `b` elsewhere.
    @inline(__always)
    static func select<T: TensorScalar>(_ mask: SIMDMask<SIMD16<T.SIMDMaskScalar>>, _ a: SIMD16<T>, _ b: SIMD16<T>) -> SIMD16<T> {
        let bits = mask._storage
        let x = unsafeBitCast(a, to: SIMD16<T.SIMDMaskScalar>.self), y = unsafeBitCast(b, to: SIMD16<T.SIMDMaskScalar>.self)
        return unsafeBitCast((x & bits) | (y & ~bits), to: SIMD16<T>.self)
    }

    /// `a` where `mask` is set, 0 elsewhere.
    @inline(__always)
    static func keep<T: TensorScalar>(_ mask: SIMDMask<SIMD16<T.SIMDMaskScalar>>, _ a: SIMD16<T>) -> SIMD16<T> {
        unsafeBitCast(unsafeBitCast(a, to: SIMD16<T.SIMDMaskScalar>.self) & mask._storage, to: SIMD16<T>.self)
    }

    /// 1 where `mask` is set, 0 elsewhere.
    @inline(__always)
    static func indicator<T: TensorScalar>(_ mask: SIMDMask<SIMD16<T.SIMDMaskScalar>>) -> SIMD16<T> {
        keep(mask, SIMD16<T>(repeating: 1))
    }

    /// `Swift.max(a, b)` lane by lane (`b >= a ? b : a`).
    @inline(__always)
    static func maximum<T: TensorScalar>(_ a: SIMD16<T>, _ b: SIMD16<T>) -> SIMD16<T> { select(b .>= a, b, a) }

    /// `Swift.min(a, b)` lane by lane (`b < a ? b : a`).
    @inline(__always)
    static func minimum<T: TensorScalar>(_ a: SIMD16<T>, _ b: SIMD16<T>) -> SIMD16<T> { select(b .< a, b, a) }
}
