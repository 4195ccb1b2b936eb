import Hummingbird
import PlexusCore
import PlexusStore

/// Turns everything a route throws into RFC 9457 problem JSON, so no client ever sees
/// Hummingbird's default error body, and unknown routes answer 404 in the same shape.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as PlexusError {
            throw Problem(error)
        } catch let error as HTTPError {
            let code: PlexusError.Code = switch error.status.code {
            case 404: .notFound
            case 413: .tooLarge
            case 400..<500: .invalidQuery
            case 503: .unavailable
            default: .internalError
            }
            throw Problem(PlexusError(code, error.body ?? "\(error.status.reasonPhrase): \(request.method) \(request.uri.path)"), status: error.status)
        } catch let error as StoreError {
            // The input was fine; the log was not available. Clients retry on 503. The details
            // (paths, SQLite codes) go to the node's log, not to the client.
            context.logger.warning("message log read failed", metadata: ["plexus.error": "\(error)"])
            throw Problem(PlexusError(.unavailable, "the message log is not available right now; retry later"))
        } catch {
            context.logger.error("unexpected error", metadata: ["plexus.error": "\(error)"])
            throw Problem(PlexusError(.internalError, "unexpected error; see the node's log"))
        }
    }
}

