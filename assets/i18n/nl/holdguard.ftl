# Hold Guard, Nederlands. Dezelfde sleutels als ../en/holdguard.ftl (een test controleert dat).

## Toestanden en de statusregel (venster, tooltip van het systeemvak, `holdguard status`)
state-starting = STARTEN
state-live = OPEN
state-hold-music = GEDEMPT — wachtmuziek
state-silent-hold = GEDEMPT — stille wachtstand
state-manual-mute = GEDEMPT — door jou
state-manual-unmute = OPEN — door jou geopend
state-paused = GEPAUZEERD
state-push-to-talk = OPEN — spreektoets
status-line = { $state }, al { $time }
status-standby = stand-by: geen app gebruikt Hold Guard Microphone
status-muted-speech = Je microfoon is gedempt — niet verzonden
status-problem = probleem: { $problem }
status-bypass = niet beschermd: { $apps } neemt je microfoon rechtstreeks op
status-stalled-mic-muted = de microfoon levert geen geluid meer; opnieuw verbinden (de microfoon blijft gedempt)
status-stalled-mic-open = de microfoon levert geen geluid meer; opnieuw verbinden (de microfoon blijft open)
status-stalled-far-muted = het gesprek levert geen geluid meer; opnieuw verbinden (de microfoon blijft gedempt)
status-stalled-far-open = het gesprek levert geen geluid meer; opnieuw verbinden (de microfoon blijft open)
status-guard-failed = { $why }; over 3 s opnieuw proberen

## Waarom de microfoon het laatst veranderde (redenen in het logboek)
reason-hold_music = wachtmuziek
reason-silent_hold = stille wachtstand
reason-agent_speech = medewerker spreekt
reason-conversation = gesprek
reason-manual_mute = door jou gedempt
reason-manual_unmute = door jou geopend
reason-paused = gepauzeerd
reason-resumed = hervat
reason-push_to_talk = spreektoets
reason-call_ended = gesprek beëindigd
reason-ended_unexpectedly = onverwacht beëindigd

## Soorten geluid van het gesprek (legenda van de tijdlijn)
class-silence = stilte
class-tone = toon
class-music = muziek
class-speech = spraak
class-speech_over_music = spraak over muziek

## Venster: tabbladen en de beschermpagina
tab-guard = Bescherming
tab-log = Logboek
tab-settings = Instellingen
guard-opening = de geluidsapparaten worden geopend
guard-no-call = geen gespreksgeluid
guard-last-change = laatste wijziging: { $reason }
guard-waiting = wachten op het gesprek
guard-since = al { $time } · { $why }
guard-bypass = Niet beschermd: { $apps } neemt je microfoon rechtstreeks op, en Hold Guard kan dat niet dempen. Kies daar "Hold Guard Microphone", of zet "Apps naar Hold Guard verplaatsen" aan bij Instellingen.
guard-mute = Microfoon dempen
guard-unmute = Microfoon openen
guard-pause = Bescherming pauzeren
guard-far-end = Gesprek
guard-microphone = Microfoon
guard-timeline = Laatste twee minuten (gesprek boven, gedempte microfoon onder):
guard-shortcut = Sneltoets { $key } dempt of opent de microfoon vanuit elke toepassing.
guard-shortcut-pending = Wacht tot je bureaublad de sneltoetsen bevestigt (het kan je dat in een venster vragen).
guard-no-shortcut = De sneltoets om te dempen werkt niet: { $why }.
guard-bind-toggle = Koppel in plaats daarvan de opdracht `holdguard toggle` aan een toets in de toetsenbordinstellingen van je bureaublad.
guard-talk-shortcut = Houd { $key } ingedrukt om te praten terwijl je gedempt bent (spreektoets).
guard-no-talk-shortcut = De spreektoets werkt niet: { $why }.
guard-bind-talk = Koppel in plaats daarvan `holdguard talk start` aan het indrukken van een toets en `holdguard talk end` aan het loslaten, in de toetsenbordinstellingen van je bureaublad.
guard-no-tray = Geen pictogram in het systeemvak ({ $why }): dit venster sluiten sluit Hold Guard af.
guard-settings-warning = Instellingen: { $warning }
guard-devices = Microfoon { $mic } gaat naar Hold Guard Microphone ({ $out }); luistert naar { $far }

