import NIOPosix

/// The threads the SQLite logs' writers run on, each writer pinned to one of them, where it
/// commits synchronously.
///
/// Why: the writer used to wake on the cooperative pool and hand every commit to NIO's blocking
/// thread pool, then wake on the pool again: three thread switches per group commit besides the
/// callers' own. On this project's 2-core VMs a switch costs tens of microseconds of CPU, and
/// under light load (a commit per message or two) switches were a quarter of a relay's CPU. A
/// thread of its own lets the writer wait for work and commit (blocking on fsync) in one place.
/// Two threads, so that the stores of one process (a node's log and a PostgreSQL log's spool;
/// many in the tests) do not all queue behind one fsync. Created on first use and never shut
/// down, like NIO's own singletons.
enum SQLiteWriterThread {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// An executor on the next of the threads.
    static func executor() -> EventLoopTaskExecutor { EventLoopTaskExecutor(group.next()) }
}
