/// The functions and methods a policy may call, resolved by the checker so that evaluation
/// switches on a case instead of comparing names.
enum PolicyExpressionFunction: String, Sendable, Hashable {
    case size, startsWith, endsWith, contains, matches, lowerAscii, upperAscii
    case int, double, string
}