## Sneltoetsen
hotkey-not-shortcut = "{ $spec }" is geen sneltoets; schrijf toetsen als Ctrl en een toets met + ertussen, bijvoorbeeld Ctrl+Alt+M
hotkey-wayland = het bureaubladportaal van deze Wayland-sessie koppelt geen algemene sneltoetsen ({ $error })
hotkey-via-portal = { $key }, zoals ingesteld in de sneltoetsinstellingen van je bureaublad
hotkey-no-display = er is geen X11-scherm
hotkey-not-registered = nog niet geregistreerd
hotkey-unavailable = algemene sneltoetsen zijn niet beschikbaar ({ $error })
hotkey-other = { $spec } is al de andere sneltoets
hotkey-taken = { $spec } kon niet worden geregistreerd, misschien gebruikt een andere toepassing hem ({ $error })

## Instellingen
settings-microphone = Microfoon
settings-far = Gesprek (geluid van de beller)
settings-out = Uitvoer (leeg: de virtuele microfoon)
settings-default = standaard
settings-delay = Wachttijd voor stille wachtstand
settings-seconds = { $s } s
settings-sensitivity = Gevoeligheid voor wachtmuziek
settings-careful-eager = voorzichtig tot gretig
settings-shortcut = Sneltoets dempen
settings-talk-shortcut = Spreektoets
settings-alert = Melding als de medewerker terug is
settings-alert-what = geluidje en melding
settings-recorders = Apps op de echte microfoon
settings-recorders-what = Apps naar Hold Guard verplaatsen
settings-login = Starten bij aanmelden
settings-login-what = in het systeemvak
settings-language = Taal
settings-language-auto = zoals het systeem ({ $lang })
settings-you = Jouw gegevens voor brieven over je rechten
settings-you-note = Bewaard in het instellingenbestand op deze computer; Hold Guard stuurt ze nergens heen.
settings-name = Naam
settings-address = Adres
settings-email = E-mail
settings-phone = Telefoonnummer
settings-no-devices = apparaten kunnen niet worden opgesomd: { $error }
settings-save = Opslaan
settings-revert = Terugzetten
settings-refresh = Apparaten vernieuwen
settings-saved = Opgeslagen.
settings-saved-restart = Opgeslagen; de bescherming is herstart met de nieuwe instellingen.
settings-not-saved = Niet opgeslagen: { $error }
settings-file = Instellingenbestand: { $path }
settings-no-home = geen thuismap om instellingen in te bewaren
settings-no-autostart = geen thuismap voor het autostart-bestand

## Logboek
log-no-journal = geen thuismap, dus geen logboek
log-bad-date = { $what } "{ $value }" is geen datum: gebruik JJJJ-MM-DD
log-from = Van
log-to = tot
log-utc = (UTC)
log-date-hint = JJJJ-MM-DD
log-clear = Wissen
log-week = Deze week { $hold } in de wacht, microfoon { $muted } gedempt
log-journal-warning = logboek: { $warning }
log-calls = { $n ->
    [one] { $n } gesprek
   *[other] { $n } gesprekken
}
log-intervals = { $n ->
    [one] { $n } periode
   *[other] { $n } perioden
}
log-shown = Getoond: { $calls }, { $hold } in de wacht, { $muted } gedempt in { $intervals }
log-all-shown = alles wat getoond wordt
log-ticked = aangevinkte gesprekken
log-export-csv = CSV exporteren
log-export-json = JSON exporteren
log-exported = { $intervals } ({ $what }) geëxporteerd naar { $path }
log-not-exported = Niet geëxporteerd: { $error }
log-nothing = niets om te exporteren
log-delete = Verwijderen…
log-deleted = Verwijderd.
log-not-deleted = Niet verwijderd: { $error }
log-empty = Nog geen gedempte perioden.
log-call = Gesprek { $time }: { $hold } in de wacht, { $muted } gedempt
log-call-named = Gesprek { $time } — { $name }: { $hold } in de wacht, { $muted } gedempt
log-name = Naam geven…
log-rights = Je rechten…
log-start = Begin
log-end = Einde
log-duration = Duur
log-reason = Reden
log-ended-by = Beëindigd door
log-per-week = Per week
log-week-of = Week van { $week }: { $hold } in de wacht, { $muted } gedempt
log-letter-made = { $what } van { $date }
log-letter-due = { $what } van { $date }: antwoord uiterlijk { $due }
log-letter-passed = { $what } van { $date }: het antwoord moest er uiterlijk { $due } zijn, verstreken
log-company = Bedrijf
log-number = Nummer of adres
log-note = Notitie
log-save-name = Naam opslaan
log-cancel = Annuleren
log-not-saved = Niet opgeslagen: { $error }
log-delete-title = Uit het logboek verwijderen?
log-delete-what = { $intervals } van { $calls } worden uit het logboek verwijderd. Dit kan niet ongedaan worden gemaakt.
log-delete-confirm = Verwijderen

