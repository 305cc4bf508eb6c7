//! Every number the policy is tuned with, in one place.
//!
//! Durations are in seconds, levels in dB, and the classifier is read through probabilities and
//! shares of a window — never through counts of hops, whose length the engine chooses. [`Hops`]
//! converts the durations once, for the hop length the guard is fed at (16 ms today, where every
//! duration below is a whole number of hops, so the conversion is exact).
//!
//! The timings a user (or `eval --guard`) may change are [`super::GuardConfig`]; these are the
//! policy's own. Where a value was chosen on measurements, its note says on what.

/// The policy's own tuning: see [`TUNING`] for the values in force.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    // Reading the classifier, hop by hop.
    /// A far-end hop that sounds is speech when the speech probability (clean or over music)
    /// exceeds this.
    pub speech_p: f32,
    /// A far-end hop that sounds is clear music when the music probability reaches this.
    pub music_p: f32,
    /// A hop is silence when the silence probability exceeds this.
    pub silence_p: f32,
    /// The far end takes part in a turn when silence and tone together stay under this.
    pub sounding_p: f32,
    /// How much speech over music counts as music in the hold-music measure.
    pub over_music_as_music: f32,
    /// The look-back of the per-hop flags, "the last second" of the rules below (s).
    pub window_s: f64,
    /// Far-end (clean) speech is present when it held [`Self::presence_share`] of this
    /// look-back (s): clicks do not count.
    pub presence_s: f64,
    /// Music is present when it held [`Self::presence_share`] of this look-back (s).
    pub music_presence_s: f64,
    pub presence_share: f64,
    /// Time constant of the fast music and speech averages (s): a tenth of the way to the new
    /// value per 16-ms hop, about 150 ms.
    pub fast_tau_s: f64,

    // Holds and their music.
    /// A reopening followed by a new music mute within this long (s) belongs to the same hold.
    pub episode_gap_s: f64,
    /// Clear music of the last second that marks a queue's music starting during a silent hold
    /// (s). Comfort noise and clicks reach 0.064 s at most on the dev calls; a music start
    /// reaches 0.19 s before its first sung or spoken word.
    pub music_start_s: f64,
    /// Silence of the last second a silent hold needs (s): a far end that sounds (a voice heard
    /// as music, which the return rule keeps from muting) is no silent hold, however long it
    /// lacks speech.
    pub silent_hold_quiet_s: f64,
    /// Nor is a far end that sounded this recently (s), clicks aside: a voice heard as music
    /// pauses for breath between sentences (0.4-0.8 s), and that pause, after seconds without
    /// "speech", looked like a silent hold. Held out by source (draw 0) this took live false mute
    /// from 95 to 72 s and changed nothing else; 1 s gave 80 s, 3 and 5 s the same as 2 s.
    pub silent_hold_still_s: f64,
    /// A silent hold with no far-end speech for this long before it (s) is the line before
    /// anyone answered (ringback, queue), not a pause in a conversation.
    pub no_conversation_s: f64,
    /// Music mutes only this long (s) after the last clean far-end speech: a voice the classifier
    /// hears as music for a moment mid-sentence must not mute a live call (and then have the
    /// agent's next words taken for the queue's greeting). Holds start after a pause (0.6-1.5 s
    /// on the dev calls), so a real hold hardly waits for it.
    pub clear_of_speech_s: f64,
    /// Sustained far-end talk, or the user answering it, this recent (s) means the call is in the
    /// middle of a conversation: music must then be confirmed over [`Self::mid_talk_factor`]
    /// times the usual time.
    pub mid_talk_s: f64,
    pub mid_talk_factor: usize,
    /// Clean far-end speech of the last second that makes sustained talk (s). A few speech-like
    /// blips at the start of hold music are not talk.
    pub talk_s: f64,

    // A person back on the line.
    /// A reopening that the far end backs with this much speech (s) within
    /// [`Self::return_check_s`] of it, or one for an answer to the user, is a person back.
    pub return_speech_s: f64,
    pub return_check_s: f64,
    /// For this long (s) after such a return, or after any exchange with the user, music mutes
    /// only when it also dominates the mid-conversation window and has run
    /// [`Self::return_music_run_s`] without a break. Held out (64 calls, draws 0 and 1 of
    /// `crossval --probs`), agents whose voices were heard as music were muted again within
    /// seconds of coming back; the return alone cut the live false mute from 193 to 157 s and the
    /// user's lost speech from 74 to 58 s, for 0.009 of hold coverage and no more leaked private
    /// talk (10 s gave less, 30 s and 3 s runs cost more coverage than they saved). Renewed by
    /// exchanges, mean of draws 0–2: 167 → 119 s and 66 → 45 s for another 0.001 (60 s gained
    /// 3 s more for 0.3 s of leak).
    pub return_guard_s: f64,
    pub return_music_run_s: f64,
    /// A reopening for speech that the music takes back this soon (s) was a mistake.
    pub flap_s: f64,
    /// Mistakes counted toward the longer run of speech a reopening then needs (at most three
    /// times the usual run).
    pub max_flaps: u32,
    /// The run of speech that reopens must fill this share of its look-back (the rest may be
    /// gaps between words).
    pub reopen_share: f64,

    // Conversation: the user and the far end taking turns.
    /// Two exchanges this close (s) make a conversation even when the classifier heard the far
    /// end's answers as music; one answer it heard as speech is enough.
    pub exchanges_s: f64,
    /// Far-end silence that ends its answering turn (s), all but [`Self::answer_end_slack_s`] of
    /// it silent.
    pub answer_end_s: f64,
    pub answer_end_slack_s: f64,
    /// The longest answering turn (s).
    pub answer_max_s: f64,
    /// Music heard without a break for this long (s) ends an answering turn: hold music that
    /// follows "one moment, please" without a pause. Held out, agents whose voices were heard as
    /// music ran 1.6 s without a break often enough to be muted mid-answer; 4 s cut the live
    /// false mute from 242 to 208 s (draw 0, 64 calls) and cost no hold coverage (a voice pauses
    /// before then; hold music does not).
    pub answer_music_s: f64,
    /// The user's voice this soon (s) after far-end speech is an answer.
    pub answer_gap_s: f64,
    /// A pause this short (s) inside the user's talk keeps it the same turn.
    pub turn_gap_s: f64,
    /// Seconds without music after which speech answered by the user is a conversation, not a
    /// queue's greeting: queues resume their music within a second of an announcement.
    pub conversing_s: f64,
    /// The user's turn is an answer when it starts this soon (s) after the far end last sounded.
    pub turn_answer_s: f64,
    /// The shortest turn (s of microphone activity, its 0.3 s hold-over included) that counts:
    /// shorter is a cough or a "hm".
    pub min_turn_s: f64,
    /// The far end may sound for at most this share of the user's turn: a person listens, music
    /// plays on.
    pub listen_share: f32,
    /// The far end must answer back this soon (s) after the user's turn ended.
    pub back_s: f64,
    /// The user's talk that resumes this soon (s) after a pause, with the far end quiet
    /// meanwhile, is the same turn.
    pub resume_s: f64,
    /// The far end sounds when it sounded for [`Self::sound_share`] of this look-back (s).
    pub sound_s: f64,
    pub sound_share: f64,
    /// The far end answers when it sounds for [`Self::answer_share`] of this look-back (s).
    pub answer_window_s: f64,
    pub answer_share: f64,

    // Judging far-end speech on hold.
    /// A voice begins when the far end had no speech for longer than this (s).
    pub voice_gap_s: f64,
    /// A candidate voice survives a lapse in its speech this short (s).
    pub candidate_grace_s: f64,
    /// The music has gone from under a voice when its fast average, or the bed's before the
    /// voice, is under this.
    pub music_gone_p: f32,
    /// How far clean speech must lead music (fast averages) to count while music lingers.
    pub speech_lead: f32,
    /// A held run (greeting or repeat) ends after this long without far-end speech (s).
    pub held_gap_s: f64,
    /// How long (s) a voice over a bed that did not duck for it waits for its print.
    pub over_bed_wait_s: f64,
    /// Seconds of live audio before a hold whose prints join the hold's memory.
    pub lead_in_s: f64,
    /// Prints of this long before the voice's first hop (s) join the query, and a match may sit
    /// this much further back (s).
    pub query_lead_s: f64,
    pub query_slack_s: f64,

    // The music bed's loudness: ducking and voices over it.
    /// The short loudness average (s): a syllable and its gap.
    pub loud_s: f64,
    /// Short loudness kept (s): the second before a voice, where a duck would show.
    pub loud_history_s: f64,
    /// Time constant of the bed's usual loudness (s): half a percent of the way per 16-ms hop,
    /// about three seconds of memory.
    pub bed_tau_s: f64,
    /// Music held this share of the last second before a voice for the voice to come into a duck.
    pub bed_share: f64,
    /// How far (dB) the music must have dropped under its usual level just before a voice for the
    /// voice to count as a recorded one: producers duck the bed to make room for an
    /// announcement, a live agent's line does not.
    pub duck_db: f32,
    /// How far (dB) a voice must lift the level above the bed's usual loudness to count as a new
    /// source over it rather than the music itself heard as speech.
    pub rise_db: f32,
    /// Before a voice, the look-back (s) in which a stopped hold shows its silence (more than
    /// [`Self::gap_silence_max_s`] of it): the dev calls' agents speak 0.1–0.6 s after the music
    /// stops, a ducked bed plays on under the announcement.
    pub gap_window_s: f64,
    pub gap_silence_max_s: f64,
    /// How far back (s) from a confirmed voice the short loudness ends where the voice began.
    pub duck_lead_s: f64,

    // Lost packets.
    /// The longest silence (s) in the middle of music that may be a burst of lost packets rather
    /// than the music stopping. Lossy lines drop 20 ms frames in bursts of up to 180 ms on the dev
    /// calls; the sound after such a burst is the same music, but its first quarter second,
    /// judged with the hole in its context, can sound like speech.
    pub dropout_s: f64,
    /// Music held [`Self::music_before_gap_share`] of this look-back (s) before a silence for
    /// the silence to be a hole in it.
    pub music_before_gap_s: f64,
    pub music_before_gap_share: f64,
    /// A voice confirmed this soon (s) after such a hole ends came out of it: far-end speech is
    /// confirmed 4–8 hops after its first speech hop.
    pub dropout_lead_s: f64,
}

