import Foundation

/// The tel: URL for a number as units write it ("+46 8-123 456 78"): the
/// dialer takes only digits and a leading plus. Nil when nothing is left.
public func telURLString(_ number: String) -> String? {
    let trimmed = number.trimmingCharacters(in: .whitespaces)
    let digits = trimmed.filter(\.isASCII).filter(\.isNumber)
    guard !digits.isEmpty else { return nil }
    return "tel:" + (trimmed.hasPrefix("+") ? "+" : "") + digits
}
