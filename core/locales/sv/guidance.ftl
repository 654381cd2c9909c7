# Vägledning när ett låsvred inte fungerar (rutin R2). Svenska är standard.

call-coordinator = Ring koordinatorn på { $phone } för hjälp med planeringen.
    .title = Ring koordinatorn
day-spare-key = Hämta extranyckeln i nyckelskåpet: { $location }.
    .title = Hämta extranyckel (dag)
night-key = Hämta natt-/larmnyckeln på { $location }.
    .title = Hämta nattnyckel
acute-key-handling = Följ rutinen för akut nyckelhantering.
    .title = Akut nyckelhantering
document-outage = Dokumentera att låsvredet är ur funktion. Appen sparar rapporten och skickar den när nätet finns.
    .title = Dokumentera driftstoppet
weekend-night-patrol = Det är helg: meddela nattpatrullen direkt och skicka ett meddelande till larmgruppen, som tar ärendet nästa vardag.
    .title = Helg: meddela nattpatrullen och larmgruppen
report-deviation = Rapportera avvikelsen i avvikelsesystemet.
    .title = Rapportera avvikelse
decision-ended = Biståndsbeslutet har gått ut och låset kan inte öppnas med appen. Koordinatorn kontrollerar beslutet och kontaktar biståndshandläggaren.
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
