// Swift 6.0's Observation on Linux references swift::threading::fatal, which
// its runtime does not export (swiftlang/swift#75670, fixed in 6.2): without
// this definition nothing that links Observation links on Linux. Never built
// for Apple platforms.
#if os(Linux) && compiler(<6.2)
@_cdecl("_ZN5swift9threading5fatalEPKcz")
func swiftThreadingFatal(_ message: UnsafePointer<CChar>) -> Never {
    fatalError(String(cString: message))
}
#endif
