import Testing
@testable import PlexusStore

/// The pacing of background checkpoints, from the WAL frames SQLite reports after each commit.
@Suite struct CheckpointPacerTests {
    /// Whether a checkpoint was due after each of the commits that left `frames` in the WAL.
    private func due(_ pacer: inout CheckpointPacer, after frames: [Int]) -> [Bool] {
        frames.map { pacer.isDue(walFrames: $0) }
    }

    @Test func dueOnceTheWALGrewByThePaceSinceTheLastRequest() {
        var pacer = CheckpointPacer(everyFrames: 100)
        #expect(due(&pacer, after: [40, 99, 100]) == [false, false, true])
        pacer.started(atWALFrames: 100)
        // A checkpoint copies frames but the WAL keeps growing until a writer restarts it.
        #expect(due(&pacer, after: [150, 199, 200]) == [false, false, true])
    }

    @Test func aRestartedWALCountsFromItsBeginning() {
        var pacer = CheckpointPacer(everyFrames: 100)
        #expect(due(&pacer, after: [180]) == [true])
        pacer.started(atWALFrames: 180)
        // Everything was checkpointed and the next commit wrote the WAL from the start: counted
        // from 0, not from the 180 frames of the old WAL.
        #expect(due(&pacer, after: [12, 99, 100]) == [false, false, true])
    }

    @Test func aRequestNotStartedStaysDue() {
        // A request refused (one still running) leaves the floor where it was: due again at
        // the next commit, so a checkpoint starts as soon as the running one has ended.
        var pacer = CheckpointPacer(everyFrames: 100)
        #expect(due(&pacer, after: [120, 125]) == [true, true])
    }
}
