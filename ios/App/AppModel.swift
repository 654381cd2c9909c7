import Foundation
import Observation
import UIKit
import NyckelfriCore
import NyckelfriViewModels

/// Opens the core once for the app's lifetime; what comes first after that
/// (enrollment, or the role's home) the package's LaunchViewModel decides
/// from the core's own store.
@MainActor
@Observable
final class AppModel {
    enum Stage {
        case starting
        case failed(Problem)
        case ready(LaunchViewModel)
    }

    private(set) var stage: Stage = .starting
    let options = LaunchOptions(arguments: ProcessInfo.processInfo.arguments)
    private var session: Session?
    #if NYCKELFRI_SIMULATION
    private var demoLocks: SimulatedLockSet?
    #endif
    private let defaults = UserDefaults.standard

    /// Only to fill in the enrollment screen again and to find the demo
    /// locks' issuer: who the phone is enrolled for is the core's to know.
    private static let savedServerURL = "serverURL"

    func start() async {
        guard session == nil else { return }
        do {
            let session = try openCore()
            self.session = session
            let launch = LaunchViewModel(
                session: session, serverURL: options.serverURL ?? defaults.string(forKey: Self.savedServerURL) ?? "",
                deviceLabel: UIDevice.current.name)
            launch.start()
            stage = .ready(launch)
            if launch.home != nil { await loadDemoLocks() }
            // Openings a crash interrupted: those that can no longer be finished
            // are recorded as unknown; nothing is sent until the worker taps Open.
            _ = try? session.app.pendingUnlocks()
        } catch {
            stage = .failed(Problem(error))
        }
    }

    /// After a failure to open (a damaged database was moved aside): again.
    func retry() async {
        session = nil
        stage = .starting
        await start()
    }

    func enrolled(_ launch: LaunchViewModel) async {
        guard case .enroll(let vm) = launch.stage else { return }
        launch.enrolled()
        guard launch.home != nil else { return }
        defaults.set(vm.serverURL.trimmingCharacters(in: .whitespaces), forKey: Self.savedServerURL)
        await loadDemoLocks()
    }

    private func openCore() throws -> Session {
        let dir = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("Nyckelfri", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = AppConfig(databasePath: dir.appendingPathComponent("nyckelfri.db").path)
        let signer = try SecureEnclaveSigner.loadOrCreate()
        let app: NyckelfriApp
        #if NYCKELFRI_SIMULATION
        let simulated = options.demo
        if simulated {
            let locks = SimulatedLockSet()
            demoLocks = locks
            app = try NyckelfriApp.openWithSimulatedLocks(config: config, signer: signer, locks: locks)
        } else {
            app = try NyckelfriApp.open(config: config, signer: signer)
        }
        #else
        // A store build has no simulated locks (the core is built without
        // its `simulation` feature): -demo is ignored.
        let simulated = false
        // btleplug uses CoreBluetooth: nothing to set up on iOS.
        app = try NyckelfriApp.open(config: config, signer: signer)
        #endif
        let language = coreLanguage(preferredLanguages: Locale.preferredLanguages)
        return Session(app: app, platform: IOSPlatform(simulatedLocks: simulated), language: language)
    }

    /// Demo mode: the server's demo locks, trusting its issuer key.
    private func loadDemoLocks() async {
        #if NYCKELFRI_SIMULATION
        guard let set = demoLocks, set.lockIds().isEmpty, let path = options.demoLocksPath,
              let server = defaults.string(forKey: Self.savedServerURL) ?? options.serverURL,
              let issuerURL = URL(string: server + "/v1/issuer")
        else { return }
        do {
            let locks = try DemoLocks.parse(locksJSON: Data(contentsOf: URL(fileURLWithPath: path)))
            let (body, _) = try await URLSession.shared.data(from: issuerURL)
            let now = (try? session?.app.trustedTime().unix) ?? Int64(Date().timeIntervalSince1970)
            try DemoLocks.install(locks, issuerKeyHex: DemoLocks.issuerKey(issuerJSON: body), into: set, now: now)
        } catch {
            // The demo still runs; every door then reports "lock not found".
            print("demo locks not loaded: \(error)")
        }
        #endif
    }
}