/// The tuning in force.
pub const TUNING: Tuning = Tuning {
    speech_p: 0.5,
    music_p: 0.5,
    silence_p: 0.5,
    sounding_p: 0.5,
    over_music_as_music: 0.5,
    window_s: 1.024,
    presence_s: 0.128,
    music_presence_s: 0.256,
    presence_share: 0.5,
    // -0.016 / ln(0.9): exactly a tenth per 16-ms hop.
    fast_tau_s: 0.151_859_545_296_478_5,

    episode_gap_s: 15.0,
    music_start_s: 0.128,
    silent_hold_quiet_s: 0.768,
    silent_hold_still_s: 2.0,
    no_conversation_s: 20.0,
    clear_of_speech_s: 0.4,
    mid_talk_s: 1.0,
    mid_talk_factor: 2,
    talk_s: 0.384,

    return_speech_s: 1.0,
    return_check_s: 2.0,
    return_guard_s: 20.0,
    return_music_run_s: 1.0,
    flap_s: 5.0,
    max_flaps: 2,
    reopen_share: 2.0 / 3.0,

    exchanges_s: 30.0,
    answer_end_s: 0.512,
    answer_end_slack_s: 0.032,
    answer_max_s: 20.0,
    answer_music_s: 4.0,
    answer_gap_s: 3.0,
    turn_gap_s: 2.0,
    conversing_s: 4.0,
    turn_answer_s: 2.5,
    min_turn_s: 0.6,
    listen_share: 0.3,
    back_s: 2.0,
    resume_s: 1.5,
    sound_s: 0.128,
    sound_share: 0.625,
    answer_window_s: 0.256,
    answer_share: 0.75,

    voice_gap_s: 0.032,
    candidate_grace_s: 0.3,
    music_gone_p: 0.2,
    speech_lead: 0.4,
    held_gap_s: 1.0,
    over_bed_wait_s: 0.6,
    lead_in_s: 30.0,
    query_lead_s: 0.096,
    query_slack_s: 0.064,

    loud_s: 0.256,
    loud_history_s: 1.024,
    // -0.016 / ln(0.995): exactly half a percent per 16-ms hop.
    bed_tau_s: 3.191_993_316_613_698,
    bed_share: 0.5,
    duck_db: 10.0,
    rise_db: 6.0,
    gap_window_s: 0.32,
    gap_silence_max_s: 0.032,
    duck_lead_s: 0.192,

    dropout_s: 0.192,
    music_before_gap_s: 0.512,
    music_before_gap_share: 0.5,
    dropout_lead_s: 0.25,
};

