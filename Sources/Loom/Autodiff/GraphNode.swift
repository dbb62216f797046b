/// A pullback: given the cotangent of an operation's output and the (recorded) output and
/// inputs, the cotangents of the inputs, or nil for an input that gets none. Written in
/// tensor operations, so that running it while recording makes the backward pass itself
/// differentiable. A returned cotangent may have the output's (broadcast) shape; the engine
/// sums it back to the input's shape.
///
/// NOTE: the cotangent may have leading batch axes (`B + output.shape`, a block of seeds;
/// see ``gradients(of:withRespectTo:seed:createGraph:)``), and the returned cotangents must
/// then be `B + ` the input's (broadcast) shape. Elementwise rules get this from
/// broadcasting; a rule that names axes or shapes counts them from the end
/// (``Tensor/batchShape(over:)``).
typealias Pullback = (_ cotangent: Tensor, _ output: Tensor, _ inputs: [Tensor]) -> [Tensor?]

/// Every differentiable primitive: the only operations that record graph nodes. Each has
/// its forward kernel call and its vector-Jacobian product together in one function;
/// everything else (mean, softmax, losses, …) is composed from these. A few are fused for
/// speed (affine maps, log-softmax, softmax cross-entropy) and still have pullbacks written in
/// tensor operations, or recorded pullbacks that have.
public enum Primitive: String, CaseIterable, Sendable {
    case add, subtract, multiply, divide, negate, pow
    case exp, log, sqrt, tanh, sigmoid, relu, abs
    case `where`, maximum, minimum
    case sum, max
    /// `log softmax` along an axis in one pass; see `Tensor.logSoftmax(alongAxis:)`.
    case logSoftmax
    /// Per-row `−log softmax(x)[label]` in one pass; see `Tensor.softmaxCrossEntropy(labels:)`.
    case softmaxCrossEntropy
    /// `g (softmax(x) − onehot)`, the pullback of `softmaxCrossEntropy`, recorded so that it
    /// differentiates again.
    case softmaxCrossEntropyPullback
    case matmul
    /// `x · W + b` in one GEMM (a fully connected layer); see `Tensor.affine(weight:bias:)`.
    case affine
    /// `relu(x · W + b)` in one GEMM; see `Tensor.affineReLU(weight:bias:)`.
    case affineReLU
    case reshape, permute, expand, slice, place, concatenate
    case gather, scatterAdd
    case cast
    /// The recorded identity that functional differentiation uses to see through a point
    /// that is itself being differentiated (see `gradient(at:of:)`).
    case identity
}

/// One recorded operation (or a leaf that requires a gradient). Owned by the tensors it
/// produced and by the nodes downstream of them, so a graph lives exactly as long as some
/// tensor can still reach it: there is no global tape.
final class GraphNode {
    /// The primitive that produced the output (nil for a leaf).
    let primitive: Primitive?
    /// The inputs as they were when recorded (with their own nodes).
    private(set) var inputs: [Tensor]
    private(set) var pullback: Pullback?
    /// The output's storage and layout, kept when the pullback uses the output.
    let savedOutput: (storage: TensorStorage, layout: Layout, dtype: DType)?
    /// Accumulated gradient of a leaf.
    var gradient: Tensor?

    /// A leaf: a tensor the user asked gradients for.
    init() {
        primitive = nil
        inputs = []
        pullback = nil
        savedOutput = nil
    }

    init(primitive: Primitive, inputs: [Tensor], savedOutput: Tensor?, pullback: @escaping Pullback) {
        self.primitive = primitive
        self.inputs = inputs
        self.pullback = pullback
        self.savedOutput = savedOutput.map { ($0.storage, $0.layout, $0.dtype) }
    }

    var isLeaf: Bool { pullback == nil }

    /// Releases the graph behind this node without recursion. Left to Swift, the last release
    /// of a node releases its inputs' nodes from inside its own deinit, one stack frame per
    /// node of the chain behind it, so a long enough graph (a recurrence unrolled for 10⁵
    /// steps, a loop of updates recorded by mistake) overflows the stack when it is dropped.
    /// Here the inputs' nodes move to a local stack first, and a node that nothing else holds
    /// hands its own inputs over before it is released: each deinit finds its inputs gone.
    deinit {
        guard !inputs.isEmpty else { return }
        var pending = inputs.compactMap(\.node)
        inputs = []
        pullback = nil  // after the inputs moved: what the closure holds is then not the last reference
        while var node = pending.popLast() {
            if isKnownUniquelyReferenced(&node) {
                pending.append(contentsOf: node.inputs.lazy.compactMap(\.node))
                node.inputs = []
                node.pullback = nil
            }
        }
    }
}

/// Whether operations record graph nodes on this task or thread.
enum GradientRecording {
    @TaskLocal static var isEnabled = true
}

/// Runs `body` without recording operations: results carry no graph and no gradient flows
/// through them. Use it for evaluation and for optimizer updates.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` with recording on, even inside ``withoutGradients(_:)``.
public func withGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(true, operation: body)
}

/// Whether operations record graph nodes here and now.
public var isRecordingGradients: Bool { GradientRecording.isEnabled }

extension Tensor {
    /// Attaches a graph node to `output` when recording is on and any input requires a
    /// gradient. Every primitive ends here; `pullback` is the primitive's vector-Jacobian
    /// product, and `savesOutput` keeps the output alive for pullbacks that use it.
    static func record(
        _ primitive: Primitive, _ output: Tensor, inputs: [Tensor], savesOutput: Bool = false,
        pullback: @escaping Pullback
    ) -> Tensor {
        guard GradientRecording.isEnabled, inputs.contains(where: { $0.node != nil }) else { return output }
        var result = output
        result.node = GraphNode(primitive: primitive, inputs: inputs, savedOutput: savesOutput ? output : nil, pullback: pullback)
        return result
    }

    /// Whether gradients flow to this tensor. Setting it to true on a tensor without a graph
    /// makes it a leaf whose ``gradient`` ``backward(seed:createGraph:)`` fills; setting it
    /// to false detaches the tensor.
    public var requiresGradient: Bool {
        get { node != nil }
        set {
            if newValue {
                precondition(dtype.isFloatingPoint, "requiresGradient: \(dtype) tensors cannot have gradients")
                if node == nil { node = GraphNode() }
            } else {
                node = nil
            }
        }
    }

    /// The gradient accumulated by ``backward(seed:createGraph:)`` into this leaf, if any.
    /// Setting it (for example to nil) replaces the accumulated value.
    public var gradient: Tensor? {
        get { node?.gradient }
        nonmutating set {
            precondition(node != nil, "gradient: the tensor does not require a gradient")
            node?.gradient = newValue
        }
    }

    /// The leading batch axes of a cotangent for an output of rank `outputRank`: `[]` in an
    /// ordinary backward pass, `B` when a block of seeds is propagated (see ``Pullback``).
    func batchShape(over outputRank: Int) -> [Int] {
        Array(shape.prefix(rank - outputRank))
    }

    /// Whether this tensor is a leaf of the graph (made by the user, not by an operation).
    public var isLeaf: Bool { node?.isLeaf ?? true }

    /// The primitive that produced this tensor, when it was recorded.
    public var recordedPrimitive: Primitive? { node?.primitive }

    /// Every primitive recorded on the graph that produced this tensor (for tests and
    /// debugging: which primitives a composite is made of).
    public var recordedPrimitives: Set<Primitive> {
        guard let node else { return [] }
        return Set(Backpropagation.topologicalOrder(from: node).compactMap(\.primitive))
    }
}
