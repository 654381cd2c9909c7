package se.nyckelfri.app.state

/**
 * A text for the user, by string resource name and format arguments. State
 * holders never hold finished text: the screen looks the name up in the
 * user's language, so a change of language needs no new state.
 */
data class Msg(val key: String, val args: List<String> = emptyList()) {
    constructor(key: String, vararg args: String) : this(key, args.toList())
}
