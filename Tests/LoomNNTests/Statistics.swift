import Loom

/// Sample statistics for tests of random layers and initializers, with tolerances derived
/// from the sample size rather than picked by hand.
enum SampleStatistics {
    /// How many standard errors a sample statistic may stray: with 5, a correct implementation
    /// fails about once in 1.7 million runs (at a fixed seed: never), while a wrong variance or
    /// mean by a few percent on 10⁵ samples fails.
    static let standardErrors = 5.0

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// The population standard deviation of `values`.
    static func standardDeviation(_ values: [Double]) -> Double {
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)).squareRoot()
    }

    /// The allowed error of a sample mean of `count` draws with standard deviation `sigma`.
    static func meanTolerance(sigma: Double, count: Int) -> Double {
        standardErrors * sigma / Double(count).squareRoot()
    }

    /// The allowed error of a sample standard deviation of `count` draws from a law with
    /// standard deviation `sigma` and kurtosis `kurtosis` (3 normal, 1.8 uniform): the sample
    /// variance has relative standard error √((κ − 1)/n), the deviation half of that.
    static func standardDeviationTolerance(sigma: Double, count: Int, kurtosis: Double) -> Double {
        standardErrors * sigma * ((kurtosis - 1) / Double(count)).squareRoot() / 2
    }
}
