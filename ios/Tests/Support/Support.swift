import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import NyckelfriCore

/// A DeviceSigner implemented in Swift (as the app's Secure Enclave signer
/// is), called back from Rust. CryptoKit is not on Linux, so it wraps
/// the core's SoftwareSigner and counts the calls.
public final class SwiftSigner: DeviceSigner, @unchecked Sendable {
    private let inner: SoftwareSigner
    private let lock = NSLock()
    private var calls = 0

    public init(dir: URL = tempDir("nf-key")) throws {
        inner = try SoftwareSigner.openOrCreate(path: dir.appendingPathComponent("device.key").path)
    }

    public var signCalls: Int { lock.lock(); defer { lock.unlock() }; return calls }

    public func publicKey() throws -> Data { try inner.publicKey() }

    public func sign(message: Data) throws -> Data {
        lock.lock(); calls += 1; lock.unlock()
        return try inner.sign(message: message)
    }
}

/// Records the steps the core reports while opening a door.
public final class RecordingListener: UnlockListener, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [UnlockStep] = []
    public init() {}
    public var steps: [UnlockStep] { lock.lock(); defer { lock.unlock() }; return recorded }
    public func onStep(step: UnlockStep) { lock.lock(); recorded.append(step); lock.unlock() }
}

public func tempDir(_ prefix: String) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

public func config(_ db: URL) -> AppConfig {
    AppConfig(databasePath: db.path, connectTimeoutMs: 2000, messageTimeoutMs: 2000, syncBackoffMs: 20)
}

public func nowUnix() -> Int64 { Int64(Date().timeIntervalSince1970) }

/// Fails unless `body` throws an error `matches` accepts; returns that error.
@discardableResult
public func assertThrowsAsync<T>(
    _ body: () async throws -> T,
    file: StaticString = #filePath, line: UInt = #line,
    _ matches: (NyckelfriError) -> Bool
) async -> NyckelfriError? {
    do {
        let value = try await body()
        XCTFail("no error, got \(value)", file: file, line: line)
    } catch let e as NyckelfriError {
        XCTAssertTrue(matches(e), "unexpected error \(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("not a NyckelfriError: \(error)", file: file, line: line)
    }
    return nil
}

@discardableResult
public func assertThrowsSync<T>(
    _ body: () throws -> T,
    file: StaticString = #filePath, line: UInt = #line,
    _ matches: (NyckelfriError) -> Bool
) -> NyckelfriError? {
    do {
        let value = try body()
        XCTFail("no error, got \(value)", file: file, line: line)
    } catch let e as NyckelfriError {
        XCTAssertTrue(matches(e), "unexpected error \(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("not a NyckelfriError: \(error)", file: file, line: line)
    }
    return nil
}

// MARK: - Loopback sockets (no URLSession needed)

private func loopback(_ port: UInt16) -> sockaddr_in {
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = port.bigEndian
    a.sin_addr.s_addr = inet_addr("127.0.0.1")
    return a
}

/// A port nothing listens on (bound then released).
public func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    precondition(fd >= 0)
    defer { close(fd) }
    var addr = loopback(0)
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(ok == 0)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return UInt16(bigEndian: addr.sin_port)
}

public enum HttpError: Error { case connect, status(String) }

/// GET http://127.0.0.1:port/path; the body of a 200 response.
public func httpGet(port: UInt16, path: String) throws -> String {
    try httpRequest(port: port, method: "GET", path: path)
}

/// A request to http://127.0.0.1:port/path with an optional JSON body and
/// bearer token; the body of a 200 response.
public func httpRequest(port: UInt16, method: String, path: String, json: String? = nil, bearer: String? = nil) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HttpError.connect }
    defer { close(fd) }
    var addr = loopback(port)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw HttpError.connect }
    let body = Array((json ?? "").utf8)
    var head = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
    if json != nil { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
    let request = Array((head + "\r\n").utf8) + body
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var response = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += buf[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let statusLine = text.split(separator: "\r\n").first, statusLine.contains(" 200 ") else {
        throw HttpError.status(String(text.prefix(300)))
    }
    return text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
}

public func matches(_ pattern: String, in text: String) -> [[String]] {
    let re = try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
    let ns = text as NSString
    return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
        (0..<m.numberOfRanges).map { ns.substring(with: m.range(at: $0)) }
    }
}

