import NIOCore
import Synchronization

extension SMTPClient {
    /// The channel of one send, shared between the connect path and the cancellation handler,
    /// which can run first, in between, or after, on any thread.
    final class ConnectionBox: Sendable {
        private let state = Mutex<(channel: (any Channel)?, cancelled: Bool)>((nil, false))

        /// Records the channel; false when the send was already cancelled (then don't connect).
        func register(_ channel: any Channel) -> Bool {
            state.withLock { state in
                state.channel = channel
                return !state.cancelled
            }
        }

        func cancel() {
            let channel = state.withLock { state in
                state.cancelled = true
                return state.channel
            }
            channel?.close(promise: nil)
        }
    }
}
