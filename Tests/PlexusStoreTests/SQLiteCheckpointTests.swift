import Foundation
import PlexusCore
import PlexusStore
import Testing

/// WAL checkpoints paced by the WAL's real size. Small commits each write whole pages of every
/// B-tree they touch, so the WAL grows by several pages per message; checkpoints that counted the
/// rows' bytes instead came far too late (see `CheckpointPacer`).
@Suite("SQLite WAL checkpoints")
struct SQLiteCheckpointTests {
    /// One-record commits, one after another: the light-load shape.
    private func appendOneByOne(_ count: Int, to store: SQLiteMessageStore) async throws {
        var factory = RecordFactory()
        for i in 0..<count {
            let outcomes = try await store.append([try factory.record(at: Int64(i), to: ["r\(i % 3)"])])
            #expect(outcomes == [.stored(seq: Int64(i + 1))])
        }
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// About 600 small commits put a few thousand frames in the WAL but only ~400 KiB of rows:
    /// far below the 4 MiB of rows that used to trigger a background checkpoint, well above the
    /// 1000 frames that trigger one now. A checkpoint is what moves pages into the database file.
    @Test func smallCommitsGetBackgroundCheckpoints() async throws {
        try await withStore(options: SQLiteStoreOptions(backgroundCheckpoints: true)) { store, path in
            let before = fileSize(path)
            try await appendOneByOne(600, to: store)
            // The checkpoint runs beside the writer; give it time, then look.
            var grown = fileSize(path)
            for _ in 0..<100 where grown < before + 256 * 1024 {
                try await Task.sleep(for: .milliseconds(100))
                grown = fileSize(path)
            }
            #expect(grown >= before + 256 * 1024, "the database file grew from \(before) to \(grown) bytes: no checkpoint copied the WAL")
            #expect(try await store.count() == 600)
        }
    }

    /// Registering the WAL hook replaces SQLite's own auto-checkpoint; the writer's backstop must
    /// still bound the WAL (1000 frames with background checkpoints off).
    @Test func theWritersBackstopStillBoundsTheWAL() async throws {
        try await withStore(options: SQLiteStoreOptions(backgroundCheckpoints: false)) { store, path in
            try await appendOneByOne(1_500, to: store)
            let wal = fileSize(path + "-wal")
            // 1000 frames of 4 KiB plus one commit's worth; unbounded it would be several times that.
            #expect(wal > 0)
            #expect(wal < 1_100 * (4_096 + 24), "the WAL is \(wal) bytes: the backstop checkpoint did not run")
            #expect(try await store.count() == 1_500)
        }
    }
}
