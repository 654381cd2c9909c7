import Foundation

/// The text of `key` in the user's language (Localizable.strings, Swedish
/// the default), with `args` for its %@ placeholders. Every key the app
/// writes as a literal goes through here, written as L + ( + the quoted key,
/// so that the Linux test finds them and checks both languages have them.
func L(_ key: String, _ args: String...) -> String {
    let format = Bundle.main.localizedString(forKey: key, value: nil, table: nil)
    return args.isEmpty ? format : String(format: format, arguments: args.map { $0 as CVarArg })
}

/// A time of day in the user's locale ("14:30").
func timeText(_ unix: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(unix)).formatted(date: .omitted, time: .shortened)
}

/// A day and time ("27 nov. 14:30").
func dateTimeText(_ unix: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(unix)).formatted(date: .abbreviated, time: .shortened)
}
