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
            RetryView(problem: problem, model: model)
        case .ready(let launch):
            LaunchView(launch: launch, model: model)
        }
    }
}

private struct LaunchView: View {
    let launch: LaunchViewModel
    let model: AppModel

    var body: some View {
        switch launch.stage {
        case .starting:
            ProgressView(L("app.starting"))
        case .failed(let problem):
            RetryView(problem: problem, model: model)
        case .enroll(let vm):
            NavigationStack { EnrollView(vm: vm) { await model.enrolled(launch) } }
        case .home(let home, _):
            HomeTabs(home: home, session: launch.session)
        }
    }
}

private struct RetryView: View {
    let problem: Problem
    let model: AppModel

    var body: some View {
        VStack(spacing: 16) {
            ProblemText(problem: problem)
            Button(L("app.try_again")) { Task { await model.retry() } }
                .buttonStyle(.borderedProminent)
                .frame(minHeight: 44)
        }
        .padding()
    }
}

/// The tabs are the role's (Home.tabs, tested on Linux); here only how
/// each looks.
private struct HomeTabs: View {
    let home: Home
    let session: Session

    var body: some View {
        TabView {
            ForEach(home.tabs, id: \.self) { tab in
                screen(tab)
                    .tabItem { Label(L(tab.l10nKey), systemImage: icon(tab)) }
            }
        }
    }

    @ViewBuilder
    private func screen(_ tab: HomeTab) -> some View {
        switch tab {
        case .visits: NavigationStack { VisitsView(session: session) }
        case .reports: NavigationStack { ReportsView(session: session) }
        case .outages: NavigationStack { CoordinatorView(session: session) }
        case .orders: NavigationStack { OrdersView(session: session) }
        case .messages: NavigationStack { MessagesView(session: session) }
        }
    }

    private func icon(_ tab: HomeTab) -> String {
        switch tab {
        case .visits: return "list.bullet"
        case .reports: return "exclamationmark.triangle"
        case .outages: return "exclamationmark.triangle"
        case .orders: return "wrench.and.screwdriver"
        case .messages: return "envelope"
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
