import Testing

@testable import PlexusCore

/// The Mongo-style filters of the original `POST /sessions` and `POST /channels`.
@Suite struct DocumentFilterTests {
    static let fields: Set<String> = ["status", "subject_id", "channel_tags", "version", "score", "name", "missing"]
    static let document: JSONObject = [
        "status": "sent", "subject_id": "agent-1", "channel_tags": ["ops", "eu"], "version": 3, "score": 2.5, "name": "beta",
    ]

    func matches(_ filter: JSONValue, _ document: JSONObject = Self.document) throws -> Bool {
        try DocumentFilter(filter, fields: Self.fields).matches(document)
    }

    func refusal(_ filter: JSONValue) -> PlexusError? {
        do {
            _ = try DocumentFilter(filter, fields: Self.fields)
            return nil
        } catch {
            return error
        }
    }

    @Test func anEmptyFilterMatchesEverything() throws {
        #expect(try matches([:]))
        #expect(try matches([:], [:]))
    }

    @Test func plainValuesAreEquality() throws {
        #expect(try matches(["status": "sent"]))
        #expect(try !matches(["status": "pending"]))
        #expect(try matches(["status": "sent", "subject_id": "agent-1"]))
        #expect(try !matches(["status": "sent", "subject_id": "agent-2"]))
        #expect(try matches(["status": ["$eq": "sent"]]))
        #expect(try !matches(["status": ["$eq": "validated"]]))
        // 3 and 3.0 are the same number.
        #expect(try matches(["version": 3.0]))
        #expect(try matches(["score": ["$eq": 2.5]]))
        // No coercion between a string and a number.
        #expect(try !matches(["version": "3"]))
    }

    @Test func equalityOnAnArrayFieldMatchesTheArrayOrAnElement() throws {
        #expect(try matches(["channel_tags": "ops"]))
        #expect(try matches(["channel_tags": ["ops", "eu"]]))
        #expect(try !matches(["channel_tags": ["eu", "ops"]]))
        #expect(try !matches(["channel_tags": "us"]))
    }

    @Test func anObjectWithoutOperatorsIsALiteral() throws {
        let document: JSONObject = ["name": ["first": "Ada"]]
        #expect(try matches(["name": ["first": "Ada"]], document))
        #expect(try !matches(["name": ["first": "Bob"]], document))
    }

    @Test func inOnScalarAndArrayFields() throws {
        #expect(try matches(["status": ["$in": ["pending", "sent"]]]))
        #expect(try !matches(["status": ["$in": ["validated", "failed"]]]))
        #expect(try !matches(["status": ["$in": []]]))
        #expect(try matches(["channel_tags": ["$in": ["ops"]]]))
        #expect(try matches(["channel_tags": ["$in": ["us", "eu"]]]))
        #expect(try !matches(["channel_tags": ["$in": ["us", "apac"]]]))
        #expect(try matches(["version": ["$in": [1, 3.0]]]))
        // A missing field is null, which `$in: [null]` finds.
        #expect(try matches(["missing": ["$in": [nil]]]))
        #expect(try !matches(["missing": ["$in": ["x"]]]))
    }

    @Test func notIn() throws {
        #expect(try matches(["status": ["$nin": ["validated", "failed"]]]))
        #expect(try !matches(["status": ["$nin": ["sent"]]]))
        #expect(try !matches(["channel_tags": ["$nin": ["eu"]]]))
        #expect(try matches(["channel_tags": ["$nin": ["us", "apac"]]]))
        #expect(try matches(["status": ["$nin": []]]))
        #expect(try matches(["missing": ["$nin": ["x"]]]))
    }

    @Test func notEquals() throws {
        #expect(try matches(["status": ["$ne": "pending"]]))
        #expect(try !matches(["status": ["$ne": "sent"]]))
        #expect(try !matches(["channel_tags": ["$ne": "ops"]]))
        #expect(try matches(["channel_tags": ["$ne": "us"]]))
        #expect(try !matches(["version": ["$ne": 3.0]]))
        #expect(try matches(["missing": ["$ne": "x"]]))
        #expect(try !matches(["missing": ["$ne": nil]]))
    }

    @Test func numberComparisons() throws {
        #expect(try matches(["version": ["$lt": 4]]))
        #expect(try !matches(["version": ["$lt": 3]]))
        #expect(try matches(["version": ["$lte": 3]]))
        #expect(try matches(["version": ["$gt": 2.5]]))
        #expect(try !matches(["version": ["$gt": 3]]))
        #expect(try matches(["version": ["$gte": 3.0]]))
        #expect(try matches(["score": ["$gt": 2, "$lt": 3]]))
        #expect(try !matches(["score": ["$gt": 2, "$lt": 2.5]]))
        #expect(try matches(["score": ["$gte": 2, "$lte": 2.5]]))
    }

    @Test func stringComparisons() throws {
        #expect(try matches(["name": ["$gt": "alpha"]]))
        #expect(try matches(["name": ["$lt": "gamma"]]))
        #expect(try !matches(["name": ["$lt": "beta"]]))
        #expect(try matches(["name": ["$lte": "beta", "$gte": "beta"]]))
        #expect(try matches(["channel_tags": ["$gt": "e", "$lt": "f"]]))
    }

    @Test func comparisonsBetweenTypesNeverMatch() throws {
        #expect(try !matches(["version": ["$lt": "9"]]))
        #expect(try !matches(["version": ["$gte": "0"]]))
        #expect(try !matches(["name": ["$gt": 0]]))
        #expect(try !matches(["name": ["$lt": 0]]))
        #expect(try !matches(["missing": ["$lt": 10]]))
        #expect(try !matches(["missing": ["$gte": ""]]))
        #expect(try !matches(["version": ["$lt": 9]], ["version": true]))
    }

    @Test func unknownFieldsAreRefused() {
        let error = refusal(["stauts": "sent"])
        #expect(error?.code == .invalidQuery)
        #expect(error?.pointer == "/stauts")
        #expect(error?.message.contains("status") == true)
    }

    @Test func unknownOperatorsAreRefused() {
        let error = refusal(["status": ["$regex": "s.*"]])
        #expect(error?.code == .invalidQuery)
        #expect(error?.pointer == "/status/$regex")
        // An operator object with a stray plain key is an operator mistake, not a literal.
        #expect(refusal(["status": ["$in": ["sent"], "extra": 1]])?.pointer == "/status/extra")
    }

    @Test func badOperandsAreRefused() {
        #expect(refusal(["status": ["$in": "sent"]])?.pointer == "/status/$in")
        #expect(refusal(["status": ["$nin": nil]])?.pointer == "/status/$nin")
        #expect(refusal(["version": ["$lt": [1]]])?.pointer == "/version/$lt")
        #expect(refusal(["version": ["$gte": nil]])?.pointer == "/version/$gte")
        #expect(refusal(["version": ["$gt": true]])?.code == .invalidQuery)
        #expect(refusal(["status", "sent"])?.code == .invalidQuery)
        #expect(refusal("status")?.code == .invalidQuery)
    }

    @Test func filtersCompareByTheirConditions() throws {
        let a = try DocumentFilter(["status": ["$in": ["sent"]], "version": 3], fields: Self.fields)
        let b = try DocumentFilter(["status": ["$in": ["sent"]], "version": 3], fields: Self.fields)
        let c = try DocumentFilter(["status": ["$in": ["pending"]], "version": 3], fields: Self.fields)
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != c)
    }
}
