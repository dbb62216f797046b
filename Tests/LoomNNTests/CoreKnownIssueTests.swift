import Foundation
import Loom
import Testing

/// Defects found in the core (Sources/Loom) while building LoomNN, kept as known issues
/// until the core is fixed. A fix is in progress in the core's working tree, so the issue is
/// marked intermittent (the test passes with or without the fix); once the fix is committed,
/// remove the `withKnownIssue` wrapper so the expectation guards against regressions, and let
/// `softmaxCrossEntropy` use the core's `logSoftmax` again.
@Suite("Core known issues")
struct CoreKnownIssueTests {
    @Test("logSoftmax keeps float32 precision for logits near ±1000")
    func logSoftmaxOfLargeLogits() {
        withKnownIssue("Statistics.swift logSoftmax computes x − (m + log Σ exp(x − m)): m + log 2 rounds to ulp(1000) = 6e-5",
                       isIntermittent: true) {
            let x = Tensor([[-1000, 1000, 1000]])
            let value = Double(x.logSoftmax(alongAxis: 1).asArray(Float.self)[1])
            // PyTorch: (x − m) − log Σ exp(x − m) = −log 2 to float32 precision.
            #expect(Swift.abs(value + Foundation.log(2)) <= 4 * Double(Float.ulpOfOne), "logSoftmax gave \(value)")
        }
    }
}
