import SwiftUI

/// The app's entry point. (Not named NyckelfriApp: that is the core's object.)
@main
struct NyckelfriMain: App {
    @State private var model = AppModel()

    var body: some Scene {
        WindowGroup {
            RootView(model: model)
                .task { await model.start() }
        }
    }
}
