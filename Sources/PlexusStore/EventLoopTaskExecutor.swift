import NIOCore

/// Runs a task's jobs on one event loop (NIO 2.101 event loops are serial executors, not task
/// executors). The logs' writers use it to run on threads of their own; the mesh forwarder
/// (PlexusNode) to keep a batch on the driver's loop. It lives here, the lowest module with NIO
/// that both use: the pure core has no NIO.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
