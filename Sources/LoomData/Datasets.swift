import Foundation
import Loom

/// The image-classification datasets Loom knows how to find.
public enum ImageDataset: String, CaseIterable, Sendable {
    /// UCI optdigits 8×8 (1437 train / 360 test, pixels 0…16), bundled with Loom.
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

    /// The directory used when none is given: the bundled copy for digits, Debian's for
    /// Fashion-MNIST, none for MNIST.
    public var defaultDirectory: URL? {
        switch self {
        case .digits: Bundle.module.url(forResource: "digits", withExtension: nil)
        case .fashionMNIST: Self.debianFashionMNISTDirectory
        case .mnist: nil
        }
    }
}

/// A dataset's train and test splits.
public struct DatasetSplits {
    public let train: LabeledDataset
    public let test: LabeledDataset
}

extension ImageDataset {
    /// Loads the train and test splits from `directory` (or ``defaultDirectory``), scaled to
    /// [0, 1] and flattened to vectors. Accepts the standard IDX names, plain or `.gz`
    /// (`train-images-idx3-ubyte`, `t10k-…` or `test-…`).
    public func load(from directory: URL? = nil) throws -> DatasetSplits {
        guard let directory = directory ?? defaultDirectory else {
            throw DataError.notFound("\(rawValue) has no default location: pass its directory (--data DIR)")
        }
        let train = try loadSplit(["train"], in: directory)
        let test = try loadSplit(["t10k", "test"], in: directory)
        return DatasetSplits(train: train, test: test)
    }

    /// Whether the four files can be found in `directory` (or the default location).
    public func isAvailable(in directory: URL? = nil) -> Bool {
        guard let directory = directory ?? defaultDirectory else { return false }
        return (try? locate(["train"], "images-idx3-ubyte", in: directory)) != nil
            && (try? locate(["t10k", "test"], "labels-idx1-ubyte", in: directory)) != nil
    }

    private func loadSplit(_ prefixes: [String], in directory: URL) throws -> LabeledDataset {
        let imagesURL = try locate(prefixes, "images-idx3-ubyte", in: directory)
        let labelsURL = try locate(prefixes, "labels-idx1-ubyte", in: directory)
        let images = try IDXArray(contentsOf: imagesURL)
        let labels = try IDXArray(contentsOf: labelsURL)
        guard images.elementType == .uint8, images.shape.count == 3 else {
            throw DataError.malformed(path: imagesURL.path, reason: "expected uint8 images [count, rows, columns], found \(images.elementType) \(images.shape)")
        }
        guard labels.elementType == .uint8, labels.shape.count == 1 else {
            throw DataError.malformed(path: labelsURL.path, reason: "expected uint8 labels [count], found \(labels.elementType) \(labels.shape)")
        }
        guard images.shape[0] == labels.shape[0] else {
            throw DataError.mismatch("\(imagesURL.lastPathComponent) has \(images.shape[0]) images but \(labelsURL.lastPathComponent) has \(labels.shape[0]) labels")
        }
        let inputs = images.tensor(scale: 1 / maximumPixel).reshaped([images.shape[0], -1])
        do {
            return try LabeledDataset(inputs: inputs, labels: labels.tensor(dtype: .int64), classCount: 10)
        } catch let DataError.mismatch(message) {
            throw DataError.malformed(path: labelsURL.path, reason: message)
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
