import Foundation
import Loom

/// The image-classification datasets Loom knows how to find.
public enum ImageDataset: String, CaseIterable, Sendable {
    /// UCI optdigits 8×8 (1437 train / 360 test, pixels 0…16), embedded in Loom.
    case digits
    /// MNIST 28×28 (60 000 / 10 000, pixels 0…255), from a directory (`--data DIR`).
    case mnist
    /// Fashion-MNIST 28×28 (60 000 / 10 000), from a directory or Debian's
    /// `dataset-fashion-mnist` package.
    case fashionMNIST = "fashion-mnist"

    /// The largest pixel value, used to scale inputs to [0, 1].
    public var maximumPixel: Double { self == .digits ? 16 : 255 }

    /// Where Debian's `dataset-fashion-mnist` puts its files.
    public static let debianFashionMNISTDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The directory used when none is given: Debian's for Fashion-MNIST; nil for MNIST,
    /// which needs one, and for digits, which load from the copy embedded in the binary
    /// (``isEmbedded``) when no directory is given.
    public var defaultDirectory: URL? {
        switch self {
        case .fashionMNIST: Self.debianFashionMNISTDirectory
        case .digits, .mnist: nil
        }
    }

    /// Whether the dataset is compiled into Loom, so that it loads with no directory and no
    /// files beside the binary (the digits).
    public var isEmbedded: Bool { self == .digits }

    /// Where the dataset is read from when no directory is given, for people: a path,
    /// "bundled (embedded in the binary)", or how to give one.
    public var defaultLocationDescription: String {
        if isEmbedded { return "bundled (embedded in the binary)" }
        return defaultDirectory?.path ?? "pass its directory with --data DIR"
    }
}

/// A dataset's train and test splits.
public struct DatasetSplits {
    public let train: LabeledDataset
    public let test: LabeledDataset
}

extension ImageDataset {
    /// Loads the train and test splits from `directory` (or ``defaultDirectory``; the
    /// embedded copy for digits), scaled to [0, 1] and flattened to vectors. Accepts the
    /// standard IDX names, plain or `.gz` (`train-images-idx3-ubyte`, `t10k-…` or `test-…`).
    public func load(from directory: URL? = nil) throws -> DatasetSplits {
        guard let directory = directory ?? defaultDirectory else {
            guard isEmbedded else {
                throw DataError.notFound("\(rawValue) has no default location: pass its directory (--data DIR)")
            }
            return DatasetSplits(train: try loadSplit(["train"], from: .embedded),
                                 test: try loadSplit(["test"], from: .embedded))
        }
        let train = try loadSplit(["train"], from: .directory(directory))
        let test = try loadSplit(["t10k", "test"], from: .directory(directory))
        // Every consumer (training, the experiments) feeds both splits to one network.
        guard train.count > 0 else { throw DataError.malformed(path: directory.path, reason: "the training split has no examples") }
        guard test.exampleShape == train.exampleShape else {
            throw DataError.mismatch("\(directory.path): the test images are \(test.exampleShape[0]) features, the training images \(train.exampleShape[0])")
        }
        return DatasetSplits(train: train, test: test)
    }

    /// Loads only the test split (what evaluation needs), as ``load(from:)`` would.
    public func loadTest(from directory: URL? = nil) throws -> LabeledDataset {
        guard let directory = directory ?? defaultDirectory else {
            guard isEmbedded else {
                throw DataError.notFound("\(rawValue) has no default location: pass its directory (--data DIR)")
            }
            return try loadSplit(["test"], from: .embedded)
        }
        return try loadSplit(["t10k", "test"], from: .directory(directory))
    }

    /// Whether the four files can be found in `directory` (or the default location; with no
    /// directory, an embedded dataset always is).
    public func isAvailable(in directory: URL? = nil) -> Bool {
        guard let directory = directory ?? defaultDirectory else { return isEmbedded }
        return (try? locate(["train"], "images-idx3-ubyte", in: directory)) != nil
            && (try? locate(["t10k", "test"], "labels-idx1-ubyte", in: directory)) != nil
    }

    /// Where a split's IDX files are read from.
    private enum Source {
        case directory(URL)
        /// ``EmbeddedDigits``, decoded in memory.
        case embedded
    }

    private func loadSplit(_ prefixes: [String], from source: Source) throws -> LabeledDataset {
        let (images, imagesPath) = try read(prefixes, "images-idx3-ubyte", from: source)
        let (labels, labelsPath) = try read(prefixes, "labels-idx1-ubyte", from: source)
        guard images.elementType == .uint8, images.shape.count == 3 else {
            throw DataError.malformed(path: imagesPath, reason: "expected uint8 images [count, rows, columns], found \(images.elementType) \(images.shape)")
        }
        guard labels.elementType == .uint8, labels.shape.count == 1 else {
            throw DataError.malformed(path: labelsPath, reason: "expected uint8 labels [count], found \(labels.elementType) \(labels.shape)")
        }
        guard images.shape[1] > 0, images.shape[2] > 0 else {
            throw DataError.malformed(path: imagesPath, reason: "images of \(images.shape[1])×\(images.shape[2]) pixels have no features")
        }
        guard images.shape[0] == labels.shape[0] else {
            let imagesName = URL(fileURLWithPath: imagesPath).lastPathComponent, labelsName = URL(fileURLWithPath: labelsPath).lastPathComponent
            throw DataError.mismatch("\(imagesName) has \(images.shape[0]) images but \(labelsName) has \(labels.shape[0]) labels")
        }
        do {
            // The pixels stay bytes; batches scale their own rows to [0, 1].
            return try LabeledDataset(bytes: images.payload, shape: [images.shape[0], images.shape[1] * images.shape[2]],
                                      scale: 1 / maximumPixel, labels: labels.tensor(dtype: .int64), classCount: 10)
        } catch let DataError.mismatch(message) {
            throw DataError.malformed(path: labelsPath, reason: message)
        }
    }

    /// One IDX array and the path that names it in error messages.
    private func read(_ prefixes: [String], _ suffix: String, from source: Source) throws -> (IDXArray, path: String) {
        switch source {
        case let .directory(directory):
            let url = try locate(prefixes, suffix, in: directory)
            return (try IDXArray(contentsOf: url), url.path)
        case .embedded:
            let name = "\(prefixes[0])-\(suffix).gz", path = "(embedded in the binary)/\(name)"
            guard let text = EmbeddedDigits.base64Files[name],
                  let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw DataError.notFound("no \(name) embedded for \(rawValue)")
            }
            return (try IDXArray(bytes: [UInt8](bytes), path: path), path)
        }
    }

    private func locate(_ prefixes: [String], _ suffix: String, in directory: URL) throws -> URL {
        let manager = FileManager.default
        for prefix in prefixes {
            for name in ["\(prefix)-\(suffix)", "\(prefix)-\(suffix).gz"] {
                let url = directory.appendingPathComponent(name)
                if manager.isReadableFile(atPath: url.path) { return url }
            }
        }
        throw DataError.notFound("no \(prefixes[0])-\(suffix)[.gz] in \(directory.path) for \(rawValue)")
    }
}
