//! The app's words in Dutch and English.
//!
//! Every string people read in the window, tray, tooltip, notifications and the CLI's reports
//! comes from the Fluent files `assets/i18n/{en,nl}/holdguard.ftl` (Project Fluent, through
//! `fluent-bundle`), looked up by key with [`t`] or [`tr!`](crate::tr). Both bundles are built
//! once; the language in use is an atomic, so Settings can switch it while the window is open and
//! the guard thread formats its status lines without a lock. The language comes from the settings
//! (`language = "nl"`), else from the system locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).
//!
//! A key missing from a bundle shows as the key itself (never a panic); the tests check that both
//! files have the same keys and that every key the code uses exists.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::FluentResource;
pub use fluent_bundle::{FluentArgs, FluentValue};
use serde::{Deserialize, Serialize};

/// A language Hold Guard speaks.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Nl,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Nl];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
        }
    }

    /// The language's own name ("Nederlands"), for pickers.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Nl => "Nederlands",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    /// From a locale such as `nl_NL.UTF-8` or `en`; anything but Dutch is English.
    pub fn from_locale(locale: &str) -> Self {
        if locale.to_ascii_lowercase().starts_with("nl") {
            Lang::Nl
        } else {
            Lang::En
        }
    }

    /// The user's language from `LC_ALL`, `LC_MESSAGES` or `LANG`, in that order, as the C
    /// library reads them.
    pub fn from_env() -> Self {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map(|v| Self::from_locale(&v))
            .unwrap_or(Lang::En)
    }

    /// The setting's language: `en` or `nl`, or the system's for anything else (`auto`).
    pub fn from_setting(setting: &str) -> Self {
        Self::from_code(setting).unwrap_or_else(Self::from_env)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../assets/i18n/en/holdguard.ftl"),
            Lang::Nl => include_str!("../assets/i18n/nl/holdguard.ftl"),
        }
    }
}

static CURRENT: AtomicU8 = AtomicU8::new(u8::MAX);

/// Sets the language of everything shown from now on.
pub fn set(lang: Lang) {
    CURRENT.store(lang as u8, Ordering::Relaxed);
}

/// The language in use: as [`set`], else the system's.
pub fn current() -> Lang {
    match CURRENT.load(Ordering::Relaxed) {
        0 => Lang::En,
        1 => Lang::Nl,
        _ => {
            let l = Lang::from_env();
            set(l);
            l
        }
    }
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    static B: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    B.get_or_init(|| Lang::ALL.map(build))
}

fn build(lang: Lang) -> FluentBundle<FluentResource> {
    let id = lang.code().parse().expect("a language code parses");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: egui and terminals would show them.
    b.set_use_isolating(false);
    // The files are ours and tested (`every_key_the_code_uses_exists_in_both_languages`): a
    // syntax error would be caught there, and the entries that do parse still load.
    let res = FluentResource::try_new(lang.source().to_string()).unwrap_or_else(|(res, _)| res);
    let _ = b.add_resource(res);
    b
}

/// The text of `key` in `lang`, with `args` filled in; the key itself if it is missing.
pub fn t_in(lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
    let bundle = &bundles()[lang as usize];
    let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
        return key.to_string();
    };
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, args, &mut errors)
        .into_owned()
}

/// The text of `key` in the current language.
pub fn t(key: &str) -> String {
    t_in(current(), key, None)
}

/// The text of `key` in the current language with `args` filled in.
pub fn t_args(key: &str, args: &FluentArgs) -> String {
    t_in(current(), key, Some(args))
}

/// A journal reason (`hold_music`, `call ended`) in words; unknown ones as they are, without
/// underscores.
pub fn reason(r: &str) -> String {
    named("reason-", r)
}

/// A far-end class name (`speech_over_music`) in words.
pub fn class(name: &str) -> String {
    named("class-", name)
}

fn named(prefix: &str, name: &str) -> String {
    let key = format!("{prefix}{}", name.replace(' ', "_"));
    let s = t(&key);
    if s == key {
        name.replace('_', " ")
    } else {
        s
    }
}

/// `tr!("key")` or `tr!("key", name = value, …)`: the text of a Fluent message in the current
/// language.
#[macro_export]
macro_rules! tr {
    ($key:expr) => {
        $crate::i18n::t($key)
    };
    ($key:expr, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::FluentArgs::new();
        $(args.set(stringify!($name), $crate::i18n::FluentValue::from($value));)+
        $crate::i18n::t_args($key, &args)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(src: &str) -> BTreeSet<String> {
        src.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap().trim().to_string())
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_keys_and_parse() {
        let (en, nl) = (keys(Lang::En.source()), keys(Lang::Nl.source()));
        assert!(en.len() > 100, "{}", en.len());
        let only_en: Vec<_> = en.difference(&nl).collect();
        let only_nl: Vec<_> = nl.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_nl.is_empty(),
            "only English: {only_en:?}; only Dutch: {only_nl:?}"
        );
        for lang in Lang::ALL {
            if let Err((_, errors)) = FluentResource::try_new(lang.source().to_string()) {
                panic!("{lang:?}: {errors:?}");
            }
        }
    }

    /// Every `tr!("key"` and `t("key"` in the sources names a message of both files.
    #[test]
    fn every_key_the_code_uses_exists_in_both_languages() {
        let en = keys(Lang::En.source());
        let mut missing = Vec::new();
        let mut used = 0;
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                for pat in ["tr!(\"", "t(\"", "t_in(lang, \""] {
                    for (i, _) in text.match_indices(pat) {
                        // A call of `t`, not the end of `get` or `set`.
                        let before = text[..i].chars().next_back().unwrap_or(' ');
                        if before.is_alphanumeric() || before == '_' || before == '.' {
                            continue;
                        }
                        let rest = &text[i + pat.len()..];
                        let key = &rest[..rest.find('"').unwrap()];
                        if key == "key" {
                            continue;
                        }
                        used += 1;
                        if !en.contains(key) {
                            missing.push(format!("{}: {key}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(used > 100, "{used} keys used");
        assert!(
            missing.is_empty(),
            "keys missing from the .ftl files: {missing:?}"
        );
    }

    #[test]
    fn arguments_and_plurals_are_filled() {
        let mut a = FluentArgs::new();
        a.set("n", 1);
        assert_eq!(t_in(Lang::En, "log-calls", Some(&a)), "1 call");
        a.set("n", 3);
        assert_eq!(t_in(Lang::Nl, "log-calls", Some(&a)), "3 gesprekken");
        assert_eq!(t_in(Lang::Nl, "no-such-key", None), "no-such-key");
        assert_eq!(named("reason-", "something_new"), "something new");
        assert_eq!(Lang::from_setting("nl"), Lang::Nl);
        assert_eq!(Lang::from_locale("nl_BE.UTF-8"), Lang::Nl);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
    }
}
