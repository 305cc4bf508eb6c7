# Hold Guard, English. Keys are shared with ../nl/holdguard.ftl (a test checks both have the
# same keys and that every key the code uses exists).

## States and the status line (window banner, tray tooltip, `holdguard status`)
state-starting = STARTING
state-live = LIVE
state-hold-music = MUTED — hold music
state-silent-hold = MUTED — silent hold
state-manual-mute = MUTED — manual
state-manual-unmute = LIVE — unmuted by hand
state-paused = PAUSED
state-push-to-talk = LIVE — push-to-talk
status-line = { $state } for { $time }
status-standby = standby: no app is using Hold Guard Microphone
status-muted-speech = You're muted — not sent
status-problem = problem: { $problem }
status-bypass = not guarded: { $apps } records your microphone directly
status-stalled-mic-muted = the microphone stopped delivering audio; reconnecting (the microphone stays muted)
status-stalled-mic-open = the microphone stopped delivering audio; reconnecting (the microphone stays open)
status-stalled-far-muted = the far end stopped delivering audio; reconnecting (the microphone stays muted)
status-stalled-far-open = the far end stopped delivering audio; reconnecting (the microphone stays open)
status-guard-failed = { $why }; trying again in 3 s

## Why the microphone last changed (journal reasons)
reason-hold_music = hold music
reason-silent_hold = silent hold
reason-agent_speech = agent speech
reason-conversation = conversation
reason-manual_mute = manual mute
reason-manual_unmute = manual unmute
reason-paused = paused
reason-resumed = resumed
reason-push_to_talk = push-to-talk
reason-call_ended = call ended
reason-ended_unexpectedly = ended unexpectedly

## Far-end classes (timeline legend)
class-silence = silence
class-tone = tone
class-music = music
class-speech = speech
class-speech_over_music = speech over music

## Window: tabs and the guard page
tab-guard = Guard
tab-log = Log
tab-settings = Settings
guard-opening = opening the audio devices
guard-no-call = no call audio
guard-last-change = last change: { $reason }
guard-waiting = waiting for the call
guard-since = for { $time } · { $why }
guard-bypass = Not guarded: { $apps } records your microphone directly, and Hold Guard cannot mute it. Choose "Hold Guard Microphone" there, or turn on "Move apps onto Hold Guard" in Settings.
guard-mute = Mute microphone
guard-unmute = Unmute microphone
guard-pause = Pause guarding
guard-far-end = Far end
guard-microphone = Microphone
guard-timeline = Last two minutes (far end above, microphone muted below):
guard-shortcut = Shortcut { $key } toggles mute from any application.
guard-shortcut-pending = Waiting for your desktop to confirm the shortcuts (it may ask you in a dialog).
guard-no-shortcut = The mute shortcut is not available: { $why }.
guard-bind-toggle = Bind the command `holdguard toggle` to a key in your desktop's keyboard settings instead.
guard-talk-shortcut = Hold { $key } to talk while muted (push-to-talk).
guard-no-talk-shortcut = The push-to-talk shortcut is not available: { $why }.
guard-bind-talk = Bind `holdguard talk start` to a key press and `holdguard talk end` to its release in your desktop's keyboard settings instead.
guard-no-tray = No tray icon ({ $why }): closing this window quits Hold Guard.
guard-settings-warning = Settings: { $warning }
guard-devices = Microphone { $mic } passes to Hold Guard Microphone ({ $out }); listening to { $far }

## Shortcuts
hotkey-not-shortcut = "{ $spec }" is not a shortcut; write modifiers and a key joined by +, e.g. Ctrl+Alt+M
hotkey-wayland = the desktop portal of this Wayland session binds no global shortcuts ({ $error })
hotkey-via-portal = { $key }, as set in your desktop's shortcut settings
hotkey-no-display = there is no X11 display
hotkey-not-registered = not registered yet
hotkey-unavailable = global shortcuts are not available ({ $error })
hotkey-other = { $spec } is already the other shortcut
hotkey-taken = { $spec } could not be registered, perhaps another application uses it ({ $error })

## Settings page
settings-microphone = Microphone
settings-far = Far end (call audio)
settings-out = Output (empty: the virtual microphone)
settings-default = default
settings-delay = Silent-hold delay
settings-seconds = { $s } s
settings-sensitivity = Hold-music sensitivity
settings-careful-eager = careful to eager
settings-shortcut = Mute shortcut
settings-talk-shortcut = Push-to-talk shortcut
settings-alert = Agent-is-back alert
settings-alert-what = chime and notification
settings-recorders = Apps on the real microphone
settings-recorders-what = Move apps onto Hold Guard
settings-login = Start at login
settings-login-what = in the tray
settings-language = Language
settings-language-auto = as the system ({ $lang })
settings-you = Your details for rights letters
settings-you-note = Kept in the settings file on this computer; Hold Guard sends them nowhere.
settings-name = Name
settings-address = Address
settings-email = E-mail
settings-phone = Phone number
settings-no-devices = cannot list devices: { $error }
settings-save = Save
settings-revert = Revert
settings-refresh = Refresh devices
settings-saved = Saved.
settings-saved-restart = Saved; the guard restarted with the new settings.
settings-not-saved = Not saved: { $error }
settings-file = Settings file: { $path }
settings-no-home = no home folder to keep settings in
settings-no-autostart = no home folder for the autostart entry

