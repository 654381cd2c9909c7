# Enhetens kort när låsvredet eller appen inte fungerar (rutin R2). Svenska är standard.

card-title = { $unit }: om låsvredet eller appen inte fungerar
card-routine = Rutin: Elektroniska låsvred ur funktion – driftstopp. Gäller också när appen inte fungerar. Sätt upp kortet på enheten och ha det med dig.
card-heading-numbers = Nummer
card-coordinator-phone = Koordinatorn: { $phone } (vardagar { $opens }–{ $closes })
card-night-patrol-phone = Nattpatrullen: { $phone }
card-heading-keys = Extranycklar
card-day-key = Dag: { $place }
card-night-key = Natt: { $place }
card-heading-steps = Gör så här
card-step-ask = 1. Kan brukaren öppna själv? Om inte:
card-step-call = 2. Ring koordinatorn för hjälp med planeringen. Koordinatorn kontrollerar att beslutet gäller och kontaktar biståndshandläggaren om det har gått ut.
card-step-key = 3. Använd extranyckeln: dag från enhetens nyckelskåp, natt natt-/larmnyckeln (se ovan).
card-step-acute = 4. Följ enhetens rutin för akut nyckelhantering:
card-step-acute-none = 4. Följ rutinen för akut nyckelhantering (fråga koordinatorn om den).
card-step-document = 5. Dokumentera att låsvredet är ur funktion: i appen, eller till koordinatorn om appen inte fungerar.
card-step-evening = 6. Efter kl { $deadline } på vardagar: meddela nattpatrullen själv, direkt, så att de hinner förbereda sig inför natten.
card-step-weekend = 7. Helg (från kl { $closes } dagen före lördag eller helgdag till kl { $opens } nästa vardag): meddela nattpatrullen så snart som möjligt och skicka ett meddelande till larmgruppen, som tar ärendet nästa vardag.
card-step-deviation = 8. Rapportera avvikelsen i avvikelsesystemet.
card-major = Stort driftstopp (alla låsvred): larmgruppen meddelar sin enhetschef, som samordnar och håller alla uppdaterade.
card-printed = Utskrivet { $date } ur Nyckelfri. Skriv ut kortet på nytt när enhetens uppgifter ändras.
