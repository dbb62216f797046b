import Loom
import LoomNN
@testable import LoomOptimizers
import Testing

/// The float32 fast paths of the optimizers' updates (the fused C kernel for Adam, chunks on
/// several threads for all) against the Swift reference loop on one range.
@Suite("Fused and threaded optimizer updates")
struct FusedUpdateTests {
    /// Deterministic values in [-scale, scale).
    static func values(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in scale * (Float(generator.next() >> 40) / Float(1 << 23) - 1) }
    }

    @Test(arguments: [1, 100, 100_003])
    func adamFusedEqualsReferenceBitForBit(count: Int) {
        let coefficients = Adam.Coefficients(stepSize: 1e-3 / 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                                             secondMomentCorrectionRoot: 0.0447, coupledWeightDecay: 0.01, decayFactor: 1)
        let g = Self.values(count, seed: 1, scale: 0.1)
        var p = Self.values(count, seed: 2, scale: 1), m = Self.values(count, seed: 3, scale: 0.01)
        var v = Self.values(count, seed: 4, scale: 1e-4).map { $0 * $0 }
        var pr = p, mr = m, vr = v
        g.withUnsafeBufferPointer { gb in
            p.withUnsafeMutableBufferPointer { pb in m.withUnsafeMutableBufferPointer { mb in v.withUnsafeMutableBufferPointer { vb in
                Adam.update(parameter: pb, gradient: gb, firstMoment: mb, secondMoment: vb, maximumSecondMoment: nil,
                            coefficients: coefficients)
            } } }
            pr.withUnsafeMutableBufferPointer { pb in mr.withUnsafeMutableBufferPointer { mb in vr.withUnsafeMutableBufferPointer { vb in
                Adam.referenceUpdate(pb, gb, mb, vb, nil, coefficients, 0..<count)
            } } }
        }
        #expect(p.map(\.bitPattern) == pr.map(\.bitPattern))
        #expect(m.map(\.bitPattern) == mr.map(\.bitPattern))
        #expect(v.map(\.bitPattern) == vr.map(\.bitPattern))
    }

    /// A few steps of SGD, heavy-ball momentum and Adam on a parameter large enough to be split
    /// across threads give the same bits with one thread and with two.
    @Test func updatesDoNotDependOnTheThreadCount() throws {
        let makers: [([Parameter]) throws -> any Optimizer] = [
            { try SGD(parameters: $0, learningRate: 0.1) },
            { try SGD(parameters: $0, learningRate: 0.01, momentum: 0.9, momentumForm: .heavyBall()) },
            { try Adam(parameters: $0, learningRate: 1e-3) },
        ]
        let count = 200_003
        let start = Tensor(shape: [count], scalars: Self.values(count, seed: 5, scale: 1))
        for make in makers {
            var results: [[Float]] = []
            for threads in [1, 2] {
                let previous = kernelThreadCount
                kernelThreadCount = threads
                defer { kernelThreadCount = previous }
                let parameter = Parameter(start)
                let optimizer = try make([parameter])
                for step in 0..<3 {
                    parameter.gradient = Tensor(shape: [count], scalars: Self.values(count, seed: 10 + UInt64(step), scale: 0.1))
                    optimizer.step()
                }
                results.append(parameter.value.asArray(Float.self))
            }
            #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern))
        }
    }
}
