import AsyncHTTPClient
import Foundation
import NIOCore
import PlexusCore

/// The one place HTTP requests are made: URL building, headers, the body limit, and turning a
/// non-success reply into `PlexusClientError.http` with the node's problem document.
extension PlexusClient {
    enum Method { case get, post }

    /// A success reply: the status (callers tell 201 from 200) and the parsed body, nil when empty.
    struct Reply {
        var status: Int
        var body: JSONValue?
    }

    func call(_ method: Method, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) async throws(PlexusClientError) -> Reply {
        var request = HTTPClientRequest(url: baseURL + path + Self.queryString(query))
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        }
        request.headers.add(name: "Accept", value: "application/json")
        if let actor { request.headers.add(name: "X-Plexus-Actor", value: actor) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        }
        let status: Int
        let bytes: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: configuration.requestTimeout.timeAmount)
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw PlexusClientError.wrapping(error)
        }
        let parsed: Result<JSONValue?, JSONError>
        if bytes.readableBytes == 0 {
            parsed = .success(nil)
        } else {
            do { parsed = .success(try JSONParser.parse(bytes.readableBytesView)) } catch { parsed = .failure(error) }
        }
        guard (200..<300).contains(status) else {
            let problem = (try? parsed.get()).flatMap { $0.flatMap(ProblemDetails.init(json:)) }
            throw PlexusClientError.http(status: status, problem: problem, fallback: "HTTP \(status) from \(path)")
        }
        switch parsed {
        case .success(let body): return Reply(status: status, body: body)
        case .failure(let error): throw .invalidResponse("the reply to \(path) is not JSON: \(error.message)")
        }
    }

    /// A reply body that must be there.
    func callJSON(_ method: Method, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) async throws(PlexusClientError) -> JSONValue {
        guard let json = try await call(method, path, query: query, body: body).body else {
            throw .invalidResponse("the reply to \(path) has no body")
        }
        return json
    }

    /// The WebSocket URL for a path: the same host, `ws` for `http` and `wss` for `https`.
    func webSocketURL(_ path: String, query: [(String, String)] = []) -> String {
        var base = baseURL
        if base.hasPrefix("http://") { base = "ws://" + base.dropFirst("http://".count) }
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst("https://".count) }
        return base + path + Self.queryString(query)
    }

    /// One path segment (a session id), escaped so `/`, `?` or `%` in it cannot change the route.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? text
    }

    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.map { name, value in
            name + "=" + (value.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? value)
        }
        return "?" + pairs.joined(separator: "&")
    }

    static let segmentAllowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#%;"))
    /// `+` is escaped too: a query decoder may read it as a space (topic patterns never hold one,
    /// timestamps with offsets do).
    static let queryValueAllowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#?%"))
}
