import NIOCore
import NIOPosix
import PlexusStore

/// The thread the log's writer runs on: its own event loop, with the writer connection's I/O
/// and the writer task's code (as a task executor preference) both on it.
///
/// Why: the writer is a serial loop of short steps and round trips (BEGIN, three COPYs, COMMIT),
/// and PostgreSQL idles between them. On the shared event loops and the cooperative pool every
/// resumption of the writer queued behind HTTP parsing and JSON work (two threads on two cores),
/// and each round trip took milliseconds instead of tens of microseconds: PostgreSQL was busy
/// 65 % of the time under HTTP load, against 95 % for the same COPYs alone. One thread for all
/// PostgreSQL logs of the process (normally one), created on first use and never shut down,
/// like NIO's own singletons.
enum PostgresWriterThread {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static var eventLoop: any EventLoop { group.next() }
    static let executor = EventLoopTaskExecutor(group.next())
}
