// MARK: - Errors

/// The one error type thrown by the SemSegLoss core.
///
/// Every case names the offending argument with the name users see in Python
/// (`input`, `target`, `smooth_nr`, ...) and says what was got, so the C ABI can pass
/// the message through unchanged. The C layer maps each `kind` to a status code in one
/// place (`SemSegLossC/StatusMapping.swift`) and the Python extension maps statuses to
/// exceptions in one place (`python/csrc/status.c`).
public struct SegLossError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong, coarse enough to map to a status code / Python exception type.
    public enum Kind: Int32, Sendable {
        /// A shape or size is invalid or two shapes disagree (Python `ValueError`).
        case shape = 2
        /// A value is out of range or not finite (Python `ValueError`).
        case value = 3
        /// An unknown option or enum value (Python `ValueError`).
        case option = 4
        /// Element type not supported (Python `TypeError`).
        case dtype = 5
        /// Memory could not be obtained (Python `MemoryError`).
        case allocation = 6
        /// A file could not be read or written (Python `OSError`).
        case io = 7
    }

    public var kind: Kind
    /// The argument at fault, in Python spelling (e.g. `"target"`, `"smooth_nr"`).
    public var argument: String
    /// A sentence saying what was expected and what was got.
    public var message: String

    public init(_ kind: Kind, argument: String, _ message: String) {
        self.kind = kind
        self.argument = argument
        self.message = message
    }

    public var description: String { "\(argument): \(message)" }

    // MARK: Convenience constructors

    public static func shape(_ argument: String, _ message: String) -> SegLossError {
        SegLossError(.shape, argument: argument, message)
    }
    public static func value(_ argument: String, _ message: String) -> SegLossError {
        SegLossError(.value, argument: argument, message)
    }
    public static func option(_ argument: String, _ message: String) -> SegLossError {
        SegLossError(.option, argument: argument, message)
    }
}

// MARK: - Argument checks shared by every loss

extension SegLossError {
    /// Throws unless `x` is finite.
    @inlinable
    public static func requireFinite(_ x: Double, _ argument: String) throws(SegLossError) {
        guard x.isFinite else { throw .value(argument, "must be finite, got \(x)") }
    }

    /// Throws unless `x` is finite and `x >= lower`.
    @inlinable
    public static func requireAtLeast(_ x: Double, _ lower: Double, _ argument: String) throws(SegLossError) {
        guard x.isFinite, x >= lower else {
            throw .value(argument, "must be a finite number >= \(lower), got \(x)")
        }
    }

    /// Throws unless `x` is finite and `lower <= x <= upper`.
    @inlinable
    public static func requireInRange(
        _ x: Double, _ lower: Double, _ upper: Double, _ argument: String
    ) throws(SegLossError) {
        guard x.isFinite, x >= lower, x <= upper else {
            throw .value(argument, "must lie in [\(lower), \(upper)], got \(x)")
        }
    }
}