/// The most hops a per-hop flag history holds (its bit ring's width).
pub const MAX_WINDOW_HOPS: u32 = 128;

/// The durations of a [`Tuning`] in hops of one length, and its time constants as per-hop
/// smoothing factors.
#[derive(Clone, Debug)]
pub struct Hops {
    pub window: u32,
    pub presence: u32,
    pub presence_need: u32,
    pub music_presence: u32,
    pub music_presence_need: u32,
    pub music_start: u32,
    pub silent_hold_quiet: u32,
    pub talk: u32,
    pub answer_end: u32,
    pub answer_end_slack: u32,
    pub bed_share: u32,
    pub gap_window: u32,
    pub gap_silence_max: u32,
    pub duck_lead: u64,
    pub dropout: u32,
    pub music_before_gap: u32,
    pub music_before_gap_need: u32,
    pub sound: u32,
    pub sound_need: u32,
    pub answer_window: u32,
    pub answer_need: u32,
    pub query_lead: usize,
    pub query_slack: usize,
    pub loud: usize,
    pub loud_history: usize,
    pub fast: f32,
    pub bed: f32,
}

impl Hops {
    /// Converts `t` for hops of `hop_s` seconds; look-backs longer than the flag history holds
    /// are cut to it (hops of 8 ms or longer fit the second the rules look back).
    pub fn new(t: &Tuning, hop_s: f64) -> Self {
        let n = |s: f64| ((s / hop_s).round().max(1.0) as u32).min(MAX_WINDOW_HOPS);
        let window = n(t.window_s);
        let share = |share: f64, of: u32| (share * of as f64).round() as u32;
        let (sound, answer_window) = (n(t.sound_s), n(t.answer_window_s));
        let (presence, music_presence) = (n(t.presence_s), n(t.music_presence_s));
        let music_before_gap = n(t.music_before_gap_s);
        let smoothing = |tau: f64| (1.0 - (-hop_s / tau).exp()) as f32;
        Self {
            window,
            presence,
            presence_need: share(t.presence_share, presence),
            music_presence,
            music_presence_need: share(t.presence_share, music_presence),
            music_start: n(t.music_start_s),
            silent_hold_quiet: n(t.silent_hold_quiet_s),
            talk: n(t.talk_s),
            answer_end: n(t.answer_end_s),
            answer_end_slack: (t.answer_end_slack_s / hop_s).round() as u32,
            bed_share: share(t.bed_share, window),
            gap_window: n(t.gap_window_s),
            gap_silence_max: (t.gap_silence_max_s / hop_s).round() as u32,
            duck_lead: n(t.duck_lead_s) as u64,
            dropout: n(t.dropout_s),
            music_before_gap,
            music_before_gap_need: share(t.music_before_gap_share, music_before_gap),
            sound,
            sound_need: share(t.sound_share, sound),
            answer_window,
            answer_need: share(t.answer_share, answer_window),
            query_lead: (t.query_lead_s / hop_s).round() as usize,
            query_slack: (t.query_slack_s / hop_s).round() as usize,
            loud: n(t.loud_s) as usize,
            loud_history: n(t.loud_history_s) as usize,
            fast: smoothing(t.fast_tau_s),
            bed: smoothing(t.bed_tau_s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_16_ms_every_duration_is_a_whole_number_of_hops() {
        let h = Hops::new(&TUNING, 0.016);
        assert_eq!(
            (h.window, h.presence, h.music_presence, h.music_start),
            (64, 8, 16, 8)
        );
        assert_eq!((h.silent_hold_quiet, h.talk, h.answer_end), (48, 24, 32));
        assert_eq!((h.gap_window, h.duck_lead, h.dropout), (20, 12, 12));
        assert_eq!((h.loud, h.loud_history, h.music_before_gap), (16, 64, 32));
        assert_eq!(
            (
                h.presence_need,
                h.music_presence_need,
                h.music_before_gap_need
            ),
            (4, 8, 16)
        );
        assert_eq!(
            (h.sound, h.sound_need, h.answer_window, h.answer_need),
            (8, 5, 16, 12)
        );
        assert_eq!((h.fast, h.bed), (0.1, 0.005));
    }

    #[test]
    fn shorter_hops_keep_the_durations_within_the_flag_history() {
        let h = Hops::new(&TUNING, 0.008);
        assert_eq!((h.window, h.presence, h.talk), (128, 16, 48));
        let h = Hops::new(&TUNING, 0.001);
        assert_eq!(h.window, MAX_WINDOW_HOPS);
        assert!(h.fast > 0.0 && h.fast < 0.1);
    }
}
