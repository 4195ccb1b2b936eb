/// Parses a pattern for `PolicyExpressionRegex` and emits its program.
///
/// Two passes: a recursive parse into pieces (recursion is once per group, bounded by
/// `maxGroupDepth`), then code generation with the size checked on every instruction, so neither
/// a long pattern nor nested counted repetitions can make compilation expensive.
struct PolicyExpressionRegexCompiler {
    private typealias Regex = PolicyExpressionRegex
    private typealias ScalarSet = PolicyExpressionRegex.ScalarSet

    private indirect enum Piece {
        case scalar(Unicode.Scalar)
        case set(ScalarSet)
        case any
        case textStart
        case textEnd
        case sequence([Piece])
        case alternation([Piece])
        case repetition(Piece, min: Int, max: Int?)
    }

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var groupDepth = 0
    private var program: [Regex.Instruction] = []

    private init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
    }

    static func compile(_ pattern: String) throws(PolicyExpressionError) -> [PolicyExpressionRegex.Instruction] {
        guard pattern.utf8.count <= 4 * Regex.maxPatternLength, pattern.unicodeScalars.count <= Regex.maxPatternLength else {
            throw invalid("pattern is longer than \(Regex.maxPatternLength) characters")
        }
        var compiler = PolicyExpressionRegexCompiler(pattern)
        let root = try compiler.alternation()
        if compiler.position < compiler.scalars.count { throw invalid("unmatched ')'") }
        try compiler.emit(root)
        try compiler.append(.match)
        return compiler.program
    }

    private static func invalid(_ message: String) -> PolicyExpressionError {
        PolicyExpressionError(.type, "invalid regular expression: \(message)")
    }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        position + ahead < scalars.count ? scalars[position + ahead] : nil
    }

    // MARK: Parsing

    private mutating func alternation() throws(PolicyExpressionError) -> Piece {
        var branches = [try sequence()]
        while peek() == "|" {
            position += 1
            branches.append(try sequence())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func sequence() throws(PolicyExpressionError) -> Piece {
        var items: [Piece] = []
        while let scalar = peek(), scalar != "|", scalar != ")" {
            items.append(try quantified(try atom()))
        }
        return items.count == 1 ? items[0] : .sequence(items)
    }

    private mutating func quantified(_ atom: Piece) throws(PolicyExpressionError) -> Piece {
        guard let (min, max) = try quantifier() else { return atom }
        if peek() == "?" { position += 1 }  // lazy: same set of matching strings
        if let next = peek(), next == "*" || next == "+" || next == "?" {
            throw Self.invalid("bad repetition operator at \(position)")
        }
        return .repetition(atom, min: min, max: max)
    }

    /// `* + ?` or a well-formed `{n}`, `{n,}`, `{n,m}`; anything else leaves `{` to be a literal.
    private mutating func quantifier() throws(PolicyExpressionError) -> (Int, Int?)? {
        switch peek() {
        case "*": position += 1; return (0, nil)
        case "+": position += 1; return (1, nil)
        case "?": position += 1; return (0, 1)
        case "{":
            var cursor = position + 1
            func number() -> Int? {
                var value = 0
                let start = cursor
                while cursor < scalars.count, let digit = Int(String(scalars[cursor])), scalars[cursor].isASCII {
                    value = min(value * 10 + digit, Regex.maxRepeat + 1)
                    cursor += 1
                }
                return cursor > start ? value : nil
            }
            guard let low = number() else { return nil }
            var high: Int? = low
            if cursor < scalars.count, scalars[cursor] == "," {
                cursor += 1
                high = number()
            }
            guard cursor < scalars.count, scalars[cursor] == "}" else { return nil }
            position = cursor + 1
            if low > Regex.maxRepeat || (high ?? 0) > Regex.maxRepeat {
                throw Self.invalid("repeat count larger than \(Regex.maxRepeat)")
            }
            if let high, high < low { throw Self.invalid("repeat range {\(low),\(high)} is backwards") }
            return (low, high)
        default:
            return nil
        }
    }

    private mutating func atom() throws(PolicyExpressionError) -> Piece {
        let scalar = scalars[position]
        position += 1
        switch scalar {
        case "(":
            if peek() == "?" {
                guard peek(1) == ":" else { throw Self.invalid("only (?:...) groups are supported, not flags or names") }
                position += 2
            }
            groupDepth += 1
            guard groupDepth <= Regex.maxGroupDepth else { throw Self.invalid("groups nest deeper than \(Regex.maxGroupDepth)") }
            let inner = try alternation()
            guard peek() == ")" else { throw Self.invalid("missing ')'") }
            position += 1
            groupDepth -= 1
            return inner
        case "[": return .set(try characterClass())
        case ".": return .any
        case "^": return .textStart
        case "$": return .textEnd
        case "\\": return try escape(inClass: false)
        case "*", "+", "?": throw Self.invalid("missing argument to repetition operator '\(scalar)'")
        default: return .scalar(scalar)
        }
    }

    private static let digits = ScalarSet([0x30...0x39])
    private static let word = ScalarSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    private static let space = ScalarSet([0x09...0x0A, 0x0C...0x0D, 0x20...0x20])

    /// The escape after a consumed `\`: a literal scalar, a class, or (outside classes) an anchor.
    private mutating func escape(inClass: Bool) throws(PolicyExpressionError) -> Piece {
        guard let scalar = peek() else { throw Self.invalid("trailing '\\'") }
        position += 1
        switch scalar {
        case "d": return .set(Self.digits)
        case "D": return .set(Self.digits.inverted)
        case "w": return .set(Self.word)
        case "W": return .set(Self.word.inverted)
        case "s": return .set(Self.space)
        case "S": return .set(Self.space.inverted)
        case "n": return .scalar("\n")
        case "t": return .scalar("\t")
        case "r": return .scalar("\r")
        case "f": return .scalar("\u{0C}")
        case "v": return .scalar("\u{0B}")
        case "A" where !inClass: return .textStart
        case "z" where !inClass: return .textEnd
        default:
            // Escaped punctuation is itself; escaped letters and digits are classes or features
            // this engine does not have (\b, \pL, \1), and silently reading them as literals would
            // change what a policy means.
            guard scalar.isASCII, !scalar.properties.isAlphabetic, !("0"..."9").contains(scalar) else {
                throw Self.invalid("unsupported escape '\\\(scalar)'")
            }
            return .scalar(scalar)
        }
    }

    /// `[...]` after the consumed `[`; a `]` first in the class is a literal, as in RE2.
    private mutating func characterClass() throws(PolicyExpressionError) -> ScalarSet {
        var negated = false
        if peek() == "^" {
            negated = true
            position += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let scalar = peek() else { throw Self.invalid("missing ']'") }
            if scalar == "]" && !first {
                position += 1
                break
            }
            first = false
            guard let low = try classMember(into: &ranges) else { continue }
            if peek() == "-", let after = peek(1), after != "]" {
                position += 1
                var ignored: [ClosedRange<UInt32>] = []
                guard let high = try classMember(into: &ignored), ignored.isEmpty else {
                    throw Self.invalid("a class cannot end a range")
                }
                guard low.value <= high.value else { throw Self.invalid("range \(low)-\(high) is backwards") }
                ranges.append(low.value...high.value)
            } else {
                ranges.append(low.value...low.value)
            }
        }
        let set = ScalarSet(ranges)
        return negated ? set.inverted : set
    }

    /// One class member: returns a single scalar, or nil after adding a class like `\d` to `ranges`.
    private mutating func classMember(into ranges: inout [ClosedRange<UInt32>]) throws(PolicyExpressionError) -> Unicode.Scalar? {
        let scalar = scalars[position]
        position += 1
        guard scalar == "\\" else { return scalar }
        switch try escape(inClass: true) {
        case .scalar(let literal): return literal
        case .set(let set):
            ranges += set.ranges
            return nil
        default: throw Self.invalid("unsupported escape in a class")
        }
    }

    // MARK: Code generation

    @discardableResult
    private mutating func append(_ instruction: Regex.Instruction) throws(PolicyExpressionError) -> Int {
        guard program.count < Regex.maxProgramSize else {
            throw Self.invalid("pattern is too complex (more than \(Regex.maxProgramSize) instructions)")
        }
        program.append(instruction)
        return program.count - 1
    }

    private mutating func emit(_ piece: Piece) throws(PolicyExpressionError) {
        switch piece {
        case .scalar(let scalar): try append(.scalar(scalar))
        case .set(let set): try append(.set(set))
        case .any: try append(.anyButNewline)
        case .textStart: try append(.textStart)
        case .textEnd: try append(.textEnd)
        case .sequence(let items):
            for item in items { try emit(item) }
        case .alternation(let branches):
            var exits: [Int] = []
            for branch in branches.dropLast() {
                let split = try append(.split(0, 0))
                try emit(branch)
                exits.append(try append(.jump(0)))
                program[split] = .split(split + 1, program.count)
            }
            try emit(branches[branches.count - 1])
            for exit in exits { program[exit] = .jump(program.count) }
        case .repetition(let operand, let min, let max):
            for _ in 0..<min { try emit(operand) }
            if let max {
                for _ in min..<max {
                    let split = try append(.split(0, 0))
                    try emit(operand)
                    program[split] = .split(split + 1, program.count)
                }
            } else {
                let split = try append(.split(0, 0))
                try emit(operand)
                try append(.jump(split))
                program[split] = .split(split + 1, program.count)
            }
        }
    }
}
