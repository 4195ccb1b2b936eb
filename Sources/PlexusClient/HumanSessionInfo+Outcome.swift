extension HumanSessionInfo {
    /// What a final session means to an agent waiting for an answer: the reply when `validated`,
    /// an error naming the ending otherwise, nil while the session is still open.
    ///
    /// Pure, so the one rule "only `validated` is an answer" is decided in one place, whichever
    /// path (creation, push channel, reject after a timeout) saw the final status.
    public var outcome: Result<HumanResponse, PlexusClientError>? {
        func ending(_ code: PlexusClientError.Code, _ message: String) -> Result<HumanResponse, PlexusClientError> {
            var error = PlexusClientError(code, message, sessionID: id)
            error.reason = reason
            error.replyErrors = errors
            error.session = self
            return .failure(error)
        }
        switch status {
        case .validated:
            guard let responseData else {
                return .failure(.invalidResponse("session \(id) is validated but has no response_data"))
            }
            return .success(HumanResponse(session: self, data: responseData))
        case .expired:
            return ending(.expired, "the session expired before a valid answer arrived")
        case .declined:
            return ending(.declined, "the question was declined" + (reason.map { ": \($0)" } ?? ""))
        case .rejected:
            return ending(.rejected, "the question was withdrawn" + (reason.map { ": \($0)" } ?? ""))
        case .failed:
            let detail = reason ?? errors.map(\.description).joined(separator: "; ")
            return ending(.failed, "the session failed" + (detail.isEmpty ? "" : ": \(detail)"))
        case .pending, .sent, .responded, .unknown:
            return nil
        }
    }
}
