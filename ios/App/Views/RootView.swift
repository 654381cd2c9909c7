import SwiftUI
import NyckelfriViewModels

/// Enrollment first; then the role's screens in tabs, the inbox in each.
struct RootView: View {
    let model: AppModel

    var body: some View {
        switch model.stage {
        case .starting:
            ProgressView(L("app.starting"))
        case .failed(let problem):
            VStack(spacing: 16) {
                ProblemText(problem: problem)
                Button(L("app.try_again")) { Task { await model.retry() } }
                    .buttonStyle(.borderedProminent)
                    .frame(minHeight: 44)
            }
            .padding()
        case .enroll(let vm):
            NavigationStack { EnrollView(vm: vm) { await model.enrolled(vm) } }
        case .home(let home, let session):
            HomeTabs(home: home, session: session)
        }
    }
}

private struct HomeTabs: View {
    let home: Home
    let session: Session

    var body: some View {
        TabView {
            switch home {
            case .visits:
                NavigationStack { VisitsView(session: session) }
                    .tabItem { Label(L("tab.visits"), systemImage: "list.bullet") }
                NavigationStack { ReportsView(session: session) }
                    .tabItem { Label(L("tab.reports"), systemImage: "exclamationmark.triangle") }
            case .coordinator:
                NavigationStack { CoordinatorView(session: session) }
                    .tabItem { Label(L("tab.outages"), systemImage: "exclamationmark.triangle") }
            case .technician:
                NavigationStack { OrdersView(session: session) }
                    .tabItem { Label(L("tab.orders"), systemImage: "wrench.and.screwdriver") }
            case .messages:
                EmptyView()
            }
            NavigationStack { MessagesView(session: session) }
                .tabItem { Label(L("tab.messages"), systemImage: "envelope") }
        }
    }
}

/// A problem in words, read out by VoiceOver as an alert.
struct ProblemText: View {
    let problem: Problem

    var body: some View {
        Label(text, systemImage: "exclamationmark.circle")
            .font(.body)
            .foregroundStyle(.red)
            .accessibilityAddTraits(.isStaticText)
    }

    private var text: String {
        if case .refused(let code) = problem { return L(problem.l10nKey, code) }
        return L(problem.l10nKey)
    }
}