## Log page
log-no-journal = no home folder, so no journal
log-bad-date = { $what } "{ $value }" is not a date: use YYYY-MM-DD
log-from = From
log-to = to
log-utc = (UTC)
log-date-hint = YYYY-MM-DD
log-clear = Clear
log-week = On hold { $hold } this week, microphone muted for { $muted }
log-journal-warning = journal: { $warning }
log-calls = { $n ->
    [one] { $n } call
   *[other] { $n } calls
}
log-intervals = { $n ->
    [one] { $n } interval
   *[other] { $n } intervals
}
log-shown = Shown: { $calls }, on hold { $hold }, muted { $muted } in { $intervals }
log-all-shown = all shown
log-ticked = ticked calls
log-export-csv = Export CSV
log-export-json = Export JSON
log-exported = Exported { $intervals } ({ $what }) to { $path }
log-not-exported = Not exported: { $error }
log-nothing = nothing to export
log-delete = Delete…
log-deleted = Deleted.
log-not-deleted = Not deleted: { $error }
log-empty = No muted intervals yet.
log-call = Call { $time }: on hold { $hold }, muted { $muted }
log-call-named = Call { $time } — { $name }: on hold { $hold }, muted { $muted }
log-name = Name…
log-rights = Your rights…
log-start = Start
log-end = End
log-duration = Duration
log-reason = Reason
log-ended-by = Ended by
log-per-week = Per week
log-week-of = Week of { $week }: on hold { $hold }, muted { $muted }
log-letter-made = { $what } of { $date }
log-letter-due = { $what } of { $date }: answer due { $due }
log-letter-passed = { $what } of { $date }: the answer was due { $due }, passed
log-company = Company
log-number = Number or address
log-note = Note
log-save-name = Save name
log-cancel = Cancel
log-not-saved = Not saved: { $error }
log-delete-title = Delete from the log?
log-delete-what = { $intervals } of { $calls } will be removed from the journal. This cannot be undone.
log-delete-confirm = Delete

## Rights letters (window)
letter-title = Your rights after this call
letter-access = Access request (art. 15)
letter-erase = Erasure request (art. 17)
letter-object = Objection (art. 21)
letter-complaint = Complaint to the AP (art. 77)
letter-to-hint = privacy@company.example
letter-to = To
letter-you-missing = Your name and address are not set: fill the [brackets], or set them in Settings.
letter-copy = Copy
letter-copied = Copied.
letter-save = Save as text
letter-saved = Saved to { $path }
letter-mail = Open in e-mail
letter-mailed = Opened in your e-mail program; Hold Guard sends nothing itself.
letter-close = Close
letter-not-done = Not done: { $error }
letter-gone = this call is no longer in the log
letter-no-request = A complaint follows a request the company left unanswered: make an access, erasure or objection letter for this call first.
letter-no-opener = cannot start the desktop's opener: { $error }

## Tray and notifications
tray-tooltip = Hold Guard: { $line }
tray-last-change = last change: { $reason }
tray-mute = Mute microphone
tray-unmute = Unmute microphone
tray-pause = Pause guarding
tray-open = Open window
tray-quit = Quit Hold Guard
notify-agent-back = The agent is back
notify-agent-back-body = Someone is speaking on your call: Hold Guard reopened your microphone.

## Command line reports
cli-already-running = Hold Guard is already running (process { $pid }); its window was brought forward
cli-log-empty = No muted intervals in { $path }.
cli-log-zone = Times in { $zone }.
cli-log-call = call { $time }{ $name } ({ $id }): on hold { $hold }, muted { $muted } in { $intervals }
cli-log-note = note: { $note }
cli-log-letter = letter: { $kind } ({ $lang }) of { $date }
cli-log-letter-due = letter: { $kind } ({ $lang }) of { $date }, answer due { $due }
cli-log-letter-passed = letter: { $kind } ({ $lang }) of { $date }, answer was due { $due }: passed
cli-log-total = total: { $calls }, on hold { $hold }, microphone muted { $muted }
cli-label-call = call { $id }
cli-letter-you-missing = your name or address is not set: fill the [brackets], or set them under [you] in the settings (name, address, email, phone)
cli-letter-early = the company has until { $due } to answer your request of { $sent }; a complaint is for when that has passed
