import Foundation
import PlexusCore
@testable import PlexusStore
import SQLiteNIO
import Testing

@Suite("Log writer statistics")
struct LogWriterStatisticsTests {
    @Test func countsEachCommitItsRowsAndItsWALPages() async throws {
        var factory = RecordFactory()
        let first = try (0..<3).map { try factory.record(at: Int64($0)) }
        let second = try (3..<5).map { try factory.record(at: Int64($0)) }
        try await withStore { store, _ in
            #expect(store.writerStatistics == LogWriterStatistics())
            _ = try await store.append(first)
            let one = store.writerStatistics
            #expect(one.commits == 1)
            #expect(one.rows == 3)
            #expect(one.walFrames > 0, "a commit appends pages to the WAL")
            #expect(one.commitWallMicroseconds > 0)
            #expect(one.failedCommits == 0)
            // A duplicate is a row the commit looked at: it counts, and nothing else changes.
            _ = try await store.append(second + [first[0]])
            let two = store.writerStatistics
            #expect(two.commits == 2)
            #expect(two.rows == 6)
            #expect(two.walFrames > one.walFrames)
            #expect(two.commitWallMicroseconds >= one.commitWallMicroseconds)
            #expect(two.commitCPUMicroseconds >= one.commitCPUMicroseconds)
        }
    }

    @Test func aFailedCommitIsCountedApart() async throws {
        var factory = RecordFactory()
        let a = try factory.record(at: 1)
        let b = try factory.record(at: 2)
        try await withStore(options: SQLiteStoreOptions(busyTimeout: .milliseconds(20))) { store, path in
            _ = try await store.append([a])
            let other = try await SQLiteConnection.open(storage: .file(path: path))
            _ = try await other.query("BEGIN IMMEDIATE")
            await #expect(throws: StoreError.self) { try await store.append([b]) }
            _ = try await other.query("ROLLBACK")
            try await other.close()
            let stats = store.writerStatistics
            #expect(stats.failedCommits == 1)
            #expect(stats.commits == 1)
            #expect(stats.rows == 1, "rows of a failed commit are not counted")
        }
    }

    @Test func walFramesAreTheGrowthOfTheWALOrTheNewLengthAfterARestart() {
        var counter = WALFrameCounter()
        #expect(counter.appended(walLengthAfterCommit: 0) == 0)
        #expect(counter.appended(walLengthAfterCommit: 12) == 12)
        #expect(counter.appended(walLengthAfterCommit: 30) == 18)
        #expect(counter.appended(walLengthAfterCommit: 30) == 0, "a commit with nothing to write")
        // A checkpoint let the writer start the WAL over: the new length is this commit's pages.
        #expect(counter.appended(walLengthAfterCommit: 7) == 7)
        #expect(counter.appended(walLengthAfterCommit: 9) == 2)
    }
}
