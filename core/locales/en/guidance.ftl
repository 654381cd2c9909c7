# Guidance when a lock does not work (routine R2).

ask-brukare-opens = Knock and ring. Can the brukare open by themselves? If so, go in as usual and still document that the lock does not work. If not, follow the steps below.
    .title = Can the brukare open?
call-coordinator = Call the coordinator on { $phone } for help with planning.
    .title = Call the coordinator
call-coordinator-closed = The coordinator answers { $opens }–{ $closes } on weekdays and is not there now. Call { $phone } if the number is forwarded; otherwise the coordinator gets your report when the office opens.
    .title = The coordinator (office closed)
evening-night-patrol = After { $deadline } you tell the night patrol yourself: call { $phone } now so that they can prepare for the night. Your report reaches them too.
    .title = Call the night patrol now
evening-night-patrol-no-phone = After { $deadline } you tell the night patrol yourself, now, so that they can prepare for the night. Your report reaches them too.
    .title = Tell the night patrol now
day-spare-key = Take the spare key from the key cabinet: { $location }.
    .title = Take the spare key (day)
night-key = Fetch the night/alarm key from { $location }.
    .title = Fetch the night key
acute-key-handling = Follow the routine for acute key handling. The unit has not put its own routine in the app: ask the coordinator or the night patrol.
    .title = Acute key handling
acute-key-handling-unit = { $routine }
    .title = Acute key handling (the unit's routine)
document-outage = Document that the lock is out of order. The app keeps the report and sends it when there is a network.
    .title = Document the outage
weekend-night-patrol = It is a weekend or holiday: tell the night patrol at once and send a message to the alarm group, who take the case on the next weekday. Your report sends the message for you.
    .title = Weekend: tell the night patrol and the alarm group
weekend-night-patrol-call = It is a weekend or holiday: call the night patrol now on { $phone } and send a message to the alarm group, who take the case on the next weekday. Your report sends the message for you.
    .title = Weekend: call the night patrol, tell the alarm group
report-deviation = Report the deviation in the deviation system.
    .title = Report the deviation
decision-ended = The care decision has ended and the lock cannot be opened with the app. The coordinator checks the decision and contacts the needs assessor. You help the brukare with the spare key as the steps below say.
    .title = The care decision has ended
major-outage = Many locks are down right now. The alarm group's unit manager coordinates and keeps everyone updated.
    .title = Major outage
sync-keys = Sync the app to get new keys (needs a network).
    .title = Get new keys
key-not-yet-valid = The key is valid from { $from }. Wait, or call the coordinator if the visit has moved.
    .title = The key starts later
low-battery = The lock opened but its battery is low. Report it so the alarm group changes the battery.
    .title = Low battery

# Demonstration to the brukare at installation (R1.9).
demo-open = Now the staff's phone opens the lock, just as on a visit.
    .title = The lock opens
demo-lock = Now the door is locked again from the phone.
    .title = The lock locks
demo-phone-fails = If the staff's phone does not work, the staff have a spare key and a routine for it. You need not do anything.
    .title = If the phone does not work
demo-lock-fails = If the lock does not work, the staff call their coordinator, use a spare key, and the alarm group repairs the lock.
    .title = If the lock does not work
