import Testing

@testable import PlexusCore

/// Response-link tokens: one session, one round, one node key.
@Suite struct SessionTokenTests {
    let tokens = SessionToken(key: Array(repeating: 7, count: 32))

    @Test func aTokenVerifiesForItsSessionAndRound() {
        let token = tokens.token(sessionID: "s-1", round: 1)
        #expect(tokens.verify(token, sessionID: "s-1", round: 1))
        // Stable: the same key, session and round give the same token.
        #expect(token == tokens.token(sessionID: "s-1", round: 1))
        #expect(token == SessionToken(key: Array(repeating: 7, count: 32)).token(sessionID: "s-1", round: 1))
    }

    @Test func aTokenIs128BitsOfURLSafeBase64() {
        for round in 1...50 {
            let token = tokens.token(sessionID: "s-\(round)", round: round)
            #expect(token.count == 22)
            #expect(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "\(token)")
        }
    }

    @Test func anotherRoundFails() {
        let token = tokens.token(sessionID: "s-1", round: 1)
        #expect(!tokens.verify(token, sessionID: "s-1", round: 2))
        #expect(!tokens.verify(token, sessionID: "s-1", round: 0))
        #expect(tokens.token(sessionID: "s-1", round: 2) != token)
    }

    @Test func anotherSessionFails() {
        let token = tokens.token(sessionID: "s-1", round: 1)
        #expect(!tokens.verify(token, sessionID: "s-2", round: 1))
        #expect(!tokens.verify(token, sessionID: "s-1 ", round: 1))
        // The separator keeps session and round apart: "s-1" round 12 is not "s-11" round 2.
        #expect(tokens.token(sessionID: "s-1", round: 12) != tokens.token(sessionID: "s-11", round: 2))
    }

    @Test func anotherKeyFails() {
        let token = tokens.token(sessionID: "s-1", round: 1)
        let other = SessionToken(key: Array(repeating: 8, count: 32))
        #expect(!other.verify(token, sessionID: "s-1", round: 1))
        #expect(other != tokens)
        #expect(SessionToken(key: Array(repeating: 7, count: 32)) == tokens)
    }

    @Test func tamperedOrTruncatedTokensFail() {
        let token = tokens.token(sessionID: "s-1", round: 1)
        #expect(!tokens.verify("", sessionID: "s-1", round: 1))
        #expect(!tokens.verify(String(token.dropLast()), sessionID: "s-1", round: 1))
        #expect(!tokens.verify(token + "A", sessionID: "s-1", round: 1))
        let flipped = String(token.prefix(5)) + (token.dropFirst(5).first == "A" ? "B" : "A") + token.dropFirst(6)
        #expect(flipped.count == token.count)
        #expect(!tokens.verify(flipped, sessionID: "s-1", round: 1))
    }
}
