import CHiredis
import Foundation
import Synchronization

/// The one thread a connection's blocking hiredis calls run on, and its FIFO queue.
///
/// hiredis blocks in read(2)/write(2), so it must not run on a NIO event loop or the Swift
/// cooperative pool; one dedicated thread per connection keeps commands in order and lets a
/// BLMOVE block without starving anything else. When idle and disconnected, the thread also
/// reconnects by itself once the backoff wait is over.
final class RedisWorker: @unchecked Sendable {
    // @unchecked Sendable: `jobs`, `head`, `stopping`, `finished` and `closeWaiters` are only
    // touched with `condition` locked; `session` only by the worker thread (it is handed over
    // before `Thread.start()`, which orders the accesses); `statusBox` is a Mutex.
    private let condition = NSCondition()
    private var jobs: [RedisJob] = []
    private var head = 0
    private var stopping = false
    private var finished = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private let session: RedisSession
    private let statusBox: Mutex<RedisConnectionStatus>
    private let endpoint: String

    init(session: RedisSession) {
        self.session = session
        self.endpoint = session.configuration.endpoint
        self.statusBox = Mutex(session.link.status)
        let thread = Thread { [self] in self.threadMain() }
        thread.name = "plexus-redis \(endpoint)"
        thread.start()
    }

    var status: RedisConnectionStatus { statusBox.withLock { $0 } }

    func submit(_ work: RedisJob.Work) async throws -> [RedisReply] {
        try await withCheckedThrowingContinuation { continuation in
            let job = RedisJob(work: work, continuation: continuation)
            condition.lock()
            guard !stopping else {
                condition.unlock()
                job.complete(.failure(closedError))
                return
            }
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Lets the command in progress finish, fails the queued ones, frees the context, and
    /// returns once the thread has exited.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            stopping = true
            if finished {
                condition.unlock()
                continuation.resume()
                return
            }
            closeWaiters.append(continuation)
            condition.signal()
            condition.unlock()
        }
    }

    /// For `deinit` of the owner: stop without waiting.
    func requestStop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private var closedError: RedisError {
        RedisError(.connectionLost, endpoint: endpoint, detail: "the connection was closed")
    }

    private enum Next {
        case run(RedisJob)
        case reconnect
        case stop
    }

    private func threadMain() {
        plexus_redis_block_sigpipe_on_this_thread()
        loop: while true {
            switch nextWork() {
            case .run(let job):
                let result = session.run(job.work)
                publishStatus()
                job.complete(result)
            case .reconnect:
                session.connectInBackground()
                publishStatus()
            case .stop:
                break loop
            }
        }
        condition.lock()
        let abandoned = jobs[head...]
        jobs = []
        head = 0
        condition.unlock()
        for job in abandoned { job.complete(.failure(closedError)) }
        session.close()
        publishStatus()
        condition.lock()
        finished = true
        let waiters = closeWaiters
        closeWaiters = []
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    private func nextWork() -> Next {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping { return .stop }
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                // Compact now and then so a long-lived queue does not grow without bound.
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                } else if head >= 1024 && head * 2 >= jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                return .run(job)
            }
            switch session.idleDecision() {
            case .connect:
                return .reconnect
            case .waitForWork:
                condition.wait()
            case .waitUntil(let instant):
                let delay = instant - .now
                if delay > .zero {
                    let seconds = Double(RedisBackoff.nanoseconds(delay)) / 1e9
                    _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
                }
            }
        }
    }

    private func publishStatus() {
        let status = session.link.status
        statusBox.withLock { $0 = status }
    }
}
