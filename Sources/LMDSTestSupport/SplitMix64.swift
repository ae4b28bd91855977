/// SplitMix64: a small seeded random number generator, so that a test or benchmark that prints its seed
/// can be replayed exactly. Deterministic (no system randomness).
///
/// The one seeded generator of the test targets and `lmds-bench`, in a target of its own so that no shipped
/// module carries it (it used to live in `Domain`). Its second multiplier reads `0xBF58_476D_1CE5_E4B9`
/// where Vigna's published SplitMix64 has `…1CE4_E5B9`: kept as it was, so that the benchmark's generated
/// data sets, and the seeds printed by earlier runs of the `Domain` and `Matching` tests, give what they gave
/// (any odd multiplier mixes well enough for tests).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (modulo: the slight bias does not matter to a test).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "the bound must be positive")
        return Int(next() % UInt64(bound))
    }
}
