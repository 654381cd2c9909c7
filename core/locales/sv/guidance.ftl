# Vägledning när ett låsvred inte fungerar (rutin R2). Svenska är standard.

ask-brukare-opens = Knacka och ring på. Kan brukaren öppna själv? Kan hen det: gå in som vanligt och dokumentera ändå att låsvredet inte fungerar. Kan hen inte: följ stegen nedan.
    .title = Kan brukaren öppna själv?
call-coordinator = Ring koordinatorn på { $phone } för hjälp med planeringen.
    .title = Ring koordinatorn
call-coordinator-closed = Koordinatorn svarar { $opens }–{ $closes } på vardagar och är inte på plats nu. Ring { $phone } om numret är vidarekopplat; annars får koordinatorn din rapport när kontoret öppnar.
    .title = Koordinatorn (kontoret stängt)
evening-night-patrol = Efter kl { $deadline } meddelar du nattpatrullen själv: ring { $phone } nu så att de hinner förbereda sig inför natten. Din rapport når dem också.
    .title = Ring nattpatrullen nu
evening-night-patrol-no-phone = Efter kl { $deadline } meddelar du nattpatrullen själv, nu, så att de hinner förbereda sig inför natten. Din rapport når dem också.
    .title = Meddela nattpatrullen nu
day-spare-key = Hämta extranyckeln i nyckelskåpet: { $location }.
    .title = Hämta extranyckel (dag)
night-key = Hämta natt-/larmnyckeln på { $location }.
    .title = Hämta nattnyckel
acute-key-handling = Följ rutinen för akut nyckelhantering. Enheten har inte lagt in sin egen rutin i appen: fråga koordinatorn eller nattpatrullen.
    .title = Akut nyckelhantering
acute-key-handling-unit = { $routine }
    .title = Akut nyckelhantering (enhetens rutin)
document-outage = Dokumentera att låsvredet är ur funktion. Appen sparar rapporten och skickar den när nätet finns.
    .title = Dokumentera driftstoppet
weekend-night-patrol = Det är helg: meddela nattpatrullen direkt och skicka ett meddelande till larmgruppen, som tar ärendet nästa vardag. Din rapport skickar meddelandet åt dig.
    .title = Helg: meddela nattpatrullen och larmgruppen
weekend-night-patrol-call = Det är helg: ring nattpatrullen nu på { $phone } och skicka ett meddelande till larmgruppen, som tar ärendet nästa vardag. Din rapport skickar meddelandet åt dig.
    .title = Helg: ring nattpatrullen, meddela larmgruppen
report-deviation = Rapportera avvikelsen i avvikelsesystemet.
    .title = Rapportera avvikelse
decision-ended = Biståndsbeslutet har gått ut och låsvredet kan inte öppnas med appen. Koordinatorn kontrollerar beslutet och kontaktar biståndshandläggaren. Du hjälper brukaren med extranyckeln enligt stegen nedan.
    .title = Beslutet har gått ut
major-outage = Många lås fungerar inte just nu. Larmgruppens enhetschef samordnar och håller alla uppdaterade.
    .title = Stort driftstopp
sync-keys = Synka appen för att hämta nya nycklar (kräver nät).
    .title = Hämta nya nycklar
key-not-yet-valid = Nyckeln gäller från { $from }. Vänta eller kontakta koordinatorn om besöket är flyttat.
    .title = Nyckeln gäller senare
low-battery = Låset öppnades men batteriet är svagt. Rapportera det så att larmgruppen byter batteri.
    .title = Svagt batteri

# Demonstration för brukaren vid installation (R1.9).
demo-open = Nu öppnar personalens telefon låset, precis som vid ett besök.
    .title = Låset öppnas
demo-lock = Nu låses dörren igen från telefonen.
    .title = Låset låses
demo-phone-fails = Om personalens telefon inte fungerar har personalen en extranyckel och följer en rutin för det. Ni behöver inte göra något.
    .title = Om telefonen inte fungerar
demo-lock-fails = Om låset inte fungerar kontaktar personalen sin koordinator, använder extranyckel och larmgruppen lagar låset.
    .title = Om låset inte fungerar
