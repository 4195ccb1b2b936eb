import Synchronization

/// A `Mutex` in a class, so several tasks and escaping closures (WebSocket handlers, task-group
/// children) can share one tally; `Mutex` itself is non-copyable and cannot be captured that way.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T: Sendable>(_ body: (inout sending Value) -> T) -> T { mutex.withLock { body(&$0) } }

    var value: Value { mutex.withLock { $0 } }
}
