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
}
