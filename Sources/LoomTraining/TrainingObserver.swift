/// Receives a run's progress: the training layer reports, a front end (the command line's
/// progress bar, a test, an app) decides what to show. The trainer knows no terminal.
public protocol TrainingObserver: AnyObject {
    /// After each batch: 1-based epoch and batch, the epoch's running mean loss and accuracy
    /// (nil for regression), its throughput and seconds so far.
    func batchFinished(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double?,
                       samplesPerSecond: Double, elapsed: Double)

    /// After each epoch's evaluation.
    func epochFinished(_ metrics: EpochMetrics, epochs: Int)

    /// A free-form line (a warning, a note about the data).
    func message(_ text: String)

    /// A Newton-type step without a line search more than doubled the loss (said once a run): `text`
    /// says so in the library's terms (the configuration field that adds a line search); a
    /// front end may add how its own user turns it on. By default, a ``message(_:)``.
    func lineSearchAdvised(_ text: String)
}

extension TrainingObserver {
    public func lineSearchAdvised(_ text: String) { message(text) }
}
