import Observation
import NyckelfriCore

/// The role's inbox from the server (e.g. the night patrol's notice of a
/// broken lock before 17:00, R2.12; the alarm group's cases, R2.11).
@MainActor
@Observable
public final class MessagesViewModel {
    public private(set) var messages: [InboxMessage] = []
    public private(set) var loading = false
    public private(set) var problem: Problem?

    private let session: Session

    public init(session: Session) {
        self.session = session
    }

    public var unreadCount: Int { messages.filter { !$0.read }.count }

    public func load() async {
        loading = true
        defer { loading = false }
        do {
            messages = try await session.app.inbox()
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }

    public func markRead(_ message: InboxMessage) async {
        guard !message.read else { return }
        do {
            let updated = try await session.app.markMessageRead(messageId: message.id)
            if let i = messages.firstIndex(where: { $0.id == updated.id }) { messages[i] = updated }
            problem = nil
        } catch {
            problem = Problem(error)
        }
    }
}
