import Observation
import NyckelfriCore

/// The first screen at launch and after enrolling: the role's home, or
/// enrollment. Who the phone is enrolled for comes only from the phone's own
/// store (the core's `enrollment()`), never from a copy the app keeps
/// beside it: a restart, offline too, lands on the role's screens, and an
/// enrollment whose first sync the user never waited for (the app was
/// closed meanwhile) is not asked for again with a code already used.
@MainActor
@Observable
public final class LaunchViewModel {
    public enum Stage {
        case starting
        /// The store could not be read (see `Problem`); open the app again.
        case failed(Problem)
        case enroll(EnrollViewModel)
        /// Enrolled: the role's screens, and who for.
        case home(Home, Enrollment)
    }

    public private(set) var stage: Stage = .starting
    public let session: Session
    private let serverURL: String
    private let deviceLabel: String

    /// `serverURL` and `deviceLabel` fill in the enrollment screen.
    public init(session: Session, serverURL: String = "", deviceLabel: String = "") {
        self.session = session
        self.serverURL = serverURL
        self.deviceLabel = deviceLabel
    }

    /// Reads who the phone is enrolled for; no network needed.
    public func start() {
        do {
            if let e = try session.app.enrollment() {
                stage = .home(Home(role: e.role), e)
            } else if case .enroll = stage {
                // Still not enrolled: keep what the user typed.
            } else {
                stage = .enroll(EnrollViewModel(session: session, serverURL: serverURL, deviceLabel: deviceLabel))
            }
        } catch {
            stage = .failed(Problem(error))
        }
    }

    /// After the enrollment screen finished: home once the store has the
    /// enrollment; the screen stays (showing its problem) otherwise.
    public func enrolled() {
        guard case .enroll(let vm) = stage, case .enrolled = vm.phase else { return }
        start()
    }

    /// The role's home, once enrolled.
    public var home: Home? {
        if case .home(let home, _) = stage { return home }
        return nil
    }

    /// Who the phone is enrolled for, once enrolled.
    public var enrollment: Enrollment? {
        if case .home(_, let e) = stage { return e }
        return nil
    }
}
