import Loom

/// The base class of every layer and model.
///
/// A module's parameters, buffers and child modules are found by reflection over its stored
/// properties, in declaration order: a `Parameter`, a ``Buffer``, a `Module`, an optional of
/// any of them, or an array of any of them. Each gets a dotted path (`layers.0.weight`,
/// `layers.1.runningMean`) that checkpoints use. Subclasses override ``forward(_:)``.
open class Module {
    /// Whether the module is in training mode (dropout active, batch statistics used).
    public private(set) var isTraining = true

    /// A module with no parameters of its own; subclasses declare theirs as stored properties.
    public init() {}

    /// The module's computation. Subclasses override it.
    open func forward(_ input: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)): forward(_:) is not implemented")
    }

    /// Applies ``forward(_:)``.
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input) }

    /// Parameters, buffers and child modules held directly by this module, with their property
    /// names (array elements get their index), in declaration order (superclass first).
    public func namedMembers() -> [(name: String, member: Member)] {
        var result: [(String, Member)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        var mirrors: [Mirror] = []
        while let current = mirror { mirrors.append(current); mirror = current.superclassMirror }
        for current in mirrors.reversed() {
            for child in current.children {
                guard let label = child.label else { continue }
                let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                result += Module.members(of: child.value, named: name)
            }
        }
        return result
    }

    /// A parameter, a buffer or a child module.
    public enum Member {
        /// Trainable state.
        case parameter(Parameter)
        /// Non-trainable state (running statistics).
        case buffer(Buffer)
        /// A child module.
        case module(Module)
    }

    private static func members(of value: Any, named name: String) -> [(String, Member)] {
        switch value {
        case let parameter as Parameter: return [(name, .parameter(parameter))]
        case let buffer as Buffer: return [(name, .buffer(buffer))]
        case let module as Module: return [(name, .module(module))]
        case let modules as [Module]: return modules.enumerated().map { ("\(name).\($0.offset)", .module($0.element)) }
        case let parameters as [Parameter]: return parameters.enumerated().map { ("\(name).\($0.offset)", .parameter($0.element)) }
        case let buffers as [Buffer]: return buffers.enumerated().map { ("\(name).\($0.offset)", .buffer($0.element)) }
        default:
            // Optionals (and other single-child wrappers) hold their payload as one child.
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional, let payload = mirror.children.first {
                return members(of: payload.value, named: name)
            }
            return []
        }
    }

    /// The direct child modules with their names.
    public func namedChildren() -> [(name: String, module: Module)] {
        namedMembers().compactMap { if case .module(let m) = $0.member { ($0.name, m) } else { nil } }
    }

    /// Every parameter of this module and its descendants, with dotted paths, in
    /// declaration order (depth first). A parameter shared by two modules appears once.
    public func namedParameters() -> [(path: String, parameter: Parameter)] {
        namedState().compactMap { if case .parameter(let p) = $0.member { ($0.path, p) } else { nil } }
    }

    /// Every buffer (non-trainable state such as running statistics) of this module and its
    /// descendants, with dotted paths, in declaration order (depth first). A buffer shared by
    /// two modules appears once.
    public func namedBuffers() -> [(path: String, buffer: Buffer)] {
        namedState().compactMap { if case .buffer(let b) = $0.member { ($0.path, b) } else { nil } }
    }

    /// Every buffer, in the order of ``namedBuffers()``.
    public var buffers: [Buffer] { namedBuffers().map(\.buffer) }

    /// Parameters and buffers of the whole tree with dotted paths, each object once (at the
    /// first path that reaches it).
    private func namedState() -> [(path: String, member: Member)] {
        var seen: Set<ObjectIdentifier> = []
        var result: [(String, Member)] = []
        func visit(_ module: Module, prefix: String) {
            for (name, member) in module.namedMembers() {
                let path = prefix.isEmpty ? name : "\(prefix).\(name)"
                switch member {
                case .parameter(let p):
                    if seen.insert(ObjectIdentifier(p)).inserted { result.append((path, member)) }
                case .buffer(let b):
                    if seen.insert(ObjectIdentifier(b)).inserted { result.append((path, member)) }
                case .module(let child):
                    visit(child, prefix: path)
                }
            }
        }
        visit(self, prefix: "")
        return result
    }

    /// Every parameter, in the order of ``namedParameters()``.
    public var parameters: [Parameter] { namedParameters().map(\.parameter) }

    /// The parameters that training updates.
    public var trainableParameters: [Parameter] { parameters.filter { !$0.isFrozen } }

    /// This module and all its descendants, depth first, this module first.
    public func modules() -> [Module] {
        [self] + namedChildren().flatMap { $0.module.modules() }
    }

    /// The number of scalars in all parameters (`trainableOnly` counts unfrozen ones).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters : parameters).reduce(0) { $0 + $1.count }
    }

    /// Switches this module and its descendants to training mode.
    public func train() { modules().forEach { $0.isTraining = true } }

    /// Switches this module and its descendants to evaluation mode.
    public func evaluate() { modules().forEach { $0.isTraining = false } }

    /// Freezes every parameter (training leaves them unchanged).
    public func freeze() { parameters.forEach { $0.isFrozen = true } }

    /// Unfreezes every parameter.
    public func unfreeze() { parameters.forEach { $0.isFrozen = false } }

    /// Drops every parameter's accumulated gradient.
    public func zeroGradients() { parameters.forEach { $0.zeroGradient() } }
}
