import Testing
@testable import SemSegLoss

/// `OptionReader` keeps options in arrays searched linearly (a Set only checks duplicates
/// of long lists): the behaviour must not depend on which path a list takes.
@Suite("OptionReader")
struct OptionReaderTests {
    @Test("a name given twice is an error, in short and in long option lists", arguments: [3, 40, 1024])
    func duplicates(count: Int) throws {
        var pairs = (0..<count - 1).map { ("weight.\($0)", Double($0)) }
        pairs.append(("weight.\(count / 2)", 0))
        let error = thrownError { _ = try OptionReader(owner: "x", pairs: pairs) }
        #expect(error?.argument == "weight.\(count / 2)")
        #expect(error?.message.contains("given twice") == true)
        pairs.removeLast()
        var r = try OptionReader(owner: "x", pairs: pairs)
        #expect(try r.doubles("weight") == (0..<count - 1).map(Double.init))
        try r.finish()
    }

    @Test("values, defaults, NaN and unknown names")
    func valuesAndErrors() throws {
        var r = try OptionReader(owner: "dice_loss", pairs: [("alpha", 0.5), ("batch", 1), ("typo", 2)])
        #expect(try r.double("alpha", default: 0.3) == 0.5)
        #expect(try r.double("beta", default: 0.7) == 0.7)
        #expect(try r.bool("batch", default: false))
        let unknown = thrownError { try r.finish() }
        #expect(unknown?.argument == "typo")
        #expect(unknown?.message.contains("accepted options: alpha, batch, beta") == true)
        var nan = try OptionReader(owner: "x", pairs: [("alpha", .nan)])
        #expect(thrownError { _ = try nan.double("alpha", default: 0) }?.argument == "alpha")
        var notBool = try OptionReader(owner: "x", pairs: [("batch", 0.5)])
        #expect(thrownError { _ = try notBool.bool("batch", default: false) }?.argument == "batch")
    }

    @Test("a dictionary gives the same reader as pairs")
    func dictionary() throws {
        var r = OptionReader(owner: "x", ["gamma": 2, "alpha": 0.25])
        #expect(try r.double("alpha", default: 0) == 0.25)
        #expect(try r.double("gamma", default: 0) == 2)
        try r.finish()
    }
}
