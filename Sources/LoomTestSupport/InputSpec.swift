import Loom

/// How a checked input is laid out in memory: the gradient check samples a contiguous
/// *base* tensor and presents the function with a view of it, so that primitives are also
/// exercised on strided, reversed and broadcast (stride-0) layouts.
///
/// The view is linear, so a perturbation `base ± h·v` of the base presents itself as
/// `view(base) ± h·view(v)`: finite differences keep the layout of every evaluation.
public enum InputLayout: Sendable, Hashable, CustomStringConvertible {
    /// A contiguous row-major tensor.
    case contiguous
    /// The transpose of a contiguous tensor whose last two axes are swapped (rank ≥ 2).
    case transposed
    /// Every `step`-th row of a tensor `|step|` times longer along axis 0; a negative step
    /// reads the rows backwards (`x[TensorSlice(step: step)]`).
    case strided(step: Int)
    /// A tensor of shape `from` broadcast to the presented shape (stride 0 on stretched
    /// axes), as `expanded(to:)` makes it.
    case expanded(from: [Int])

    /// The shape of the contiguous base tensor that presents itself with `shape`.
    public func baseShape(presenting shape: [Int]) -> [Int] {
        switch self {
        case .contiguous:
            return shape
        case .transposed:
            precondition(shape.count >= 2, "InputLayout.transposed: needs rank ≥ 2, got \(shape)")
            var base = shape
            base.swapAt(shape.count - 1, shape.count - 2)
            return base
        case let .strided(step):
            precondition(step != 0 && !shape.isEmpty, "InputLayout.strided: step \(step) for shape \(shape)")
            var base = shape
            base[0] *= Swift.abs(step)
            return base
        case let .expanded(from):
            return from
        }
    }

    /// The view of `base` (of ``baseShape(presenting:)``) that presents itself with `shape`.
    public func view(of base: Tensor, presenting shape: [Int]) -> Tensor {
        switch self {
        case .contiguous: base
        case .transposed: base.transposed()
        case let .strided(step): base[TensorSlice(step: step)]
        case .expanded: base.expanded(to: shape)
        }
    }

    public var description: String {
        switch self {
        case .contiguous: "contiguous"
        case .transposed: "transposed"
        case let .strided(step): "strided(\(step))"
        case let .expanded(from): "expanded from \(from)"
        }
    }
}

/// One differentiable input of a checked function: the shape the function sees, the domain
/// its elements come from, and the memory layout it is presented in.
public struct InputSpec: Sendable, Hashable, CustomStringConvertible {
    /// The shape the function receives.
    public var shape: [Int]
    /// The domain the elements are sampled from.
    public var domain: InputDomain
    /// The layout the function receives the input in.
    public var layout: InputLayout

    /// An input of `shape` from `domain`, presented in `layout`.
    public init(_ shape: [Int], _ domain: InputDomain = .real, layout: InputLayout = .contiguous) {
        self.shape = shape
        self.domain = domain
        self.layout = layout
    }

    /// The shape of the contiguous tensor that is sampled and perturbed.
    public var baseShape: [Int] { layout.baseShape(presenting: shape) }

    /// A base tensor sampled from ``domain`` in `dtype`.
    public func sampleBase<G: RandomNumberGenerator>(dtype: DType = .float64, using generator: inout G) -> Tensor {
        domain.sample(baseShape, dtype: dtype, using: &generator)
    }

    /// The input the function receives for `base`: the layout's view, checked to have ``shape``.
    public func present(_ base: Tensor) -> Tensor {
        let input = layout.view(of: base, presenting: shape)
        precondition(input.shape == shape, "InputSpec: layout \(layout) presents \(input.shape), not \(shape)")
        return input
    }

    public var description: String {
        layout == .contiguous ? "\(shape) \(domain)" : "\(shape) \(domain) \(layout)"
    }
}
