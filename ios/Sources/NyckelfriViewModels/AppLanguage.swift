import NyckelfriCore

/// The language of the core's texts: Swedish unless the user's first
/// preferred language is English (the only other one the app speaks).
public func coreLanguage(preferredLanguages: [String]) -> Language {
    guard let first = preferredLanguages.first?.lowercased() else { return .swedish }
    return first.hasPrefix("en") ? .english : .swedish
}
