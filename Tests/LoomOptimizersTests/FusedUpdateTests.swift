import CLoomKernels
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

    /// Every SGD rule, with weight decay and dampening, on every ISA path this CPU has: the C
    /// kernel against SGD's Swift loops, bit for bit, at lengths around the vector widths.
    @Test(arguments: [1, 7, 8, 17, 33, 1037])
    func sgdKernelEqualsReferenceBitForBitOnEveryISA(count: Int) {
        let rules: [SGD.Rule] = [
            .plain(learningRate: 0.1, weightDecay: 0.01),
            .heavyBall(learningRate: 0.01, weightDecay: 0.01, momentum: 0.9, dampening: 0.1, nesterov: false),
            .heavyBall(learningRate: 0.01, weightDecay: 0.01, momentum: 0.9, dampening: 0.1, nesterov: true),
            .movingAverage(weightDecay: 0.01, momentum: 0.9, stepScale: 0.05 / 0.19),
            .lookAheadMovingAverage(weightDecay: 0.01, momentum: 0.9, lastStepScale: 0.05 / 0.1, stepScale: 0.05 / 0.19),
        ]
        let g = Self.values(count, seed: 1, scale: 0.1)
        let p0 = Self.values(count, seed: 2, scale: 1), u0 = Self.values(count, seed: 3, scale: 0.05)
        let isa0 = loom_active_isa()
        defer { _ = loom_set_isa(isa0) }
        for rule in rules {
            var pr = p0, ur = u0
            g.withUnsafeBufferPointer { gb in
                pr.withUnsafeMutableBufferPointer { pb in ur.withUnsafeMutableBufferPointer { ub in
                    SGD.referenceUpdate(pb, gb, ub, rule, 0..<count)
                } }
            }
            for isa in (0...loom_detected_isa().rawValue).map({ loom_isa(rawValue: $0) }) {
                #expect(loom_set_isa(isa) == isa)
                var pk = p0, uk = u0
                g.withUnsafeBufferPointer { gb in
                    pk.withUnsafeMutableBufferPointer { pb in uk.withUnsafeMutableBufferPointer { ub in
                        FusedOptimizerKernels.sgd(parameter: pb, gradient: gb, momentumBuffer: ub,
                                                  coefficients: SGD.fusedCoefficients(rule), range: 0..<count)
                    } }
                }
                #expect(pk.map(\.bitPattern) == pr.map(\.bitPattern), "parameter, \(rule), isa \(isa.rawValue)")
                #expect(uk.map(\.bitPattern) == ur.map(\.bitPattern), "momentum buffer, \(rule), isa \(isa.rawValue)")
            }
        }
    }

    /// The public entry point takes the kernel for float32 (in chunks on the kernel threads) and
    /// the Swift loop for float64; both agree with the loop run over the whole range at once.
    @Test func sgdUpdateEqualsReferenceForBothTypes() {
        let count = 100_003
        let rule = SGD.Rule.heavyBall(learningRate: 0.01, weightDecay: 0, momentum: 0.9, dampening: 0, nesterov: true)
        let g = Self.values(count, seed: 4, scale: 0.1)
        var p = Self.values(count, seed: 5, scale: 1), u = Self.values(count, seed: 6, scale: 0.05)
        var pr = p, ur = u
        var pd = p.map(Double.init), ud = u.map(Double.init)
        let gd = g.map(Double.init)
        var pdr = pd, udr = ud
        g.withUnsafeBufferPointer { gb in
            p.withUnsafeMutableBufferPointer { pb in u.withUnsafeMutableBufferPointer { ub in
                SGD.update(parameter: pb, gradient: gb, momentumBuffer: ub, rule: rule)
            } }
            pr.withUnsafeMutableBufferPointer { pb in ur.withUnsafeMutableBufferPointer { ub in
                SGD.referenceUpdate(pb, gb, ub, rule, 0..<count)
            } }
        }
        gd.withUnsafeBufferPointer { gb in
            pd.withUnsafeMutableBufferPointer { pb in ud.withUnsafeMutableBufferPointer { ub in
                SGD.update(parameter: pb, gradient: gb, momentumBuffer: ub, rule: rule)
            } }
            pdr.withUnsafeMutableBufferPointer { pb in udr.withUnsafeMutableBufferPointer { ub in
                SGD.referenceUpdate(pb, gb, ub, rule, 0..<count)
            } }
        }
        #expect(p.map(\.bitPattern) == pr.map(\.bitPattern) && u.map(\.bitPattern) == ur.map(\.bitPattern))
        #expect(pd.map(\.bitPattern) == pdr.map(\.bitPattern) && ud.map(\.bitPattern) == udr.map(\.bitPattern))
        // Not a no-op: the step moves a parameter by about lr·(g + βu), which rounds away only
        // where that is below half an ulp of it.
        let moved = zip(p, Self.values(count, seed: 5, scale: 1)).filter { $0 != $1 }.count
        #expect(moved > count * 9 / 10, "\(moved) of \(count) parameters moved")
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
