package se.nyckelfri.app.state

import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter

/**
 * Clock times as the workers read them, in the unit's zone rather than the
 * phone's (a phone set to another zone must not shift the day's visits).
 */
class Times(val zone: ZoneId = ZoneId.of("Europe/Stockholm")) {
    private val hm = DateTimeFormatter.ofPattern("HH:mm")
    private val dayHm = DateTimeFormatter.ofPattern("d/M HH:mm")
    private val yearDayHm = DateTimeFormatter.ofPattern("d/M yyyy HH:mm")

    /** "22:00". */
    fun hm(unix: Long): String = hm.format(Instant.ofEpochSecond(unix).atZone(zone))

    /**
     * "27/11 22:00", for times that may be on another day; with the year
     * when it is not this year (a care decision may end next year).
     */
    fun dayHm(unix: Long): String {
        val t = Instant.ofEpochSecond(unix).atZone(zone)
        val thisYear = Instant.now().atZone(zone).year
        return (if (t.year == thisYear) dayHm else yearDayHm).format(t)
    }
}
