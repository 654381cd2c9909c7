import Foundation
import XCTest
@testable import NyckelfriViewModels

/// Swedish and English say the same things: the same keys, the same
/// placeholders, every key the app and the view models use, and no text
/// SwiftUI would look up behind the check's back.
final class LocalizationTests: XCTestCase {
    /// ios/App, next to this package's Tests (scripts/test-swift copies it).
    private let appDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("App")

    private func strings(_ language: String, _ table: String = "Localizable") throws -> StringsFile {
        try StringsFile(contentsOf: appDir.appendingPathComponent("Resources/\(language).lproj/\(table).strings"))
    }

    private func appSources() throws -> [(name: String, text: String)] {
        let files = FileManager.default.enumerator(at: appDir, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        XCTAssertGreaterThanOrEqual(files.count, 10, "the app's Swift files in \(appDir.path)")
        return try files.map { ($0.lastPathComponent, try String(contentsOf: $0, encoding: .utf8)) }
    }

    func testBothLanguagesHaveTheSameKeysAndPlaceholders() throws {
        for table in ["Localizable", "InfoPlist"] {
            let sv = try strings("sv", table), en = try strings("en", table)
            XCTAssertFalse(sv.entries.isEmpty, table)
            XCTAssertEqual(Set(sv.entries.keys).subtracting(en.entries.keys), [], "\(table): only in Swedish")
            XCTAssertEqual(Set(en.entries.keys).subtracting(sv.entries.keys), [], "\(table): only in English")
            for (key, s) in sv.entries {
                guard let e = en.entries[key] else { continue }
                XCTAssertEqual(placeholders(s), placeholders(e), "\(table): \(key): \"\(s)\" vs \"\(e)\"")
                XCTAssertFalse(s.trimmingCharacters(in: .whitespaces).isEmpty, "\(table): \(key) is empty in Swedish")
                XCTAssertFalse(e.trimmingCharacters(in: .whitespaces).isEmpty, "\(table): \(key) is empty in English")
            }
        }
        let info = try strings("sv", "InfoPlist")
        XCTAssertNotNil(info.entries["NSBluetoothAlwaysUsageDescription"])
        XCTAssertNotNil(info.entries["NSFaceIDUsageDescription"])
    }

    func testThePlaceholderCheckSeesADifference() {
        XCTAssertEqual(placeholders("%1$@: klart %2$@"), placeholders("%@: done %@"))
        XCTAssertNotEqual(placeholders("Ring %@"), placeholders("Call"))
        XCTAssertNotEqual(placeholders("%@ %%"), placeholders("%lld %%"))
        XCTAssertEqual(placeholders("100 %%"), [:])
    }

    func testEveryKeyTheAppAndTheViewModelsUseExistsAndEveryKeyIsUsed() throws {
        let sv = try strings("sv"), en = try strings("en")
        let literal = try NSRegularExpression(pattern: #"\bL\("([^"\\]+)""#)
        var used = Set<String>()
        for (name, text) in try appSources() {
            let ns = text as NSString
            for m in literal.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let key = ns.substring(with: m.range(at: 1))
                used.insert(key)
                XCTAssertNotNil(sv.entries[key], "\(name): \(key) missing in Swedish")
                XCTAssertNotNil(en.entries[key], "\(name): \(key) missing in English")
            }
        }
        XCTAssertGreaterThan(used.count, 50, "the pattern still finds the app's keys")
        for key in LocalizationKeys.all {
            XCTAssertNotNil(sv.entries[key], "view model key \(key) missing in Swedish")
            XCTAssertNotNil(en.entries[key], "view model key \(key) missing in English")
        }
        let unused = Set(sv.entries.keys).subtracting(used).subtracting(LocalizationKeys.all)
        XCTAssertEqual(unused, [], "keys nothing uses")
    }

    func testTheAppWritesNoTextSwiftUIWouldLookUpItself() throws {
        // Text("..."), Button("...") etc. with a literal are looked up by
        // SwiftUI, unseen by the checks above: the app writes L("key").
        let implicit = try NSRegularExpression(
            pattern: #"\b(Text|Button|Label|TextField|Section|Toggle|Picker|ProgressView|navigationTitle|confirmationDialog|accessibilityLabel|accessibilityHint|accessibilityValue)\("[^"]"#)
        for (name, text) in try appSources() {
            let ns = text as NSString
            let hits = implicit.matches(in: text, range: NSRange(location: 0, length: ns.length))
                .map { ns.substring(with: $0.range) }
            XCTAssertEqual(hits, [], name)
        }
    }

    func testEveryProblemTellsTheUserWhatToDoNextInBothLanguages() throws {
        let sv = try strings("sv"), en = try strings("en")
        for (language, table) in [("sv", sv), ("en", en)] {
            let texts = Problem.everyCase.map { table.entries[$0.l10nKey] ?? "" }
            XCTAssertFalse(texts.contains(""), "\(language): a problem without words")
            XCTAssertEqual(Set(texts).count, texts.count, "\(language): each problem has its own next step")
        }
        // The next steps a user most needs, in their words.
        let expected: [(Problem, sv: String, en: String)] = [
            (.offline, "fungerar ändå utan nät", "still work offline"),
            (.notEnrolled, "Registrera", "Enroll"),
            (.codeNotAccepted, "ny kod", "new code"),
            (.notAllowed, "Din roll", "Your role"),
            (.deviceRevoked, "koordinatorn", "coordinator"),
            (.noKey, "Synka", "Sync"),
            (.updateApp, "Uppdatera", "Update"),
        ]
        for (problem, s, e) in expected {
            XCTAssertTrue(sv.entries[problem.l10nKey]?.contains(s) == true, "sv \(problem.l10nKey)")
            XCTAssertTrue(en.entries[problem.l10nKey]?.contains(e) == true, "en \(problem.l10nKey)")
        }
    }

    func testInfoPlistSaysSwedishFirstAndWhyBluetoothAndFaceID() throws {
        let data = try Data(contentsOf: appDir.appendingPathComponent("Info.plist"))
        let plist = try XCTUnwrap(try PropertyListSerialization.propertyList(from: data, format: nil) as? [String: Any])
        XCTAssertEqual(plist["CFBundleDevelopmentRegion"] as? String, "sv")
        XCTAssertEqual(plist["CFBundleLocalizations"] as? [String], ["sv", "en"])
        XCTAssertFalse((plist["NSBluetoothAlwaysUsageDescription"] as? String ?? "").isEmpty)
        XCTAssertFalse((plist["NSFaceIDUsageDescription"] as? String ?? "").isEmpty)
    }
}
