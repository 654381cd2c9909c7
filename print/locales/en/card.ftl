# The unit's card for when a lock or the app does not work (routine R2).

card-title = { $unit }: if the lock or the app does not work
card-routine = Routine: Electronic locks out of order – outage. It applies when the app does not work, too. Post this card at the unit and carry it with you.
card-heading-numbers = Numbers
card-coordinator-phone = The coordinator: { $phone } (weekdays { $opens }–{ $closes })
card-night-patrol-phone = The night patrol: { $phone }
card-heading-keys = Spare keys
card-day-key = Day: { $place }
card-night-key = Night: { $place }
card-heading-steps = What to do
card-step-ask = 1. Can the brukare open by themselves? If not:
card-step-call = 2. Call the coordinator for help with planning. The coordinator checks that the care decision is valid and contacts the needs assessor if it has ended.
card-step-key = 3. Use the spare key: by day from the unit's key cabinet, at night the night/alarm key (see above).
card-step-acute = 4. Follow the unit's routine for acute key handling:
card-step-acute-none = 4. Follow the routine for acute key handling (ask the coordinator for it).
card-step-document = 5. Document that the lock is out of order: in the app, or to the coordinator if the app does not work.
card-step-evening = 6. After { $deadline } on weekdays: tell the night patrol yourself, at once, so that they can prepare for the night.
card-step-weekend = 7. Weekends (from { $closes } on the day before a Saturday or holiday to { $opens } on the next weekday): tell the night patrol as soon as possible and send a message to the alarm group, who take the case on the next weekday.
card-step-deviation = 8. Report the deviation in the deviation system.
card-major = Major outage (all locks): the alarm group tells its unit manager, who coordinates and keeps everyone updated.
card-printed = Printed { $date } from Nyckelfri. Print the card again when the unit's details change.
