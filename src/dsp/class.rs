//! The classes the far end is heard as, and their probabilities for one hop.

/// What the far end is playing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Line silence or comfort noise.
    Silence,
    /// Call-progress tones: ringback, busy, DTMF, SIT, recording beeps.
    Tone,
    /// Music on its own.
    Music,
    /// Speech on its own.
    Speech,
    /// Speech over a music bed.
    SpeechOverMusic,
}

/// Number of classes.
pub const N_CLASSES: usize = 5;

impl Class {
    /// All classes, in model output order.
    pub const ALL: [Class; N_CLASSES] = [
        Class::Silence,
        Class::Tone,
        Class::Music,
        Class::Speech,
        Class::SpeechOverMusic,
    ];

    /// Index in the model output.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Short name for logs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Class::Silence => "silence",
            Class::Tone => "tone",
            Class::Music => "music",
            Class::Speech => "speech",
            Class::SpeechOverMusic => "speech_over_music",
        }
    }
}

/// Class probabilities for one hop.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Probs(pub [f32; N_CLASSES]);

impl Probs {
    /// Probability of one class.
    pub fn get(&self, c: Class) -> f32 {
        self.0[c.index()]
    }
    /// The most likely class.
    pub fn best(&self) -> Class {
        let mut best = 0;
        for i in 1..N_CLASSES {
            if self.0[i] > self.0[best] {
                best = i;
            }
        }
        Class::ALL[best]
    }
    /// Probability that someone is speaking, with or without music.
    pub fn speech(&self) -> f32 {
        self.get(Class::Speech) + self.get(Class::SpeechOverMusic)
    }
}
