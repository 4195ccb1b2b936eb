/// A regular expression for `matches()`, compiled to a small program and run as a Thompson NFA.
///
/// Hand-written because Swift's `Regex` backtracks: a pattern like `(a+)+$` against a few dozen
/// characters takes exponential time, and a policy (or a pattern taken from message data) must
/// never be able to stall a node. Simulating every thread in lockstep, as RE2 does, costs at most
/// (text length) × (program size) steps, and those steps are charged to the evaluation's budget.
///
/// The syntax is the common RE2 subset: literals, `.`, `[...]` classes with ranges and negation,
/// `\d \w \s` (and `\D \W \S`), `^ $ \A \z`, groups `( )` and `(?: )`, `|`, `* + ?` and `{n}`,
/// `{n,}`, `{n,m}` (lazy forms accepted; they match the same strings). Matching is unanchored, as in
/// CEL: `matches` is true when the pattern matches any substring. Text is read as Unicode scalars.
struct PolicyExpressionRegex: Sendable, Hashable {
    enum Instruction: Sendable, Hashable {
        case scalar(Unicode.Scalar)
        case set(PolicyExpressionRegex.ScalarSet)
        /// `.`: anything but a newline, as in RE2 without the `s` flag.
        case anyButNewline
        /// Try both; the order does not matter as only the existence of a match is reported.
        case split(Int, Int)
        case jump(Int)
        case textStart
        case textEnd
        case match
    }

    /// A set of scalars as sorted, disjoint, non-adjacent ranges of scalar values.
    struct ScalarSet: Sendable, Hashable {
        var ranges: [ClosedRange<UInt32>]

        init(_ ranges: [ClosedRange<UInt32>]) {
            let sorted = ranges.sorted { $0.lowerBound < $1.lowerBound }
            var merged: [ClosedRange<UInt32>] = []
            for range in sorted {
                if let last = merged.last, range.lowerBound <= last.upperBound &+ 1 {
                    merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
                } else {
                    merged.append(range)
                }
            }
            self.ranges = merged
        }

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let value = scalar.value
            var low = 0
            var high = ranges.count
            while low < high {
                let middle = (low + high) / 2
                if ranges[middle].upperBound < value {
                    low = middle + 1
                } else if ranges[middle].lowerBound > value {
                    high = middle
                } else {
                    return true
                }
            }
            return false
        }

        /// Every scalar value not in the set (surrogates included, which no scalar can be).
        var inverted: ScalarSet {
            var result: [ClosedRange<UInt32>] = []
            var next: UInt32 = 0
            for range in ranges {
                if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
                next = range.upperBound + 1
            }
            if next <= 0x10FFFF { result.append(next...0x10FFFF) }
            return ScalarSet(result)
        }
    }

    /// Longest pattern accepted, in scalars; literal patterns are bounded by the source anyway.
    static let maxPatternLength = 1024
    /// Most instructions a compiled pattern may have; `{n,m}` copies its operand, so `(a{100}){100}`
    /// is refused here rather than allowed to cost 10,000 steps per character.
    static let maxProgramSize = 2048
    /// Largest count in `{n,m}`, as in RE2.
    static let maxRepeat = 1000
    /// Deepest group nesting; the pattern parser recurses once per group.
    static let maxGroupDepth = 32

    let pattern: String
    let program: [Instruction]

    /// Compiles `pattern`, or throws a `.type` error without an offset (callers place it).
    init(_ pattern: String) throws(PolicyExpressionError) {
        self.pattern = pattern
        self.program = try PolicyExpressionRegexCompiler.compile(pattern)
    }

    /// Whether the pattern matches somewhere in `text`; nil when more than `budget` steps would be
    /// needed. `steps` receives the number of steps taken, for the caller to charge.
    func matches(_ text: String, budget: Int, steps: inout Int) -> Bool? {
        let scalars = Array(text.unicodeScalars)
        var current = StateSet(capacity: program.count)
        var next = StateSet(capacity: program.count)
        var stack: [Int] = []
        stack.reserveCapacity(program.count)
        steps = 0
        for position in 0...scalars.count {
            // Unanchored search: a new thread starts at every position.
            if addClosure(from: 0, at: position, count: scalars.count, into: &current, stack: &stack, steps: &steps) {
                return true
            }
            if steps > budget { return nil }
            if position == scalars.count { break }
            let scalar = scalars[position]
            next.clear()
            for pc in current.members {
                steps += 1
                let advances: Bool = switch program[pc] {
                case .scalar(let expected): expected == scalar
                case .set(let set): set.contains(scalar)
                case .anyButNewline: scalar != "\n"
                default: false
                }
                if advances, addClosure(from: pc + 1, at: position + 1, count: scalars.count, into: &next, stack: &stack, steps: &steps) {
                    return true
                }
            }
            swap(&current, &next)
            if steps > budget { return nil }
            // Anchored at the start and no thread left: no later start can match.
            if current.isEmpty && program.first == .textStart { return false }
        }
        return false
    }

    /// Adds `start` and every state reachable from it without reading a scalar; true on reaching
    /// `match`. Iterative, with the set deduplicating, so empty loops like `(a*)*` terminate.
    private func addClosure(
        from start: Int, at position: Int, count: Int, into set: inout StateSet, stack: inout [Int], steps: inout Int
    ) -> Bool {
        stack.removeAll(keepingCapacity: true)
        stack.append(start)
        while let pc = stack.popLast() {
            guard set.insert(pc) else { continue }
            steps += 1
            switch program[pc] {
            case .match: return true
            case .jump(let target): stack.append(target)
            case .split(let first, let second):
                stack.append(second)
                stack.append(first)
            case .textStart: if position == 0 { stack.append(pc + 1) }
            case .textEnd: if position == count { stack.append(pc + 1) }
            case .scalar, .set, .anyButNewline: break
            }
        }
        return false
    }

    /// A sparse set of program counters: O(1) insert, membership and clear.
    private struct StateSet {
        private var sparse: [Int]
        private(set) var members: [Int] = []

        init(capacity: Int) {
            sparse = Array(repeating: 0, count: capacity)
            members.reserveCapacity(capacity)
        }

        var isEmpty: Bool { members.isEmpty }

        mutating func insert(_ pc: Int) -> Bool {
            let slot = sparse[pc]
            if slot < members.count && members[slot] == pc { return false }
            sparse[pc] = members.count
            members.append(pc)
            return true
        }

        mutating func clear() { members.removeAll(keepingCapacity: true) }
    }
}