## Brieven over je rechten (venster)
letter-title = Je rechten na dit gesprek
letter-access = Inzageverzoek (art. 15)
letter-erase = Verzoek om verwijdering (art. 17)
letter-object = Bezwaar (art. 21)
letter-complaint = Klacht bij de AP (art. 77)
letter-to-hint = privacy@bedrijf.example
letter-to = Aan
letter-you-missing = Je naam en adres zijn niet ingesteld: vul de [haakjes] in, of stel ze in bij Instellingen.
letter-copy = Kopiëren
letter-copied = Gekopieerd.
letter-save = Opslaan als tekst
letter-saved = Opgeslagen in { $path }
letter-mail = Openen in e-mail
letter-mailed = Geopend in je e-mailprogramma; Hold Guard verstuurt zelf niets.
letter-close = Sluiten
letter-not-done = Niet gelukt: { $error }
letter-gone = dit gesprek staat niet meer in het logboek
letter-no-request = Een klacht volgt op een verzoek dat het bedrijf onbeantwoord liet: maak eerst een inzage-, verwijderings- of bezwaarbrief voor dit gesprek.
letter-no-opener = het openprogramma van het bureaublad kan niet starten: { $error }

## Systeemvak en meldingen
tray-tooltip = Hold Guard: { $line }
tray-last-change = laatste wijziging: { $reason }
tray-mute = Microfoon dempen
tray-unmute = Microfoon openen
tray-pause = Bescherming pauzeren
tray-open = Venster openen
tray-quit = Hold Guard afsluiten
notify-agent-back = De medewerker is terug
notify-agent-back-body = Er spreekt iemand in je gesprek: Hold Guard heeft je microfoon weer geopend.

## Opdrachtregel
cli-already-running = Hold Guard draait al (proces { $pid }); het venster is naar voren gehaald
cli-log-empty = Geen gedempte perioden in { $path }.
cli-log-zone = Tijden in { $zone }.
cli-log-call = gesprek { $time }{ $name } ({ $id }): { $hold } in de wacht, { $muted } gedempt in { $intervals }
cli-log-note = notitie: { $note }
cli-log-letter = brief: { $kind } ({ $lang }) van { $date }
cli-log-letter-due = brief: { $kind } ({ $lang }) van { $date }, antwoord uiterlijk { $due }
cli-log-letter-passed = brief: { $kind } ({ $lang }) van { $date }, antwoord moest er uiterlijk { $due } zijn: verstreken
cli-log-total = totaal: { $calls }, { $hold } in de wacht, microfoon { $muted } gedempt
cli-label-call = gesprek { $id }
cli-letter-you-missing = je naam of adres is niet ingesteld: vul de [haakjes] in, of stel ze in onder [you] in de instellingen (name, address, email, phone)
cli-letter-early = het bedrijf heeft tot { $due } om je verzoek van { $sent } te beantwoorden; een klacht is voor als die datum verstreken is
