import PlexusCore
import NIOCore
import Testing
@testable import PlexusNATS

/// Random bytes and mutations of valid traffic, fed in random chunks: the parser may only
/// return ops or throw `NATSProtocolError` (typed throws guarantees the type), never trap, and
/// never hold more than its bounds allow.
@Suite struct NATSParserFuzzTests {
    static let seeds: [UInt64] = [1, 42, 0xDEAD_BEEF, 20_240_601]

    @Test(arguments: seeds)
    func mutatedTraffic(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let valid = Array(NATSProtocolParserTests.everyOp.utf8)
        var parsedOps = 0
        var errors = 0
        for _ in 0..<400 {
            var input = valid
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                mutate(&input, rng: &rng)
            }
            let (ops, failed) = feedInChunks(input, rng: &rng)
            parsedOps += ops
            errors += failed ? 1 : 0
        }
        // Both outcomes happen, so the fuzz exercises parsing and rejecting.
        #expect(parsedOps > 0)
        #expect(errors > 0)
    }

    @Test(arguments: seeds)
    func randomBytes(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("MSGHMSGINFOPINGPONG+OK-ERR NATS/1.0 0123456789 \t\r\n:{}\"abc.*>".utf8)
        for round in 0..<400 {
            let length = Int.random(in: 0...300, using: &rng)
            let input: [UInt8] = (0..<length).map { _ in
                round.isMultiple(of: 2) ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng)!
            }
            _ = feedInChunks(input, rng: &rng)
        }
    }

    private func mutate(_ input: inout [UInt8], rng: inout SplitMix64) {
        guard !input.isEmpty else { return }
        let index = Int.random(in: 0..<input.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: input[index] = UInt8.random(in: 0...255, using: &rng)
        case 1: input.remove(at: index)
        case 2: input.insert(UInt8.random(in: 0...255, using: &rng), at: index)
        case 3: input.insert(contentsOf: Array("\r\n".utf8), at: index)
        case 4: input.replaceSubrange(index..<min(input.count, index + 3), with: Array(String(Int.random(in: 0...99999, using: &rng)).utf8))
        default: input = Array(input[..<index])
        }
    }

    /// Returns the number of ops parsed and whether the parser rejected the input.
    private func feedInChunks(_ input: [UInt8], rng: inout SplitMix64) -> (Int, Bool) {
        var parser = NATSProtocolParser(maxPayload: 4096)
        var offset = 0
        var ops = 0
        while offset < input.count {
            let end = min(input.count, offset + Int.random(in: 1...64, using: &rng))
            var chunk = ByteBuffer(bytes: input[offset..<end])
            offset = end
            do {
                ops += try parser.feed(&chunk).count
            } catch {
                #expect(!error.message.isEmpty)
                return (ops, true)
            }
            #expect(parser.bufferedBytes <= NATSProtocolParser.defaultMaxInfoLine + 4096 + 64)
        }
        return (ops, false)
    }
}
