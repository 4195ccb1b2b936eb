/// Decoding `application/x-www-form-urlencoded` bodies: Slack's interactivity callbacks and the
/// inbox's HTML form posts.
///
/// Strict where leniency would hide a broken or hostile client: a `%` not followed by two hex
/// digits, bytes that do not decode to UTF-8, or U+0000 (which no stored text can hold) is refused
/// with a message naming the field, rather than passed on as replacement characters.
public enum FormURLEncoded {
    /// The most fields one body may hold. A form has a handful; the bound stops a body of a million
    /// `&`s from costing a million allocations.
    public static let maxFields = 1000

    /// The fields in body order, names and values decoded (`+` is a space, `%XX` a byte). Repeated
    /// names are kept, in order; empty segments (`a=1&&b=2`) are skipped; a segment without `=` is a
    /// field with an empty value.
    public static func decode(_ body: [UInt8]) throws(PlexusError) -> [(String, String)] {
        var fields: [(String, String)] = []
        for segment in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard fields.count < maxFields else {
                throw PlexusError(.tooLarge, "the form has more than \(maxFields) fields")
            }
            let equals = segment.firstIndex(of: UInt8(ascii: "="))
            let rawName = segment[..<(equals ?? segment.endIndex)]
            let rawValue = equals.map { segment[segment.index(after: $0)...] } ?? []
            let number = fields.count + 1
            let name: String
            switch component(rawName) {
            case .success(let decoded): name = decoded
            case .failure(let problem): throw PlexusError(.invalidField, "the name of form field \(number) \(problem.text)")
            }
            switch component(rawValue) {
            case .success(let value): fields.append((name, value))
            case .failure(let problem): throw PlexusError(.invalidField, "form field \(quoted(name)) \(problem.text)")
            }
        }
        return fields
    }

    /// What is wrong with one name or value, worded to follow "form field "x" ".
    struct Problem: Error {
        var text: String
    }

    static func component(_ bytes: ArraySlice<UInt8>) -> Result<String, Problem> {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+"):
                decoded.append(UInt8(ascii: " "))
                index += 1
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.endIndex, let high = Hex.value(of: bytes[index + 1]), let low = Hex.value(of: bytes[index + 2]) else {
                    let offset = index - bytes.startIndex
                    let escape = String(decoding: bytes[index..<min(index + 3, bytes.endIndex)], as: UTF8.self)
                    return .failure(Problem(text: "has an invalid percent escape \(quoted(escape)) at byte \(offset)"))
                }
                decoded.append(high << 4 | low)
                index += 3
            default:
                decoded.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            return .failure(Problem(text: "is not valid UTF-8 once decoded"))
        }
        if decoded.contains(0) {
            return .failure(Problem(text: "contains U+0000, which cannot be stored"))
        }
        return .success(text)
    }

    /// A name in JSON quotes (control characters visible), cut at 40 characters.
    private static func quoted(_ text: String) -> String {
        MessageTemplateText.brief(.string(text))
    }
}
