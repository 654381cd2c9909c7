import Foundation

/// A parsed .strings file ("key" = "value"; with /* */ and // comments).
struct StringsFile {
    enum ParseError: Error, CustomStringConvertible {
        case syntax(String, at: Int)
        case duplicate(String)
        var description: String {
            switch self {
            case .syntax(let what, let at): return "\(what) at character \(at)"
            case .duplicate(let key): return "duplicate key \(key)"
            }
        }
    }

    let entries: [String: String]

    init(contentsOf url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var chars = Array(text.unicodeScalars)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        var entries: [String: String] = [:]

        func skipSpaceAndComments() throws {
            while i < chars.count {
                if chars[i].properties.isWhitespace { i += 1; continue }
                if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                    i += 2
                    while i + 1 < chars.count, !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                    guard i + 1 < chars.count else { throw ParseError.syntax("unclosed comment", at: i) }
                    i += 2
                    continue
                }
                if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                    while i < chars.count, chars[i] != "\n" { i += 1 }
                    continue
                }
                return
            }
        }

        func quoted() throws -> String {
            guard i < chars.count, chars[i] == "\"" else { throw ParseError.syntax("expected \"", at: i) }
            i += 1
            var out = String.UnicodeScalarView()
            while i < chars.count, chars[i] != "\"" {
                if chars[i] == "\\", i + 1 < chars.count {
                    i += 1
                    switch chars[i] {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: out.append(chars[i])
                    }
                } else {
                    out.append(chars[i])
                }
                i += 1
            }
            guard i < chars.count else { throw ParseError.syntax("unclosed string", at: i) }
            i += 1
            return String(out)
        }

        func expect(_ c: Unicode.Scalar) throws {
            try skipSpaceAndComments()
            guard i < chars.count, chars[i] == c else { throw ParseError.syntax("expected \(c)", at: i) }
            i += 1
        }

        while true {
            try skipSpaceAndComments()
            if i >= chars.count { break }
            let key = try quoted()
            try expect("=")
            try skipSpaceAndComments()
            let value = try quoted()
            try expect(";")
            guard entries[key] == nil else { throw ParseError.duplicate(key) }
            entries[key] = value
        }
        self.entries = entries
    }
}

/// The format placeholders of a string, by argument position: "%1$@ %2$@"
/// and "%@ %@" are the same; "%%" is a literal percent sign.
func placeholders(_ s: String) -> [Int: String] {
    let re = try! NSRegularExpression(pattern: #"%(?:(\d+)\$)?([-+ 0#]*\d*(?:\.\d+)?(?:ll|l|h)?[@dDuUxXoOfeEgGcCsSpaA])|%%"#)
    let ns = s as NSString
    var next = 1
    var out: [Int: String] = [:]
    for m in re.matches(in: s, range: NSRange(location: 0, length: ns.length)) {
        guard m.range(at: 2).location != NSNotFound else { continue }
        let position: Int
        if m.range(at: 1).location != NSNotFound {
            position = Int(ns.substring(with: m.range(at: 1)))!
        } else {
            position = next
            next += 1
        }
        out[position] = ns.substring(with: m.range(at: 2))
    }
    return out
}
