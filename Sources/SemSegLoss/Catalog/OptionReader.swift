// MARK: - Named numeric options

/// Reads named numeric options (the C ABI's `semseg_option_t` list, or a Swift dictionary)
/// and rejects any name the loss does not accept, listing the accepted ones.
public struct OptionReader: Sendable {
    public let owner: String
    // Parallel arrays searched linearly: a call passes about ten options, for which a
    // scan of short strings is several times cheaper than hashing them into a dictionary
    // (measured: option decoding was a third of a small loss call's time).
    private var names: [String]
    private var numbers: [Double]
    /// Whether an accessor has read entry i (`finish` reports the others).
    private var used: [Bool]
    private var accepted: [String] = []

    /// Fails on duplicated names.
    public init(owner: String, pairs: [(String, Double)]) throws(SegLossError) {
        self.owner = owner
        names = pairs.map(\.0)
        numbers = pairs.map(\.1)
        used = [Bool](repeating: false, count: pairs.count)
        if let twice = Self.firstDuplicate(names) { throw .option(twice, "given twice to \(owner)") }
    }

    public init(owner: String, _ dict: [String: Double] = [:]) {
        self.owner = owner
        let sorted = dict.sorted { $0.key < $1.key }
        names = sorted.map(\.key)
        numbers = sorted.map(\.value)
        used = [Bool](repeating: false, count: sorted.count)
    }

    private static func firstDuplicate(_ names: [String]) -> String? {
        if names.count > 32 {
            var seen = Set<String>()
            for n in names where !seen.insert(n).inserted { return n }
            return nil
        }
        for i in names.indices where names[..<i].contains(names[i]) { return names[i] }
        return nil
    }

    private func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// The value of `name`, or nil when absent. Rejects NaN.
    public mutating func optional(_ name: String) throws(SegLossError) -> Double? {
        accepted.append(name)
        guard let i = index(of: name) else { return nil }
        used[i] = true
        let x = numbers[i]
        guard !x.isNaN else { throw .value(name, "must be a number, got NaN") }
        return x
    }

    public mutating func double(_ name: String, default d: Double) throws(SegLossError) -> Double {
        try optional(name) ?? d
    }

    /// An odd integer size in 1...`maximum` (window and kernel sizes); the same message for
    /// every such option.
    public mutating func oddSize(_ name: String, default d: Int, maximum: Int) throws(SegLossError) -> Int {
        let x = try double(name, default: Double(d))
        guard x.isFinite, x >= 1, x <= Double(maximum), x == x.rounded(), Int(x) % 2 == 1 else {
            throw .value(name, "must be an odd integer >= 1, got \(x)")
        }
        return Int(x)
    }

    public mutating func bool(_ name: String, default d: Bool) throws(SegLossError) -> Bool {
        guard let x = try optional(name) else { return d }
        guard x == 0 || x == 1 else { throw .value(name, "must be a boolean (0 or 1), got \(x)") }
        return x == 1
    }

    /// Most entries of a list option (far more than any class count or scale list).
    static let longestList = 1 << 20

    /// A list option (e.g. class weights), passed as `name.0`, `name.1`, … (the Python
    /// layer expands sequences that way); nil when absent. Indices must be 0..<count
    /// without gaps; NaN is rejected.
    public mutating func doubles(_ name: String) throws(SegLossError) -> [Double]? {
        // (`longestList` bounds the indices, so that counting past the largest cannot overflow.)
        accepted.append(name)
        let prefix = name + "."
        var items: [Int: Double] = [:]
        for (i, k) in names.enumerated() where k.hasPrefix(prefix) {
            guard let index = Int(k.dropFirst(prefix.count)), index >= 0, index < Self.longestList else {
                throw .option(name, "list entries are passed as \(name).0, \(name).1, ...; got '\(k)'")
            }
            guard !numbers[i].isNaN else { throw .value(name, "must hold numbers, got NaN at index \(index)") }
            items[index] = numbers[i]
            used[i] = true
        }
        if index(of: name) != nil {
            throw .option(name, "expects a list of numbers (one per class, axis or scale), got a single number")
        }
        guard !items.isEmpty else { return nil }
        guard items.count == (items.keys.max() ?? -1) + 1 else {
            throw .option(name, "list has gaps: indices \(items.keys.sorted())")
        }
        return (0..<items.count).map { items[$0]! }
    }

    /// An enum option given by its raw code.
    public mutating func code<E: RawRepresentable & CaseIterable>(
        _ name: String, default d: E, names: (E) -> String
    ) throws(SegLossError) -> E where E.RawValue == Int32 {
        guard let x = try optional(name) else { return d }
        if let raw = Int32(exactly: x), let e = E(rawValue: raw) { return e }
        let valid = E.allCases.map { "\($0.rawValue) (\(names($0)))" }.joined(separator: ", ")
        throw .option(name, "unknown code \(x); expected one of \(valid)")
    }

    /// Throws if any given name was never asked for.
    public func finish() throws(SegLossError) {
        guard used.contains(false) else { return }
        let unknown = names.indices.filter { !used[$0] }.map { i -> String in
            let key = names[i]
            // A list entry `name.k` of an unknown option is reported as `name`.
            if let dot = key.firstIndex(of: "."), Int(key[key.index(after: dot)...]) != nil { return String(key[..<dot]) }
            return key
        }.sorted()
        if let first = unknown.first {
            throw .option(first, "is not an option of \(owner); accepted options: \(Set(accepted).sorted().joined(separator: ", "))")
        }
    }

    // MARK: Common groups

    /// mode, from_logits, reduction, ignore_index, include_background.
    public mutating func lossOptions() throws(SegLossError) -> LossOptions {
        LossOptions(
            mode: try code("mode", default: SegmentationMode.binary, names: { $0.name }),
            fromLogits: try bool("from_logits", default: true),
            reduction: try code("reduction", default: Reduction.mean, names: { "\($0)" }),
            ignoreIndex: try optional("ignore_index"),
            includeBackground: try bool("include_background", default: true))
    }

    /// smooth_nr, smooth_dr, batch, empty.
    public mutating func regionOptions() throws(SegLossError) -> RegionOptions {
        RegionOptions(
            smoothNumerator: try double("smooth_nr", default: 1e-5),
            smoothDenominator: try double("smooth_dr", default: 1e-5),
            batch: try bool("batch", default: false),
            emptyTarget: try code("empty", default: EmptyTargetPolicy.smooth, names: { $0.name }))
    }

    /// `regionOptions()` and soft_label (losses evaluated by `RegionLossEvaluator` only).
    public mutating func softLabelRegionOptions() throws(SegLossError) -> RegionOptions {
        var region = try regionOptions()
        region.softLabel = try bool("soft_label", default: false)
        return region
    }

    /// `softLabelRegionOptions()` and the class weights `weight` (MONAI `DiceLoss`'s; the
    /// overlap losses Dice, Jaccard, Tversky and focal Tversky).
    public mutating func weightedRegionOptions() throws(SegLossError) -> RegionOptions {
        var region = try softLabelRegionOptions()
        region.classWeights = try doubles("weight")
        return region
    }
}
