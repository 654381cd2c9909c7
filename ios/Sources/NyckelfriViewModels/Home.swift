/// The first screen after enrollment, by the role the server gave the phone.
public enum Home: Equatable, Sendable {
    /// Today's visits (care workers, night patrol).
    case visits
    /// Open outages (coordinators and the managers above them, R2.7–R2.12).
    case coordinator
    /// Installation and removal orders (the alarm group, R1.6–R1.12).
    case technician
    /// Only the inbox (roles without a screen of their own).
    case messages

    public init(role: String) {
        switch role {
        case "care_worker", "night_patrol": self = .visits
        case "coordinator", "unit_manager", "head_of_operations": self = .coordinator
        case "alarm_technician": self = .technician
        default: self = .messages
        }
    }

    /// The role's screens, in the order the tab bar shows them; every role
    /// has the inbox, last.
    public var tabs: [HomeTab] {
        switch self {
        case .visits: return [.visits, .reports, .messages]
        case .coordinator: return [.outages, .messages]
        case .technician: return [.orders, .messages]
        case .messages: return [.messages]
        }
    }
}

/// One of the home's screens (a tab).
public enum HomeTab: String, CaseIterable, Sendable {
    /// Today's visits and their doors.
    case visits
    /// The worker's own reports of failed locks (R2.9).
    case reports
    /// The coordinator's open outage cases (R2.7–R2.12).
    case outages
    /// The alarm group's installation and removal orders (R1).
    case orders
    /// The role's inbox.
    case messages

    public var l10nKey: String { "tab." + rawValue }
}
