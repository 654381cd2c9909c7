/// How the app was started. `-demo` runs on simulated locks instead of
/// Bluetooth (the simulator, a demo without hardware); `-demo-locks PATH`
/// loads the demo locks the server's `demo-data` wrote; `-server URL`
/// fills in the enrollment screen's server.
public struct LaunchOptions: Equatable, Sendable {
    public var demo = false
    public var demoLocksPath: String?
    public var serverURL: String?

    public init(arguments: [String]) {
        var i = arguments.startIndex
        func value() -> String? {
            let next = arguments.index(after: i)
            guard next < arguments.endIndex, !arguments[next].hasPrefix("-") else { return nil }
            i = next
            return arguments[next]
        }
        while i < arguments.endIndex {
            switch arguments[i] {
            case "-demo": demo = true
            case "-demo-locks":
                demoLocksPath = value()
                demo = true
            case "-server": serverURL = value()
            default: break
            }
            i = arguments.index(after: i)
        }
    }
}