// MARK: - The real server

/// The real nyckelfri-server on loopback with the demo municipality of
/// today, as a child process. Tokens are issued with a margin of a whole day
/// around each visit, so the day's keys are usable at any hour.
public final class DemoServer {
    public struct Lock { public let id: String; public let publicKey: String; public let pkcs8: String }

    public let dir = tempDir("nf-server")
    public let port = freePort()
    public var url: String { "http://127.0.0.1:\(port)" }
    public let codes: [String: String]
    public let locks: [Lock]
    public let demoOutput: String
    private let process = Process()

    public init() throws {
        let bin = ProcessInfo.processInfo.environment["NYCKELFRI_SERVER_BIN"] ?? ""
        guard !bin.isEmpty else { throw HttpError.status("set NYCKELFRI_SERVER_BIN") }
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: bin)
        demo.arguments = ["demo-data", "--data-dir", dir.path]
        let pipe = Pipe()
        demo.standardOutput = pipe
        demo.standardError = pipe
        try demo.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        demo.waitUntilExit()
        demoOutput = out
        guard demo.terminationStatus == 0 else { throw HttpError.status("demo-data failed: \(out)") }
        var codes: [String: String] = [:]
        for m in matches(#"^\s+(st-\S+)\s+\S+\s+(\S+)\s*$"#, in: out) { codes[m[1]] = m[2] }
        self.codes = codes
        let json = try Data(contentsOf: dir.appendingPathComponent("demo-locks.json"))
        let objects = try JSONSerialization.jsonObject(with: json) as! [[String: Any]]
        locks = objects.map {
            Lock(id: $0["lock_id"] as! String, publicKey: $0["public_key"] as! String, pkcs8: $0["pkcs8"] as! String)
        }

        process.executableURL = URL(fileURLWithPath: bin)
        process.arguments = ["serve", "--data-dir", dir.path, "--listen", "127.0.0.1:\(port)",
                             "--token-margin-minutes", "1440"]
        let log = dir.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while (try? httpGet(port: port, path: "/v1/issuer")) == nil {
            guard process.isRunning else {
                throw HttpError.status("server exited: " + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
            }
            guard Date() < deadline else { throw HttpError.status("server did not start") }
            usleep(100_000)
        }
    }

    /// The issuer's public key (SEC1, hex) from GET /v1/issuer.
    public func issuerKeyHex() throws -> String {
        let body = try httpGet(port: port, path: "/v1/issuer")
        guard let m = matches(#"\b(04[0-9a-fA-F]{128})\b"#, in: body).first else {
            throw HttpError.status("no issuer key in \(body)")
        }
        return m[1]
    }

    public func code(_ staffId: String) throws -> String {
        guard let c = codes[staffId] else { throw HttpError.status("no code for \(staffId) in:\n\(demoOutput)") }
        return c
    }

    public func lockSet(at: Int64 = nowUnix()) throws -> SimulatedLockSet {
        let issuer = try issuerKeyHex()
        let set = SimulatedLockSet()
        for l in locks {
            try set.addLock(lockId: l.id, pkcs8Hex: l.pkcs8, issuerPublicKeyHex: issuer, unixTime: UInt64(at))
        }
        return set
    }

    /// As the server's administrator (the token `serve` wrote), e.g. to
    /// make an installation order the demo data lacks.
    public func adminPost(_ path: String, json: String) throws -> String {
        try httpRequest(port: port, method: "POST", path: path, json: json, bearer: try adminToken())
    }

    /// As the server's administrator: GET, the body of a 200 response.
    public func adminGet(_ path: String) throws -> String {
        try httpRequest(port: port, method: "GET", path: path, bearer: try adminToken())
    }

    private func adminToken() throws -> String {
        try String(contentsOf: dir.appendingPathComponent("admin-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() {
        if process.isRunning {
            // SIGKILL, not SIGTERM: a server started from a Swift concurrency
            // thread inherits that thread's blocked signals, SIGTERM included.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A test class with one real server for all its tests: started before the
/// first, stopped after the last.
open class WithDemoServer: XCTestCase {
    private static var shared: DemoServer?
    public var server: DemoServer { Self.shared! }

    override open class func setUp() {
        super.setUp()
        shared = try! DemoServer()
    }

    override open class func tearDown() {
        shared?.stop()
        shared = nil
        super.tearDown()
    }
}
