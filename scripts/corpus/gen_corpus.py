#!/usr/bin/env python3
"""Deterministic generator of simulated phone calls for evaluating a hold-mute guard.

Every scenario is built from real recordings (Asterisk IVR/queue prompts recorded by
voice talents, real music-on-hold and game-soundtrack music, conversational speech shipped
in PyPI packages) plus tones/noise, run through a simulated telephone channel.

    python3 tools/gen_corpus.py --set dev     --out corpus/dev      (seed 1001)
    python3 tools/gen_corpus.py --set train   --out corpus/train    (seed 3003, 48 calls: 16 templates x 3 variants)
    python3 scripts/corpus/gen_corpus.py --set extra --out corpus/extra --src SRC
                                                          (seed 5005, 48 calls from NEW sources only; see README.md)
    python3 scripts/corpus/gen_corpus.py --set fresh --out corpus/fresh --src SRC
                                                          (seed 7007, 48 calls from sources no other set uses)

Outputs per scenario: NAME.far.wav, NAME.mic.wav, NAME.json (labels), and per set
MANIFEST.md / MANIFEST.json. Same seed + same sources => same files.
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import tempfile

import numpy as np
import soundfile as sf
from scipy.signal import butter, fftconvolve, resample_poly, sosfiltfilt

FS = 24000  # internal rate of the far-end mix (wideband codecs see up to 12 kHz)
SND = "/usr/share/asterisk/sounds"
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SRC = os.path.join(os.path.dirname(HERE), "sources")
GEN_VERSION = "1.0"

# ----------------------------------------------------------------------------- sources

ASTERISK_SPEAKERS = {
    # id: (dir, ext, language, package, license, talent)
    "allison_en": (f"{SND}/en_US_f_Allison", "wav", "en-US", "asterisk-core-sounds-en-wav", "CC-BY-SA-3.0", "Allison Smith (f)"),
    "allison_es": (f"{SND}/es_MX_f_Allison", "wav", "es-MX", "asterisk-core-sounds-es-wav", "CC-BY-SA-3.0", "Allison Smith (f)"),
    "carlo_it": (f"{SND}/it_IT_m_Carlo", "wav", "it-IT", "asterisk-core-sounds-it-wav", "CC-BY-3.0", "Carlo Flora (m)"),
    "menardi_it": (f"{SND}/it_IT_f_Menardi", "wav", "it-IT", "asterisk-prompt-it-menardi-wav", "CC-BY-SA-3.0-IT (+LGPL packaging)", "Menardi (f)"),
    "july_es_co": (f"{SND}/es", "gsm", "es-CO", "asterisk-prompt-es-co", "GPL-2", "July E. Jimenez (f)"),
}

# Voices given as lists of real recorded lines (game voice acting, tutorial narration).
# id: (glob patterns, language, package, license, talent)
FIL = "/usr/share/games/fillets-ng/sound"
FILE_VOICES = {
    # TRAIN sources (shared with developers through the train set)
    "fil_cs_small": ([f"{FIL}/*/cs/*-m-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: small fish"),
    "fil_cs_big": ([f"{FIL}/*/cs/*-v-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: big fish"),
    "fil_cs_hs": ([f"{FIL}/*/cs/*-hs-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: character 'hs'"),
    "fil_cs_x": ([f"{FIL}/*/cs/*-x-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: character 'x'"),
    "fil_en_elk": ([f"{FIL}/elk/en/*.ogg"], "en", "fillets-ng-data", "GPL-2+", "Fish Fillets NG English NPC: elk"),
    "fil_en_viking": ([f"{FIL}/viking1/en/*.ogg"], "en", "fillets-ng-data", "GPL-2+", "Fish Fillets NG English NPC: viking"),
}

# EXTRA sources (set "extra" only; none of them is used by dev or train). "{src}" = the --src folder.
# Talent = the person as credited by the package (Tux Paint changelog), else the character (speaker not credited).
TUX = "/usr/share/tuxpaint/stamps"


def _tux(lang):
    return [TUX + "/*" * d + f"/*_desc_{lang}.ogg" for d in range(1, 6)]


_TUXCL = "tuxpaint-stamps-default (spoken stamp descriptions)"
_TUXNOTE = "; credited in the tuxpaint-stamps changelog, not verified by listening"
FILE_VOICES.update({
    "tux_fr": (_tux("fr"), "fr", _TUXCL, "GPL-2", "Tux Paint French descriptions: Jacques Chion and/or PaulK" + _TUXNOTE),
    "tux_ro": (_tux("ro"), "ro", _TUXCL, "GPL-2", "Tabbytha (Tux Paint Romanian descriptions" + _TUXNOTE + ")"),
    "tux_ru": (_tux("ru"), "ru", _TUXCL, "GPL-2", "Edwin Veber (Tux Paint Russian descriptions" + _TUXNOTE + ")"),
    "tux_bg": (_tux("bg"), "bg", _TUXCL, "GPL-2", "Krasimir Petkov (Tux Paint Bulgarian descriptions" + _TUXNOTE + ")"),
    "tux_es": (_tux("es"), "es", _TUXCL, "GPL-2", "Estefania Ortiz (Tux Paint Spanish descriptions" + _TUXNOTE + ")"),
    "tux_el": (_tux("el"), "el", _TUXCL, "GPL-2", "Kiriaki Serafeim (Tux Paint Greek descriptions" + _TUXNOTE + ")"),
    "tux_be": (_tux("be"), "be", _TUXCL, "GPL-2", "Ksenya Buraya (Tux Paint Belarusian descriptions" + _TUXNOTE + ")"),
    "tux_ca": (_tux("ca"), "ca", _TUXCL, "GPL-2", "Pere Pujal Carabantes (Tux Paint Catalan descriptions" + _TUXNOTE + ")"),
    "wz_tutorial": (["{src}/extra/wz2100/audio/tutorial/*.ogg"], "en", "warzone2100-data (base.wz audio/tutorial)", "GPL-2+",
                    "Warzone 2100 tutorial narrator (voice actor not credited)"),
    "wz_briefing": (["{src}/extra/wz2100/sequenceaudio/*.ogg", "{src}/extra/wz2100/sequenceaudio/*/*.ogg"], "en",
                    "warzone2100-data (base.wz sequenceaudio)", "GPL-2+",
                    "Warzone 2100 campaign briefing narration (voice actor(s) not credited)", 14.0),
    "librivox_ss": (["{src}/extra/librivox/*.wav"], "en", "PyPI pocketsphinx==5.1.1 sdist (test/data/librivox)", "public domain (LibriVox)",
                    "LibriVox reader of 'Sense and Sensibility' ch. 1 (reader not named in the sdist)", 9.0),
    "fil_cs_kd": ([f"{FIL}/briefcase/cs/kd-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+",
                  "Fish Fillets NG Czech cast: briefcase tape voice ('kd')", 14.0),
    "fil_cs_r": ([f"{FIL}/corridor/cs/ch-r-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: character 'r' (corridor)"),
    "fil_cs_leb": ([f"{FIL}/captain/cs/vl-leb-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: skull 'leb' (captain)", 14.0),
    "fil_cs_pap": ([f"{FIL}/cabin1/cs/k1-pap-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: parrot 'pap' (cabin)"),
    "fil_cs_lx1": ([f"{FIL}/linux/cs/1-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: character '1' (linux level)"),
    "fil_cs_lx2": ([f"{FIL}/linux/cs/2-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: character '2' (linux level)"),
    "fil_cs_vik3": ([f"{FIL}/viking2/cs/dr-3-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: viking '3' (drakkar)"),
    "fil_cs_vik4": ([f"{FIL}/viking2/cs/dr-4-*.ogg"], "cs-CZ", "fillets-ng-data-cs", "GPL-2+", "Fish Fillets NG Czech cast: viking '4' (drakkar)"),
})

# Real singing for the "music with a voice layer" case (set "extra"). kind: "song" = a sung recording with its own
# accompaniment (excerpts are mixed into the instrumental bed as they are), "a_cappella" = solo voice (mixed in with
# reverb, like the speech proxy), "phrases" = short sung exclamations strung into a line (a cappella, with reverb).
_GCM = "{src}/extra/gcompris/gcompris/src/activities/explore_world_music/resource/music"
SUNG_VOICES = {
    # id: (files, language, package, license, talent, kind, description)
    "sung_caruso": ([f"{_GCM}/italy.ogg"], "it", "gcompris-qt-data (explore_world_music.rcc: italy.ogg)", "public domain",
                    "Enrico Caruso (tenor)", "song", "Handel 'Ombra mai fu' sung by Enrico Caruso (historic recording, orchestra)"),
    "sung_safiye_ayla": ([f"{_GCM}/middleeast.ogg"], "tr", "gcompris-qt-data (explore_world_music.rcc: middleeast.ogg)", "public domain",
                         "Safiye Ayla (singer)", "song", "'Katibim (Uskudar'a gider iken)' sung by Safiye Ayla (historic recording)"),
    "sung_mariachi": ([f"{_GCM}/mexico.ogg"], "es", "gcompris-qt-data (explore_world_music.rcc: mexico.ogg)", "public domain",
                      "Mariachi Mexico de Pepe Villa (singers)", "song", "Mexican national anthem by Mariachi Mexico de Pepe Villa"),
    "sung_vocadito10": (["{src}/extra/vocadito/vocadito_10.wav"], "?", "PyPI basic-pitch==0.4.0 sdist (tests/resources, vocadito dataset)",
                        "CC-BY-4.0 (vocadito dataset, upstream; the sdist is Apache-2.0)", "vocadito track 10 singer (not named)",
                        "a_cappella", "solo singing (vocadito track 10)"),
    "sung_vocadito14": (["{src}/extra/vocadito/vocadito_14.wav"], "?", "PyPI basic-pitch==0.4.0 sdist (tests/resources, vocadito dataset)",
                        "CC-BY-4.0 (vocadito dataset, upstream; the sdist is Apache-2.0)", "vocadito track 14 singer (not named)",
                        "a_cappella", "solo singing (vocadito track 14)"),
    "sung_hw_singer": (["/usr/share/games/hedgewars/Data/Sounds/voices/Singer/*.ogg"], "en", "hedgewars-data (Sounds/voices/Singer)",
                       "GFDL-1.3", "Hedgewars 'Singer' voice pack (performer not credited)", "phrases",
                       "sung exclamations of the Hedgewars 'Singer' voice pack strung into a line"),
}

# FRESH sources (set "fresh" only; no other set uses them). Flight of the Amazon Queen (1995, English cast not
# credited): one voice id per character, lines carved from queen.1c by fotaq_extract.py into {src}/fresh/fotaq/CHAR/.
# Characters with >= 50 s of dialogue; "F0" = median pitch measured in newsrc/FINDINGS.md (sex is a guess from it).
_FQ = "Flight of the Amazon Queen (Debian flight-of-the-amazon-queen 1.0.0-9, queen.1c dialogue)"
_FQLIC = "Flight-of-the-Amazon-Queen-License (free redistribution; see its copyright)"
_FQNOTE = "; 1995 English voice cast, actors not credited: FOTAQ characters may share actors"
for _c, _desc in [("JOE", "Joe King, the pilot hero (player character; dialogue + look-at descriptions), m, F0 ~128 Hz"),
                  ("BOB", "Bob, m, F0 ~126 Hz"), ("TAM", "Tam, f?, F0 ~186 Hz"), ("SPARKY", "Sparky, F0 ~170 Hz"),
                  ("JIM", "Jim, m, F0 ~80 Hz"), ("CHIEF", "the Chief, F0 ~165 Hz"), ("WITCH", "the Witch, f, F0 ~190 Hz"),
                  ("FAYE", "Faye Russell, f, F0 ~202 Hz"), ("BUD", "Bud, m, F0 ~103 Hz"), ("SEC", "the Secretary, f, F0 ~219 Hz"),
                  ("APE", "the Ape, m, F0 ~137 Hz"), ("NAOMI", "Naomi, f, F0 ~200 Hz"), ("LOU", "Lou, F0 ~178 Hz"),
                  ("HENRY", "Henry, m, F0 ~112 Hz"), ("LARIS", "Laris, m, F0 ~144 Hz"), ("FRANK", "Frank, m, F0 ~83 Hz"),
                  ("MAN", "'Man' (.DOG MAN), F0 ~158 Hz"), ("PRIN", "the Princess, f, F0 ~219 Hz"),
                  ("KLUNK", "Klunk, m, F0 ~70 Hz"), ("IAN", "Ian, m, F0 ~124 Hz"), ("LOLA", "Lola, f, F0 ~200 Hz")]:
    FILE_VOICES["fotaq_" + _c.lower()] = ([f"{{src}}/fresh/fotaq/{_c}/*.mp3"], "en", _FQ, _FQLIC,
                                          f"FOTAQ character {_c}: {_desc}{_FQNOTE}")
FILE_VOICES["tux_da"] = (_tux("da"), "da", _TUXCL, "GPL-2",
                         "Joe Hansen (Tux Paint Danish descriptions" + _TUXNOTE + ")")

ANNOUNCE_NAMES = ["queue-periodic-announce", "queue-thankyou", "all-circuits-busy-now",
                  "pls-hold-while-try", "tt-allbusy"]
IVR_NAMES = ["basic-pbx-ivr-main", "dir-welcome", "dir-intro", "vm-options", "vm-opts",
             "vm-instructions", "demo-instruct", "demo-congrats", "privacy-prompt",
             "conf-usermenu", "vm-intro", "dir-instr", "vm-advopts", "vm-msginstruct",
             "vm-toforward", "conf-adminmenu"]
EXCLUDE_AGENT = ["beep", "tone", "silence", "tt-monkeys", "queue-", "dictate", "hello-world"]

ESPEAK_TEXT = {
    "en_agent": [
        "Hi, thanks for holding, this is Jordan from customer care. How can I help you today?",
        "Okay, let me pull up your account. Could you confirm your date of birth for me?",
        "Thank you. I can see the order here, it shipped on Monday.",
        "Hmm, it looks like there was a delay at the warehouse.",
        "I can offer you a replacement or a full refund, whichever you prefer.",
        "Alright, I have processed that for you, you should get an email in a few minutes.",
        "Is there anything else I can help you with today?",
        "Perfect. Thanks for calling, and have a great day.",
        "Sorry about the wait, I am back with you now.",
        "Let me just double check that with my colleague.",
    ],
    "en_rehold": ["Let me check with my supervisor, one moment please."],
    "en_announce": [
        "Thank you for calling. All of our agents are currently assisting other customers. "
        "Your call is important to us. Please stay on the line, and the next available agent will be with you shortly."
    ],
    "en_ivr": [
        "Welcome to Northwind support. For billing, press one. For technical support, press two. "
        "For all other enquiries, please stay on the line.",
    ],
}

# pyannote sample.wav: regions where only one of the two speakers talks (from sample.rttm)
PYANNOTE_REGIONS = {
    "pyannote_s90": [(8.35, 9.92), (11.03, 14.49), (18.59, 21.49), (28.50, 30.0)],
    "pyannote_s91": [(14.70, 17.92), (21.78, 24.80), (24.80, 27.85)],
}


def music_catalog(src):
    moh = "/usr/share/asterisk/moh"
    dra = "/usr/share/scummvm/drascula/audio"
    sing = "/usr/share/games/singularity/music"
    hyp = "/usr/share/hyperrogue/music"
    fof = "/usr/share/games/fretsonfire/data/songs"
    M = {}

    def add(key, path, pkg, lic, author, genre):
        M[key] = dict(path=path, package=pkg, license=lic, author=author, genre=genre)

    # ---- dev music
    add("moh_cold_day", f"{moh}/macroform-cold_day.wav", "asterisk-moh-opsound-wav", "CC-BY-SA-3.0", "Macroform (Paul Shuler)", "sparse keys/piano, ambient (quiet)")
    add("moh_robot_dity", f"{moh}/macroform-robot_dity.wav", "asterisk-moh-opsound-wav", "CC-BY-SA-3.0", "Macroform (Paul Shuler)", "electronic")
    add("moh_morning_coffee", f"{moh}/manolo_camp-morning_coffee.wav", "asterisk-moh-opsound-wav", "CC-BY-SA-3.0", "Manolo Camp", "lounge / jazzy")
    add("vibe_ace", f"{src}/pypi/Kevin_MacLeod_-_Vibe_Ace.ogg", "PyPI librosa==0.7.2 (example_data)", "CC-BY-3.0", "Kevin MacLeod", "jazz / lounge")
    for t in [1, 3, 5, 9, 11, 15, 19, 23]:
        add(f"drascula_t{t}", f"{dra}/track{t}.ogg", "drascula-music", "Drascula-License (BSD-like)", "Alcachofa Soft", "adventure-game soundtrack")
    for n in ["A New Journey", "Deprecation"]:
        add("sing_" + n.lower().replace(" ", "_"), f"{sing}/{n}.ogg", "singularity-music", "CC-BY-SA-3.0", "Max McCracken", "ambient / electronic")
    for n, a in [("hr3-caves", "Shawn Parrotte"), ("hr-domina-hunting", "Lincoln Domina"), ("hr-savino-ivory", "Will Savino")]:
        g = "piano-led instrumental" if n == "hr-savino-ivory" else "game soundtrack / orchestral-electronic"
        add("hyp_" + n, f"{hyp}/{n}.ogg", "hyperrogue-music", "CC-BY-SA-3.0", a, g)
    add("fof_chaos_god", f"{fof}/muldjord/chaos_god/song.ogg", "fretsonfire-songs-muldjord", "CC-BY-SA-3.0", "Muldjord (El Senator)", "metal (backing track)")
    add("fof_armygeddon", f"{fof}/muldjord/armygeddon/song.ogg", "fretsonfire-songs-muldjord", "CC-BY-SA-3.0", "Muldjord (El Senator)", "metal (backing track)")

    # ---- TRAIN music (genres approximate, from the games' context; not audited by listening)
    wes = "/usr/share/games/wesnoth/1.16/data/core/music"
    for n in ["battle", "breaking_the_chains", "casualties_of_war", "heroes_rite", "journeys_end", "knalgan_theme",
              "legends_of_the_north", "loyalists", "northerners", "the_city_falls", "traveling_minstrels", "wanderer"]:
        add("wes_" + n, f"{wes}/{n}.ogg", "wesnoth-1.16-music", "GPL-2+", "Battle for Wesnoth composers",
            "folk / acoustic (lute, strings)" if n in ("traveling_minstrels", "knalgan_theme") else "orchestral")
    for n in ["elvish-theme", "silvan_sanctuary", "love_theme"]:
        add("wes_" + n, f"{wes}/{n}.ogg", "wesnoth-1.16-music", "GPL-2+", "Battle for Wesnoth composers", "soft orchestral (harp, strings, flute)")
    col = "/usr/share/games/colobot/music"
    for n in ["Constructive", "Humanitarian", "Infinite", "Prototype", "Quite", "music002", "music005"]:
        add("col_" + n.lower(), f"{col}/{n}.ogg", "colobot-common-sounds", "GPL-3+", "Colobot (EPSITEC / TerranovaTeam)", "electronic / synth-orchestral")
    wz = "/usr/share/games/warzone2100/music/albums"
    for a, n in [("aftermath_soundtrack", "track17"), ("aftermath_soundtrack", "track18"), ("aftermath_soundtrack", "track20"),
                 ("legacy_soundtrack", "track4"), ("legacy_soundtrack", "track6"), ("original_soundtrack", "track1"),
                 ("original_soundtrack", "track2")]:
        add(f"wz_{a.split('_')[0]}_{n}", f"{wz}/{a}/{n}.opus", "warzone2100-music", "GPL-2+ / CC-BY-SA-3.0 (see copyright)",
            "Warzone 2100 soundtrack", "electronic / industrial rock")
    xm = "/usr/share/games/xmoto/Textures/Musics"
    for n in ["batcave", "foxrun", "menu", "ridealong"]:
        add("xm_" + n, f"{xm}/{n}.ogg", "xmoto-data", "GPL-2+", "X-Moto musicians", "rock / electronic pop")
    fm = "/usr/share/games/fillets-ng/music"
    for n in ["rybky01", "rybky03", "rybky05", "rybky07"]:
        add("fil_" + n, f"{fm}/{n}.ogg", "fillets-ng-data", "GPL-2+", "Fish Fillets NG (Altar Interactive)", "quirky acoustic / jazzy game music")

    # ---- EXTRA music (set "extra" only). Genres approximate, from titles/tags/game context; not audited by listening.
    for k, (path, pkg, lic, author, genre) in EXTRA_MUSIC.items():
        add(k, path.replace("{src}", src), pkg, lic, author, genre)
    # ---- FRESH music (set "fresh" only), unpacked into {src}/fresh/pkgs by setup_sources.sh
    for k, (path, pkg, lic, author, genre) in FRESH_MUSIC.items():
        add(k, path.replace("{src}", src), pkg, lic, author, genre)
    return M


def _extra_music():
    """key -> (path, package, licence, author, genre) for the extra set ("{src}" = --src folder)."""
    E = {}
    ufo = "{src}/extra/ufoai/music"
    _UFO = "ufoai-music (0music.pk3)"
    for n, lic, a, g in [
            ("Crystan-Geosphere02", "CC-BY-SA-3.0", "Christian 'Crystan' Hoffmann", "electronic / orchestral soundtrack"),
            ("Crystan-Geosphere04", "CC-BY-SA-3.0", "Christian 'Crystan' Hoffmann", "electronic / orchestral soundtrack"),
            ("Crystan-Battlescape03", "CC-BY-SA-3.0", "Christian 'Crystan' Hoffmann", "electronic action soundtrack"),
            ("Crystan-IntroSad", "CC-BY-SA-3.0", "Christian 'Crystan' Hoffmann", "slow, sad orchestral (quiet)"),
            ("Marine01", "CC-BY-SA-3.0", "'Marine' Baklund", "orchestral / cinematic"),
            ("MarineIndustrial", "CC-BY-SA-3.0", "'Marine' Baklund", "industrial / cinematic"),
            ("David02", "CC-BY-3.0", "David Reeves (Destructavator)", "orchestral / cinematic"),
            ("David04", "CC-BY-3.0", "David Reeves (Destructavator)", "orchestral / cinematic"),
            ("van_geoscape", "CC-BY-3.0", "Manuel 'Vanethian' Marino", "ambient orchestral"),
            ("van_mission2", "CC-BY-3.0", "Manuel 'Vanethian' Marino", "orchestral action"),
            ("karlmacklin_geoscape", "CC-BY-3.0", "Karl Macklin", "ambient electronic"),
            ("azrael1", "CC-BY-3.0", "azrael1322", "electronic"),
            ("PsymongN2", "GPL-2", "Simon Green (Psymong)", "ambient electronic"),
            ("PsymongO3", "GPL-2", "Simon Green (Psymong)", "electronic"),
            ("dawn", "GPL-2", "Sebastian Ahlen", "electronic / trance"),
            ("alBasrahM", "public-domain", "Independent.nu (Golgotha)", "middle-eastern flavoured soundtrack"),
            ("turinItalyM", "public-domain", "Independent.nu (Golgotha)", "orchestral soundtrack"),
            ("TheThings-Slippycurb", "CC-BY-SA-3.0", "Slippycurb", "rock / electronic")]:
        E["ufo_" + n.lower()] = (f"{ufo}/{n}.ogg", _UFO, lic, a, g)
    stx = "/usr/share/games/supertux2/music"
    for n, a, g in [("antarctic/airship_2", "Jason Lavallee", "game soundtrack (orchestral)"),
                    ("antarctic/chipdisko", "Mortimer Twang", "chiptune disco"),
                    ("antarctic/arctic_cave", "Jason Lavallee", "ambient soundtrack"),
                    ("castle/darkforestkeep", "Wansti", "game soundtrack"),
                    ("forest/beneath_the_rabbit_hole", "Jason Lavallee", "game soundtrack"),
                    ("forest/bright_thunders", "Chris Leutwyler", "orchestral"),
                    ("forest/clavelian_march", "Treskalle", "march / orchestral"),
                    ("forest/shallow-green", "Jason Lavallee", "light acoustic"),
                    ("forest/ghostforest", "Wansti", "game soundtrack (dark)"),
                    ("misc/christmas_theme", "SuperTux contributors", "festive"),
                    ("misc/theme", "Wansti", "upbeat game theme"),
                    ("retro/ice_music", "Zhay (zhaymusic.com)", "synth pop"),
                    ("tropical/saharan_penguin", "SuperTux contributors (LMMS)", "electronic / world")]:
        E["stx_" + n.split("/")[1].replace("-", "_")] = (f"{stx}/{n}.ogg", "supertux-data", "GPL-3+ (package; see copyright)", a, g)
    nex = "{src}/extra/nexuiz/sound/cdtracks"
    for n, a, g in [("beast-of-insanity", "Nexuiz soundtrack", "industrial / metal-electronic"),
                    ("brokenlight", "blkrbt", "electronic"),
                    ("calling-bogus", "Gerd 'elysis' Raudenbusch", "electronic"),
                    ("chaos-fog", "Gerd 'elysis' Raudenbusch", "electronic"),
                    ("digital-pursuit", "Parapraxis", "electronic"),
                    ("infight", "Gerd 'elysis' Raudenbusch", "industrial / hard electronic"),
                    ("neuronal-diving", "Gerd 'elysis' Raudenbusch", "ambient electronic"),
                    ("northern-lights", "Nexuiz soundtrack", "ambient electronic (quiet)"),
                    ("sixtyfour_revisited", "blkrbt", "electronic"),
                    ("thru-the-mirror", "Gerd 'elysis' Raudenbusch", "ambient electronic")]:
        E["nex_" + n.replace("-", "_")] = (f"{nex}/{n}.ogg", "nexuiz-music (music.pk3)", "GPL-2+", a, g)
    hw = "/usr/share/games/hedgewars/Data/Music"
    for n, a, g in [("Beach", "Hedgewars team", "light / beach"), ("City", "HSR", "urban electronic"),
                    ("Desert", "Hedgewars team", "world / desert"), ("EarthRise", "Jonatan Nilsson", "orchestral / ambient"),
                    ("Fruit", "Valentin Kraevskiy", "light / playful"), ("Golf", "Hedgewars team", "light"),
                    ("Jungle", "Valentin Kraevskiy", "world / percussion"), ("Nature", "John Dum", "ambient / nature"),
                    ("Rock", "HSR", "rock"), ("oriental", "Jonatan Nilsson", "oriental / world"),
                    ("pirate", "Jonatan Nilsson", "pirate / folk"), ("snow", "Jonatan Nilsson", "soft / winter")]:
        E["hw_" + n.lower()] = (f"{hw}/{n}.ogg", "hedgewars-data", "GPL-2 (package; composers in Music/credits.txt)", a, g)
    oc = "/usr/share/games/openclonk/Music.ocg"
    for n, g in [("@CrushedIceCocktail", "house"), ("IslandDreams", "reggae"), ("LucidDream", "ambient (quiet)"),
                 ("Motorway", "rock"), ("TheSkylands", "rock"), ("UrbanBolero", "orchestral"), ("Offshore", "ambient / world")]:
        E["oc_" + n.strip("@").lower()] = (f"{oc}/{n}.ogg", "openclonk-data", "ISC / CC-BY-3.0 (OpenClonk content, see copyright)",
                                           "Martin Strohmeier (K-Pone)", g)
    en = "/usr/share/games/enigma/music"
    for n, g in [("game/meditation", "meditative, sparse (quiet)"), ("game/on_the_water", "calm acoustic"),
                 ("game/across_the_ice", "calm instrumental"), ("game/in_space", "ambient"), ("game/swamp", "atmospheric"),
                 ("menu/enigma_rag", "ragtime piano"), ("menu/esprit", "light instrumental")]:
        E["en_" + n.split("/")[1]] = (f"{en}/{n}.ogg", "enigma-data", "GPL-2", "Clifford J. Tasner", g)
    wx = "/usr/share/games/warmux/music"
    for n, a, g in [("ingame/Olivier_Militon.-.Apnee", "Olivier Militon", "electronic / ambient"),
                    ("ingame/Olivier_Militon.-.Vogue_a_lame", "Olivier Militon", "pop / electronic"),
                    ("ingame/Olivier_Militon.-.Like_a_rock", "Olivier Militon", "rock"),
                    ("ingame/Olivier_Militon.-.Etrange_epouvantable", "Olivier Militon", "quirky / cinematic"),
                    ("ingame/Mike_Errecart.-.Monkey-bubble", "Mike Errecart", "funk / jazzy"),
                    ("ingame/construction", "Azzoug Lawrence", "ambient (quiet)"),
                    ("ingame/circux", "Warmux team", "circus / playful"),
                    ("ingame/diabolicux", "Warmux team", "dark / heavy"),
                    ("menu/Divertissement_pour_flute", "Azzoug Lawrence", "classical (flute)")]:
        E["wx_" + n.split("/")[1].split(".-.")[-1].lower().replace("-", "_")] = (f"{wx}/{n}.ogg", "warmux-data", "GPL-2+", a, g)
    po = "/usr/share/pushover/themes"
    for n, g in [("aztec", "world / percussion"), ("castle", "medieval"), ("electro", "electronic"), ("greek", "world / Greek"),
                 ("japanese", "world / Japanese"), ("space", "ambient electronic"), ("toxcity", "electronic / industrial")]:
        E["po_" + n] = (f"{po}/{n}.ogg", "pushover-data", "GPL-3+", "Pushover contributors", g)
    ms = "/usr/share/games/marsshooter/audio/music"
    for n in ["02_orphanage", "03_fear", "06_starfall", "09_wings_of_cruelty", "07_-_Vermocsar"]:
        E["ms_" + n.split("_", 1)[1].strip("-_").lower()] = (f"{ms}/{n}.ogg", "marsshooter-data", "CC-BY-SA-3.0", "Obsidian Shell",
                                                            "female-fronted metal (band album track: sung vocals likely, not verified)")
    tb = "{src}/extra/tecnoballz"
    for n in ["area3-game", "fridge-in-space_from_reg-zbb", "mon-lapin_reg-zbb", "tecnoballz"]:
        E["tb_" + n.split("_")[0].replace("-", "_")] = (f"{tb}/{n}.flac", "tecnoballz-data (.mod rendered by ffmpeg/libopenmpt)",
                                                       "GPL-3+", "TecnoballZ musicians (Regis/zbb)", "tracker / chiptune")
    li = "/usr/share/sounds/linphone"
    E["lin_dont_wait_too_long"] = (f"{li}/dont_wait_too_long.mkv", "linphone-common", "GPL-3+ (package)", "Belledonne Communications",
                                   "music on hold (light pop/lounge instrumental)")
    for n in ["its_a_game", "soft_as_snow", "house_keeping"]:
        E["lin_" + n] = (f"{li}/rings/{n}.mkv", "linphone-common", "GPL-3+ (package)", "Belledonne Communications",
                         "ring melody (short instrumental loop)" + (" (soft)" if n == "soft_as_snow" else ""))
    gc = _GCM
    for n, lic, a, g in [("beethoven", "CC0-1.0", "Drummyfish (Beethoven, Symphony 9, 2nd mvt)", "classical orchestral"),
                         ("ireland", "CC-BY-3.0", "peakfiddler", "celtic fiddle"),
                         ("australia", "public domain", "Jouke Kooistra and Rob Tol", "didgeridoo, relaxing (quiet)")]:
        E["gc_" + n] = (f"{gc}/{n}.ogg", "gcompris-qt-data (explore_world_music.rcc)", lic, a, g)
    return E


EXTRA_MUSIC = _extra_music()

# Debian packages of the fresh set (fetched with apt-get download, unpacked into {src}/fresh/pkgs/PACKAGE)
FRESH_DEBS = {"flight-of-the-amazon-queen": "1.0.0-9", "naev-data": "0.8.2-1", "widelands-data": "2:1.1-3",
              "blobwars-data": "2.00-2", "freedroidrpg-data": "1.0-1", "flare-game": "1.14-1", "megaglest-data": "3.13.0-3"}


def _fresh_music():
    """key -> (path, package, licence, author, genre) for the fresh set. Genres approximate (titles, game context);
    nobody listened. Licences per file from each package's debian/copyright."""
    E = {}
    nv = "{src}/fresh/pkgs/naev-data/usr/share/naev/dat/snd/music"
    _vs = ("GPL-2+", "Vega Strike")
    _nw = ("GPL-3 or CC-BY-3.0", "Nikola Whallon")
    _zp = ("CC-BY-3.0", "Zeropage")
    _as = ("CC-BY-SA-3.0", "Askyel")
    _na = ("GPL-3+ (naev-data 'Files: *')", "Naev contributors")
    for n, (lic, a), g in [
            ("ambient1", _nw, "space ambient (quiet)"), ("ambient2", _nw, "space ambient (quiet)"),
            ("ambient3", _nw, "space ambient (quiet)"), ("ambient4", _as, "space ambient (quiet)"),
            ("ambiphonic", _zp, "ambient electronic (quiet)"), ("peace2", _vs, "calm ambient (quiet)"),
            ("upbeat", _nw, "upbeat electronic / light"), ("peace1", _vs, "calm / light"), ("peace4", _vs, "calm / light"),
            ("peace6", _vs, "calm / light"), ("agriculture", _vs, "pastoral / light"), ("ocean", _vs, "calm / light"),
            ("combat1", _as, "space combat (action)"), ("combat2", _as, "space combat (action)"),
            ("combat3", _as, "space combat (action)"), ("nebu_battle1", _nw, "battle (action)"),
            ("flf_battle1", _nw, "battle (action)"), ("battlesomething1", _nw, "battle (action)"),
            ("empire1", _nw, "orchestral / electronic"), ("empire2", _nw, "orchestral / electronic"),
            ("sirius1", _nw, "orchestral / electronic"), ("sirius2", _as, "orchestral / electronic"),
            ("zalek1", _nw, "electronic"), ("zalek2", _nw, "electronic"), ("collective1", _nw, "electronic"),
            ("collective2", _nw, "electronic"), ("dvaered1", _as, "martial orchestral"), ("dvaered2", _as, "martial orchestral"),
            ("pirates_orchestra", _na, "orchestral"), ("blackmoor_tides", _na, "orchestral"), ("automat", _nw, "electronic"),
            ("machina", _vs, "electronic"), ("heartofmachine", _na, "electronic"), ("terminal", _as, "electronic / ambient"),
            ("cosmostation", _vs, "space / electronic"), ("motherload", _na, "electronic"), ("void_sensor", _zp, "ambient electronic"),
            ("dark_city", _na, "dark electronic"), ("eureka", _as, "orchestral"), ("mission", _vs, "space soundtrack"),
            ("intro", _nw, "orchestral theme"), ("intrigue", _nw, "tense soundtrack"), ("nebu_battle2", _nw, "battle (action)"),
            ("battlesomething2", _nw, "battle (action)")]:
        E["nv_" + n] = (f"{nv}/{n}.ogg", "naev-data", lic, a, g)
    wl = "{src}/fresh/pkgs/widelands-data/usr/share/games/widelands/data/music"
    for n in ["ingame_00", "ingame_01", "ingame_02", "ingame_03", "ingame_04", "ingame_05", "ingame_06", "ingame_07", "ingame_08",
              "ingame_09", "ingame_10", "ingame_12", "ingame_13", "ingame_14", "ingame_15", "ingame_16", "ingame_17", "ingame_19",
              "ingame_21", "ingame_22", "ingame_23", "ingame_24", "ingame_25", "ingame_26", "ingame_27", "ingame_28", "menu"]:
        sm = n in ("ingame_24", "ingame_25", "ingame_26")
        E["wl_" + n] = (f"{wl}/{n}.ogg", "widelands-data", "CC-BY-SA-3.0" if sm else "GPL-2+",
                        "Stuart Marshall" if sm else "Widelands Development Team", "orchestral / folk game soundtrack")
    bw = "{src}/fresh/pkgs/blobwars-data/usr/share/games/blobwars/music"
    for n, a, lic, g in [("hub", "Lennaert van Driel (DJ Sjors)", "CC-BY-SA-3.0", "electronic / dance"),
                         ("space", "Lennaert van Driel (DJ Sjors)", "CC-BY-SA-3.0", "electronic"),
                         ("cave", "Lennaert van Driel (DJ Sjors)", "CC-BY-SA-3.0", "electronic"),
                         ("tunnel", "Lennaert van Driel (DJ Sjors)", "CC-BY-SA-3.0", "electronic"),
                         ("tomb", "Lennaert van Driel (DJ Sjors)", "CC-BY-SA-3.0", "electronic"),
                         ("final", "Lennaert van Driel (DJ Sjors)", "CC-BY-SA-3.0", "electronic ('Electricity', driving)"),
                         ("biomech", "Dick Huijer (Ambick)", "CC-BY-SA-3.0", "electronic"),
                         ("ice", "Dick Huijer (Ambick)", "CC-BY-SA-3.0", "electronic"),
                         ("grasslands", "Dick Huijer (Ambick)", "CC-BY-SA-3.0", "light electronic"),
                         ("credits", "Sander van Oirschot (SinQ)", "CC-BY-3.0", "electronic"),
                         ("arctic", "Sander van Oirschot (SinQ)", "CC-BY-3.0", "electronic")]:
        E["bw_" + n] = (f"{bw}/{n}.ogg", "blobwars-data (extension-less Ogg; NAME.ogg hard link)", lic, a, g)
    fd = "{src}/fresh/pkgs/freedroidrpg-data/usr/share/freedroidrpg/data/sound/music"
    for n, g in [("Ambience", "dark ambient (quiet)"), ("hellforce", "industrial (heavy)"), ("Hyperbattle", "electronic battle (heavy)"),
                 ("TechBattle", "electronic battle (heavy)"), ("town", "light / calm"), ("Suspicion", "tense electronic"),
                 ("AmbientBattle", "ambient / industrial"), ("HellFortressTwo", "industrial"), ("temple", "ambient"),
                 ("underground", "electronic"), ("HellFortressEntrance", "industrial"), ("ImperialArmy", "martial electronic"),
                 ("NewTutorialStage", "electronic"), ("TheBeginning", "electronic / ambient"), ("Bleostrada", "electronic"),
                 ("menu", "electronic")]:
        E["fd_" + n.lower()] = (f"{fd}/{n}.ogg", "freedroidrpg-data", "GPL-2+", "FreedroidRPG team", g)
    fl = "{src}/fresh/pkgs/flare-game/usr/share/games/flare/mods/fantasycore/music"
    for n, g in [("wind_ambient", "wind ambience (quiet)"), ("battle_theme", "fantasy battle (heavy)"),
                 ("boss_theme", "fantasy boss fight (heavy)"), ("town_theme", "fantasy town (light)"),
                 ("safe_room_theme", "calm fantasy (light)"), ("dungeon_theme", "fantasy orchestral"),
                 ("magical_theme", "fantasy orchestral"), ("forest_theme", "fantasy orchestral"),
                 ("overworld_theme", "fantasy orchestral"), ("cave_theme", "fantasy orchestral (dark)"),
                 ("unrest_theme", "fantasy orchestral (tense)"), ("title_theme", "fantasy orchestral theme")]:
        E["fl_" + n] = (f"{fl}/{n}.ogg", "flare-game", "CC-BY-SA-3.0+", "Flare contributors (see copyright)", g)
    mg = "{src}/fresh/pkgs/megaglest-data/usr/share/games/megaglest"
    for n, p, a, g in [("music_tech", "techs/megapack/factions/tech/music", "MegaGlest team", "electronic / heavy"),
                       ("music_magic", "techs/megapack/factions/magic/music", "MegaGlest team", "fantasy orchestral"),
                       ("romans", "techs/megapack/factions/romans/music", "Mattias Westlund ('Chronicles III')", "orchestral"),
                       ("music_indian", "techs/megapack/factions/indian/music", "Aminos", "world / Indian (light)"),
                       ("aminos-together_together", "techs/megapack/factions/persian/music", "Aminos", "world / Persian (light)"),
                       ("asak-jadeflange", "techs/megapack/factions/egypt/music", "Margaras", "world / Egyptian (light)"),
                       ("menu_music", "data/core/menu/music", "MegaGlest team", "orchestral theme")]:
        E["mg_" + n.split("-")[0]] = (f"{mg}/{p}/{n}.ogg", "megaglest-data", "CC-BY-SA-3.0", a, g)
    return E


FRESH_MUSIC = _fresh_music()


SETS = {
    "dev": dict(
        seed=1001,
        music={
            "generic": ["moh_robot_dity", "moh_morning_coffee", "drascula_t1", "drascula_t9", "drascula_t11",
                        "drascula_t15", "sing_a_new_journey", "sing_deprecation", "hyp_hr3-caves", "hyp_hr-domina-hunting"],
            "piano_quiet": ["moh_cold_day", "hyp_hr-savino-ivory"],
            "jazz": ["vibe_ace", "moh_morning_coffee"],
            "heavy": ["fof_chaos_god", "fof_armygeddon"],
        },
        # (announcer/IVR voice, agent voice, user voice)
        combos=[("allison_es", "july_es_co", "pyannote_s91"), ("carlo_it", "menardi_it", "july_es_co"),
                ("allison_en", "pyannote_s90", "pyannote_s91"), ("menardi_it", "carlo_it", "pyannote_s91"),
                ("allison_en", "carlo_it", "menardi_it"), ("allison_es", "july_es_co", "carlo_it"),
                ("allison_en", "july_es_co", "menardi_it"), ("july_es_co", "allison_es", "pyannote_s90")],
        same_voice=("allison_en", "allison_en", "july_es_co"),
        synthetic_combo=("allison_en", "espeak_en", "pyannote_s91"),
        vocal_voice="pyannote_s90",
        tts_announcer=None,
    ),
}

# Sets built from the new sources. "train" = dev sources + TRAIN sources (given to developers).
# Lists in same_voice / synthetic_combo / vocal_voice are indexed by the scenario index;
# "repeats" runs the 16 templates that many times (variants a, b, c).
_DEV_MUSIC = SETS["dev"]["music"]
SETS["train"] = dict(
    seed=3003,
    repeats=3,
    extra_labels=True,
    music={
        "generic": _DEV_MUSIC["generic"] + [
            "wes_battle", "wes_breaking_the_chains", "wes_casualties_of_war", "wes_heroes_rite", "wes_journeys_end",
            "wes_legends_of_the_north", "wes_loyalists", "wes_northerners", "wes_the_city_falls", "wes_wanderer",
            "col_constructive", "col_humanitarian", "col_prototype", "col_music002", "col_music005",
            "wz_aftermath_track17", "wz_aftermath_track18", "wz_legacy_track4", "wz_original_track1", "wz_original_track2",
            "xm_foxrun", "xm_menu", "xm_ridealong", "fil_rybky01", "fil_rybky05"],
        "piano_quiet": _DEV_MUSIC["piano_quiet"] + ["wes_elvish-theme", "wes_silvan_sanctuary", "wes_love_theme", "col_quite"],
        "jazz": _DEV_MUSIC["jazz"] + ["fil_rybky03", "fil_rybky07", "wes_traveling_minstrels", "wes_knalgan_theme"],
        "heavy": _DEV_MUSIC["heavy"] + ["xm_batcave", "wz_aftermath_track20", "wz_legacy_track6", "col_infinite"],
    },
    combos=[("fil_cs_big", "fil_cs_small", "pyannote_s91"), ("allison_en", "fil_en_elk", "fil_cs_small"),
            ("fil_cs_x", "fil_cs_big", "carlo_it"), ("carlo_it", "fil_cs_hs", "fil_en_viking"),
            ("fil_en_elk", "fil_cs_small", "menardi_it"), ("allison_es", "fil_cs_big", "fil_en_elk"),
            ("menardi_it", "fil_en_viking", "fil_cs_x"), ("fil_cs_hs", "july_es_co", "fil_cs_small"),
            ("allison_en", "fil_cs_small", "fil_cs_hs"), ("fil_cs_small", "fil_cs_x", "pyannote_s90"),
            ("july_es_co", "fil_cs_big", "fil_en_viking"), ("fil_cs_big", "carlo_it", "fil_cs_small")],
    same_voice=[("fil_cs_big", "fil_cs_big", "allison_en"), ("fil_cs_small", "fil_cs_small", "fil_en_elk"),
                ("allison_en", "allison_en", "fil_cs_x")],
    synthetic_combo=[("fil_cs_x", "fil_cs_hs", "fil_en_elk"), ("allison_en", "espeak_en", "pyannote_s91"),
                     ("fil_en_viking", "fil_cs_big", "menardi_it")],
    vocal_voice=["fil_cs_hs", "pyannote_s90", "fil_en_elk"],
    tts_announcer=None,
)


# EXTRA: 48 calls (16 templates x variants a, b, c) from NEW sources only: music, announcer/IVR and agent voices and
# the vocal layers never occur in dev or train. User (mic) voices reuse dev/train voices.
SETS["extra"] = dict(
    seed=5005,
    repeats=3,
    extra_labels=True,
    gen_version="1.0+extra",
    music_spread=True,
    music={
        "generic": ["ufo_crystan-geosphere02", "ufo_crystan-battlescape03", "ufo_marine01", "ufo_marineindustrial", "ufo_david02",
                    "ufo_van_mission2", "ufo_karlmacklin_geoscape", "ufo_azrael1", "ufo_psymongo3", "ufo_dawn", "ufo_albasrahm",
                    "ufo_turinitalym", "ufo_thethings-slippycurb",
                    "stx_airship_2", "stx_chipdisko", "stx_darkforestkeep", "stx_beneath_the_rabbit_hole", "stx_bright_thunders",
                    "stx_clavelian_march", "stx_ghostforest", "stx_christmas_theme", "stx_theme", "stx_ice_music", "stx_saharan_penguin",
                    "nex_brokenlight", "nex_calling_bogus", "nex_chaos_fog", "nex_digital_pursuit", "nex_sixtyfour_revisited",
                    "hw_city", "hw_desert", "hw_fruit", "hw_golf", "hw_jungle", "hw_oriental", "hw_pirate",
                    "oc_urbanbolero", "oc_offshore", "wx_apnee", "wx_vogue_a_lame", "wx_etrange_epouvantable", "wx_circux",
                    "po_aztec", "po_castle", "po_electro", "po_greek", "po_japanese", "po_space",
                    "tb_area3_game", "tb_fridge_in_space", "tb_mon_lapin", "tb_tecnoballz", "lin_its_a_game",
                    "lin_house_keeping", "gc_beethoven"],
        "piano_quiet": ["en_meditation", "en_on_the_water", "en_across_the_ice", "en_in_space", "oc_luciddream", "ufo_crystan-introsad",
                        "ufo_van_geoscape", "ufo_psymongn2", "nex_northern_lights", "nex_neuronal_diving", "nex_thru_the_mirror",
                        "wx_construction", "hw_nature", "hw_snow", "lin_soft_as_snow", "gc_australia", "stx_arctic_cave",
                        "hw_earthrise"],
        "jazz": ["en_enigma_rag", "en_esprit", "oc_islanddreams", "oc_crushedicecocktail", "wx_monkey_bubble", "wx_divertissement_pour_flute",
                 "hw_beach", "lin_dont_wait_too_long", "gc_ireland", "stx_shallow_green", "en_swamp", "ufo_david04"],
        "heavy": ["ms_orphanage", "ms_fear", "ms_starfall", "ms_wings_of_cruelty", "ms_vermocsar", "oc_motorway", "oc_theskylands",
                  "hw_rock", "nex_beast_of_insanity", "nex_infight", "wx_like_a_rock", "wx_diabolicux", "po_toxcity"],
    },
    # (announcer/IVR voice, agent voice, user voice); 13 combos so that variants a, b, c of a template get different voices
    combos=[("wz_briefing", "tux_ro", "pyannote_s91"), ("fil_cs_kd", "wz_tutorial", "allison_en"),
            ("librivox_ss", "fil_cs_lx1", "carlo_it"), ("tux_es", "tux_bg", "fil_cs_small"),
            ("fil_cs_r", "tux_fr", "menardi_it"), ("tux_ru", "fil_cs_vik4", "fil_en_elk"),
            ("wz_briefing", "tux_el", "july_es_co"), ("tux_bg", "fil_cs_lx2", "pyannote_s90"),
            ("fil_cs_leb", "tux_es", "fil_cs_big"), ("tux_ro", "tux_be", "allison_es"),
            ("librivox_ss", "fil_cs_vik3", "fil_en_viking"), ("fil_cs_kd", "tux_ru", "carlo_it"),
            ("tux_el", "fil_cs_pap", "pyannote_s91")],
    same_voice=[("tux_ro", "tux_ro", "fil_cs_x"), ("wz_tutorial", "wz_tutorial", "menardi_it"),
                ("fil_cs_r", "fil_cs_r", "allison_en")],
    synthetic_combo=[("wz_tutorial", "tux_ca", "pyannote_s90"), ("tux_fr", "fil_cs_lx1", "fil_cs_hs"),
                     ("fil_cs_leb", "tux_el", "july_es_co")],  # real voices (name kept from train: no synthetic agent in extra)
    vocal_voice=["sung_caruso", "sung_hw_singer", "sung_vocadito10", "sung_safiye_ayla", "sung_mariachi", "sung_vocadito14"],
    tts_announcer=None,
)


# FRESH: 48 calls (16 templates x variants a, b, c) from sources that no other set uses: FOTAQ characters (and the Tux
# Paint Danish narrator) for announcer/IVR and agent voices, one new music track per music hold (Naev, Widelands,
# Blobwars, FreedroidRPG, Flare, MegaGlest). No new real singing was found: the vocal layers reuse the extra set's
# sung sources. User (mic) voices reuse dev/train voices, as in extra.
SETS["fresh"] = dict(
    seed=7007,
    repeats=3,
    extra_labels=True,
    gen_version="1.0+fresh",
    music_spread=True,
    music={
        "generic": ["nv_empire1", "nv_empire2", "nv_sirius1", "nv_sirius2", "nv_zalek1", "nv_zalek2", "nv_collective1",
                    "nv_collective2", "nv_dvaered1", "nv_dvaered2", "nv_pirates_orchestra", "nv_blackmoor_tides", "nv_automat",
                    "nv_machina", "nv_heartofmachine", "nv_terminal", "nv_cosmostation", "nv_motherload", "nv_void_sensor",
                    "nv_dark_city", "nv_eureka", "nv_mission", "nv_intro", "nv_intrigue", "nv_nebu_battle2", "nv_battlesomething2",
                    "wl_ingame_00", "wl_ingame_01", "wl_ingame_03", "wl_ingame_05", "wl_ingame_07", "wl_ingame_08", "wl_ingame_09",
                    "wl_ingame_12", "wl_ingame_13", "wl_ingame_14", "wl_ingame_15", "wl_ingame_16", "wl_ingame_17", "wl_ingame_19",
                    "wl_ingame_21", "wl_ingame_22", "wl_ingame_23", "wl_ingame_24", "wl_ingame_25", "wl_ingame_26", "wl_ingame_27",
                    "wl_ingame_28", "wl_menu",
                    "bw_hub", "bw_space", "bw_cave", "bw_tunnel", "bw_tomb", "bw_biomech", "bw_ice", "bw_credits", "bw_arctic",
                    "fd_suspicion", "fd_ambientbattle", "fd_hellfortresstwo", "fd_temple", "fd_underground", "fd_hellfortressentrance",
                    "fd_imperialarmy", "fd_newtutorialstage", "fd_thebeginning", "fd_bleostrada", "fd_menu",
                    "fl_dungeon_theme", "fl_magical_theme", "fl_forest_theme", "fl_overworld_theme", "fl_cave_theme",
                    "fl_unrest_theme", "fl_title_theme", "mg_music_magic", "mg_romans", "mg_menu_music"],
        "piano_quiet": ["nv_ambient1", "nv_ambient2", "nv_ambient3", "nv_ambient4", "nv_ambiphonic", "nv_peace2",
                        "fl_wind_ambient", "fd_ambience", "wl_ingame_06"],
        "jazz": ["nv_upbeat", "nv_peace1", "nv_peace4", "nv_peace6", "nv_agriculture", "nv_ocean", "fl_town_theme",
                 "fl_safe_room_theme", "fd_town", "mg_music_indian", "mg_aminos", "mg_asak", "bw_grasslands", "wl_ingame_04",
                 "wl_ingame_02", "wl_ingame_10"],
        "heavy": ["nv_combat1", "nv_combat2", "nv_combat3", "nv_nebu_battle1", "nv_flf_battle1", "nv_battlesomething1",
                  "fd_hellforce", "fd_hyperbattle", "fd_techbattle", "fl_battle_theme", "fl_boss_theme", "bw_final", "mg_music_tech"],
    },
    # (announcer/IVR voice, agent voice, user voice); Joe King is the agent in most calls, other characters announce
    combos=[("fotaq_sec", "fotaq_joe", "pyannote_s91"), ("tux_da", "fotaq_joe", "allison_en"),
            ("fotaq_naomi", "fotaq_bob", "carlo_it"), ("fotaq_witch", "fotaq_joe", "fil_cs_small"),
            ("fotaq_laris", "fotaq_faye", "menardi_it"), ("fotaq_tam", "fotaq_joe", "fil_en_elk"),
            ("fotaq_chief", "fotaq_henry", "july_es_co"), ("fotaq_prin", "fotaq_joe", "pyannote_s90"),
            ("fotaq_jim", "fotaq_sec", "fil_cs_big"), ("tux_da", "fotaq_joe", "allison_es"),
            ("fotaq_lou", "fotaq_bud", "fil_en_viking"), ("fotaq_sparky", "fotaq_joe", "carlo_it"),
            ("fotaq_frank", "fotaq_joe", "pyannote_s91")],
    same_voice=[("fotaq_joe", "fotaq_joe", "fil_cs_x"), ("fotaq_faye", "fotaq_faye", "menardi_it"),
                ("fotaq_bob", "fotaq_bob", "allison_en")],
    synthetic_combo=[("fotaq_ape", "fotaq_joe", "pyannote_s90"), ("fotaq_klunk", "fotaq_man", "fil_cs_hs"),
                     ("fotaq_ian", "fotaq_lola", "july_es_co")],  # real voices (key name kept from train)
    vocal_voice=["sung_caruso", "sung_hw_singer", "sung_vocadito10", "sung_safiye_ayla", "sung_mariachi", "sung_vocadito14"],
    tts_announcer=None,
)


def _spread_key(setcfg, sidx, hi):
    """Music track of hold hi of scenario sidx in sets with music_spread: the n-th music hold of the set that draws
    from a pool gets that pool's n-th track in a fixed shuffled order, so tracks repeat only after the pool is used
    up. Depends only on the set's config (not on the calls generated before), so --only gives the same files."""
    slots, counters = {}, {}
    for s_ in range(setcfg.get("repeats", 1) * len(TEMPLATES)):
        rep_, i = divmod(s_, len(TEMPLATES))
        t = variant(TEMPLATES[i], rep_, i) if setcfg.get("repeats", 1) > 1 else TEMPLATES[i]
        for h_, kind in enumerate(t["holds"]):
            if kind == "music":
                pname = t.get("music", "generic")
                slots[(s_, h_)] = (pname, counters.get(pname, 0))
                counters[pname] = counters.get(pname, 0) + 1
    pname, n = slots[(sidx, hi)]
    pool = setcfg["music"][pname]
    order = np.random.default_rng([setcfg["seed"], sorted(setcfg["music"]).index(pname)]).permutation(len(pool))
    return pool[int(order[n % len(pool)])]


def _by_index(v, sidx):
    """Set entries may be one value or a list indexed by scenario (lists only in the new sets)."""
    return v[sidx % len(v)] if isinstance(v, list) else v


# One template per scenario slot; both sets use the same 16 templates (balanced hard cases)
# with their own seed, voices, music and channel draws.
TEMPLATES = [
    dict(tag="music_basic", holds=["music"], music="generic", ann="interrupt", ret="abrupt", chan=("g711u", 8000), hold=(50, 80), live=(45, 70)),
    dict(tag="music_vocals", holds=["music"], music="generic", vocals=True, ann="interrupt", ret="abrupt", chan=("opus", 48000), hold=(50, 80), live=(40, 60)),
    dict(tag="piano_quiet", holds=["music"], music="piano_quiet", music_rel=(-14, -9), ann="interrupt", ret="abrupt", chan=("g711u", 16000), hold=(60, 90), live=(40, 60)),
    dict(tag="announce_over_music", holds=["music"], music="jazz", ann="duck", ann_every=(20, 28), ret="abrupt", chan=("gsm", 8000), hold=(70, 100), live=(40, 60)),
    dict(tag="silent_hold_clicks", holds=["silence"], clicks=True, ann=None, ret="abrupt", chan=("opus", 16000), hold=(50, 80), live=(45, 70)),
    dict(tag="silent_hold_announce", holds=["silence"], ann="over_silence", ann_every=(30, 45), ret="abrupt", chan=("g722", 16000), hold=(70, 100), live=(40, 60)),
    dict(tag="fade_over_music", holds=["music"], music="generic", ann="interrupt", ret="fade", chan=("g711u", 44100), hold=(50, 80), live=(45, 70)),
    dict(tag="low_level", holds=["music"], music="generic", ann="duck", ret="abrupt", level=(-34, -30), chan=("opus", 48000), opus_kbps=12, hold=(50, 80), live=(45, 70)),
    dict(tag="narrowband_loss", holds=["music"], music="generic", ann="interrupt", ret="over", chan=("g711u", 8000), loss=(0.02, 0.04), ringback="us", hold=(50, 80), live=(40, 60)),
    dict(tag="thinking_pauses", holds=["music"], music="jazz", ann="interrupt", ret="abrupt", thinking=True, chan=("gsm", 44100), hold=(40, 60), live=(70, 100)),
    dict(tag="second_hold", holds=["music", "music"], music="generic", ann="interrupt", ret="abrupt", chan=("opus", 48000), hold=(45, 70), live=(35, 55)),
    dict(tag="second_hold_silent_fade", holds=["music", "silence"], music="generic", ann="duck", ret="fade", chan=("g711u", 16000), hold=(45, 70), live=(35, 55)),
    dict(tag="heavy_music_loss", holds=["music"], music="heavy", ann="interrupt", ret="abrupt", chan=("gsm", 8000), loss=(0.01, 0.03), hold=(50, 80), live=(40, 60)),
    dict(tag="long_hold", holds=["music"], music="generic", ann="interrupt", ann_every=(45, 60), ret="fade", chan=("g722", 48000), hold=(170, 210), live=(50, 70)),
    dict(tag="private_talk_straddle", holds=["music"], music="generic", ann="duck", ret="abrupt", private=(3, 4), straddle=True, chan=("g711u", 44100), hold=(60, 90), live=(40, 60)),
    dict(tag="voice_identity", holds=["music", "music"], music="jazz", ann="interrupt", ret="over", chan=("opus", 16000), same_voice=True, hold=(40, 60), live=(30, 45)),
]


_LOSSY = [dict(chan=("opus", 16000), opus_kbps=12), dict(chan=("gsm", 8000), loss=(0.01, 0.03)),
          dict(chan=("g711u", 8000), loss=(0.02, 0.04))]


def variant(tpl, rep, i):
    """Template for repeat `rep` (0, 1, 2 -> a, b, c) of template i in sets with repeats (train).
    Weighted toward hard cases: the agent returns over full (b) or fading (c) music at a voice-to-music
    ratio of -3..+6 dB, music with a voice layer, quiet calls and lossy codecs with frame loss."""
    t = dict(tpl)
    music = "music" in t["holds"]
    if rep == 1:
        t.update(_LOSSY[i % 3])
        if music:
            t["ret"] = "over"
            t["vocals"] = t.get("vocals", False) or i % 2 == 0
        else:
            t["level"] = (-34, -28)
    elif rep == 2:
        if i % 2:
            t["loss"] = t.get("loss", (0.01, 0.03))
        if music:
            t["ret"] = "fade"
            t["vocals"] = t.get("vocals", False) or i % 2 == 1
            if i % 2 == 0:
                t["level"] = (-34, -28)
        else:
            t["level"] = (-34, -28)
    if music and "music_rel" not in t and t["ret"] in ("over", "fade"):
        t["vmr"] = (-3.0, 6.0)
    return t


# ----------------------------------------------------------------------------- audio utils

_cache = {}


def load(path, sr):
    """Decode any sox-readable file to mono float32 at sr (deterministic: -R, no dither)."""
    key = (path, sr)
    if key not in _cache and path.endswith((".opus", ".mkv")):  # sox 14.4.2 cannot read Ogg Opus / Matroska
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(sr), "-"],
                             capture_output=True, check=True).stdout
        _cache[key] = np.frombuffer(out, np.float32).copy()
    if key not in _cache:
        out = subprocess.run(["sox", "-R", "-D", path, "-t", "raw", "-e", "floating-point", "-b", "32",
                              "-c", "1", "-r", str(sr), "-"], capture_output=True, check=True).stdout
        _cache[key] = np.frombuffer(out, np.float32).copy()
    return _cache[key]


def dur_of(path):
    if path.endswith(".gsm"):
        return os.path.getsize(path) / 33 * 0.02  # GSM 06.10: 33 bytes per 20 ms frame
    return sf.info(path).duration


def frame_db(x, sr, win=0.01):
    hop = max(1, int(win * sr))
    n = len(x) // hop
    if n == 0:
        return np.array([-120.0]), hop
    e = (x[: n * hop].reshape(n, hop) ** 2).mean(1)
    return 10 * np.log10(e + 1e-12), hop


_HP250 = {r: butter(4, 250, btype="high", fs=r, output="sos") for r in (FS, 16000, 48000)}


def trim(x, sr, rel_db=32, abs_db=-55, margin=0.01):
    """Cut leading/trailing non-speech: a clip starts at the first 10 ms frame that is within
    rel_db of the loudest frame AND is followed by sustained energy (3 of the next 5 frames).
    Energy is measured above 250 Hz so that rumble/hum in some prompt files does not count."""
    if len(x) < sr // 20:
        return x[:0]
    e, hop = frame_db(sosfiltfilt(_HP250[sr], x) if sr in _HP250 else x, sr)
    thr = max(e.max() - rel_db, abs_db)
    above = e > thr
    ok = np.array([above[i] and above[i:i + 5].sum() >= 3 for i in range(len(e))])
    idx = np.where(ok)[0]
    if len(idx) == 0:
        return x[:0]
    last = np.where(above)[0][-1]
    s = max(0, idx[0] * hop - int(margin * sr))
    t = min(len(x), (last + 1) * hop + int(margin * sr))
    return x[s:t]


def active_db(x, sr):
    e, _ = frame_db(x, sr, 0.02)
    sel = e[e > e.max() - 30]
    return 10 * np.log10(np.mean(10 ** (sel / 10)) + 1e-12)


def to_level(x, sr, target_db):
    if len(x) == 0:
        return x
    return (x * 10 ** ((target_db - active_db(x, sr)) / 20)).astype(np.float32)


def pink(n, rng):
    w = rng.standard_normal(n + 4096).astype(np.float32)
    f = np.fft.rfft(w)
    k = np.arange(len(f), dtype=np.float32)
    k[0] = 1
    p = np.fft.irfft(f / np.sqrt(k), n + 4096)[:n].astype(np.float32)
    return p / (np.sqrt(np.mean(p ** 2)) + 1e-9)


def db(v):
    return 10 ** (v / 20)


def ramp(n):
    return 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, max(n, 1)))


class Timeline:
    """Sparse float32 track: add clips at times, render once."""

    def __init__(self, sr):
        self.sr, self.items = sr, []

    def add(self, t, x, gain=1.0):
        self.items.append((int(round(t * self.sr)), np.asarray(x, np.float32) * gain))

    def render(self, dur):
        y = np.zeros(int(round(dur * self.sr)), np.float32)
        for i, x in self.items:
            if i >= len(y):
                continue
            x = x[: len(y) - i]
            y[i:i + len(x)] += x
        return y


# ----------------------------------------------------------------------------- voices

class Voice:
    def __init__(self, vid, src, rng_seed, tmpdir):
        self.id, self.src, self.tmp = vid, src, tmpdir
        self.files_used = set()
        self.rng = np.random.default_rng(rng_seed)
        self.synthetic = vid.startswith("espeak")
        if vid in ASTERISK_SPEAKERS:
            d, ext, lang, pkg, lic, talent = ASTERISK_SPEAKERS[vid]
            self.lang, self.package, self.license, self.talent = lang, pkg, lic, talent
            names = sorted(f[: -len(ext) - 1] for f in os.listdir(d) if f.endswith("." + ext))
            self.path = lambda n: f"{d}/{n}.{ext}"
            self.names = names
        elif vid in FILE_VOICES:
            pats, self.lang, self.package, self.license, self.talent = FILE_VOICES[vid][:5]
            self.max_utt = FILE_VOICES[vid][5] if len(FILE_VOICES[vid]) > 5 else 9.0
            pats = [pat.replace("{src}", src) for pat in pats]
            self.names = sorted(f for pat in pats for f in glob.glob(pat))
            if not self.names:
                raise FileNotFoundError(f"voice {vid}: no files match {pats} (run setup_sources.sh)")
            self.path = lambda n: n
        elif vid in SUNG_VOICES:
            pats, self.lang, self.package, self.license, self.talent, self.sung_kind, self.sung_desc = SUNG_VOICES[vid]
            self.names = sorted(f for pat in pats for f in glob.glob(pat.replace("{src}", src)))
            if not self.names:
                raise FileNotFoundError(f"voice {vid}: no files match {pats} (run setup_sources.sh)")
        elif vid.startswith("pyannote"):
            self.lang, self.package, self.license = "en", "PyPI pyannote.audio==3.3.2 (pyannote/audio/sample/sample.wav)", "MIT (package); recording provenance not stated"
            self.talent = "conversational speaker " + vid[-3:]
        elif self.synthetic:
            self.lang = vid.split("_")[1]
            self.package, self.license, self.talent = "espeak-ng (synthetic TTS)", "GPL-3+ (engine)", "espeak-ng " + self.lang

    # --- clip access ---------------------------------------------------------
    def _ast(self, name):
        p = self.path(name)
        self.files_used.add(p)
        return trim(load(p, FS), FS), p

    def has(self, name):
        return self.id in ASTERISK_SPEAKERS and name in self.names

    def _espeak(self, text, voice, speed, pitch):
        h = hashlib.sha1(f"{text}|{voice}|{speed}|{pitch}".encode()).hexdigest()[:12]
        p = os.path.join(self.tmp, f"espeak_{h}.wav")
        if not os.path.exists(p):
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", p, text], check=True,
                           capture_output=True)
        self.files_used.add(f"espeak-ng -v {voice} -s {speed} -p {pitch}")
        return trim(load(p, FS), FS), f"espeak-ng[{voice},s{speed},p{pitch}]:{h}"

    def _espeak_voice(self):
        voices = {"en": ("en-us+m3", 165, 45)}
        return voices[self.lang]

    def _file_pool(self, lo, hi):
        return [n for n in self.names if lo <= dur_of(n) <= hi]

    def announcement(self, rng):
        if self.id in FILE_VOICES:
            ranked = sorted(self._file_pool(3.0, 14.0), key=lambda n: -dur_of(n))
            return self._ast(ranked[int(rng.integers(0, min(3, len(ranked))))])
        if self.synthetic:
            return self._espeak(ESPEAK_TEXT[f"{self.lang}_announce"][0], "en-us+f3", 150, 55)
        cands = [n for n in ANNOUNCE_NAMES if self.has(n)]
        ranked = sorted(cands, key=lambda n: -dur_of(self.path(n)))
        pick = ranked[int(rng.integers(0, min(3, len(ranked))))]
        return self._ast(pick)

    def ivr(self, rng, k):
        if self.id in FILE_VOICES:
            cands = self._file_pool(2.5, 16.0)
            picks = rng.choice(len(cands), size=min(k, len(cands)), replace=False)
            return [self._ast(cands[i]) for i in sorted(picks)]
        if self.synthetic:
            return [self._espeak(ESPEAK_TEXT[f"{self.lang}_ivr"][0], "en-us+f3", 150, 55)]
        cands = [n for n in IVR_NAMES if self.has(n) and 2.5 < dur_of(self.path(n)) < 16.0]
        if not cands:
            cands = [n for n in self.agent_pool() if dur_of(self.path(n)) > 4.0][:6]
        picks = rng.choice(len(cands), size=min(k, len(cands)), replace=False)
        return [self._ast(cands[i]) for i in sorted(picks)]

    def agent_pool(self):
        if self.id in FILE_VOICES:
            return self._file_pool(1.4, self.max_utt)
        if self.id in ASTERISK_SPEAKERS:
            pool = []
            for n in self.names:
                if any(e in n for e in EXCLUDE_AGENT) or n in ANNOUNCE_NAMES or n in IVR_NAMES:
                    continue
                L = dur_of(self.path(n))
                if 1.4 <= L <= 9.0:
                    pool.append(n)
            return pool
        return None

    def utterance(self, rng):
        """One real (or synthetic) utterance of this voice, never the same clip twice in a row."""
        for _ in range(8):
            x, p = self._utterance(rng)
            if p != getattr(self, "_last", None):
                break
        self._last = p
        return x, p

    def _utterance(self, rng, pool_cache={}):
        if self.id in ASTERISK_SPEAKERS or self.id in FILE_VOICES:
            if self.id not in pool_cache:
                pool_cache[self.id] = self.agent_pool()
            pool = pool_cache[self.id]
            return self._ast(pool[int(rng.integers(0, len(pool)))])
        if self.id.startswith("pyannote"):
            p = os.path.join(self.src, "pypi", "pyannote_sample.wav")
            self.files_used.add(p)
            s, e = PYANNOTE_REGIONS[self.id][int(rng.integers(0, len(PYANNOTE_REGIONS[self.id])))]
            x = load(p, FS)
            return trim(x[int(s * FS):int(e * FS)], FS), f"{p}[{s}-{e}]"
        if self.synthetic:
            v, s, pch = self._espeak_voice()
            texts = ESPEAK_TEXT[f"{self.lang}_agent"]
            return self._espeak(texts[int(rng.integers(0, len(texts)))], v, s, pch)
        raise ValueError(self.id)

    def sung(self, rng):
        """A stretch of real singing: an excerpt (6-14 s) of a sung recording, or 3-6 sung exclamations in a row."""
        if self.sung_kind == "phrases":
            picks = [self.names[int(rng.integers(0, len(self.names)))] for _ in range(int(rng.integers(3, 7)))]
            parts = []
            for f in picks:
                self.files_used.add(f)
                parts += [trim(load(f, FS), FS), np.zeros(int(float(rng.uniform(0.15, 0.6)) * FS), np.float32)]
            return np.concatenate(parts[:-1]), "+".join(os.path.basename(f) for f in picks)
        f = self.names[int(rng.integers(0, len(self.names)))]
        self.files_used.add(f)
        x = load(f, FS)
        n = min(len(x), int(float(rng.uniform(6.0, 14.0)) * FS))
        a = int(rng.integers(0, len(x) - n + 1))
        y = x[a:a + n].copy()
        r = int(0.3 * FS)
        y[:r] *= ramp(r)
        y[-r:] *= ramp(r)[::-1]
        return y, f"{f}[{a / FS:.2f}-{(a + n) / FS:.2f}]"

    def rehold(self, rng):
        if self.has("one-moment-please"):
            return self._ast("one-moment-please")
        if self.synthetic:
            v, s, pch = self._espeak_voice()
            return self._espeak(ESPEAK_TEXT[f"{self.lang}_rehold"][0], v, s, pch)
        if self.has("pls-hold-while-try"):
            return self._ast("pls-hold-while-try")
        return self.utterance(rng)

    def describe(self):
        d = dict(id=self.id, language=self.lang, talent=self.talent, package=self.package,
                 license=self.license, synthetic=self.synthetic)
        if self.id in SUNG_VOICES:
            d["sung"] = True
        return d


# ----------------------------------------------------------------------------- channel

def mulaw(x):
    mu = 255.0
    x = np.clip(x, -1, 1)
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    q = np.round(y * 127.0) / 127.0  # 8-bit code
    return (np.sign(q) * ((1 + mu) ** np.abs(q) - 1) / mu).astype(np.float32)


def band(x, sr, lo, hi):
    sos = butter(4, [lo, hi], btype="band", fs=sr, output="sos")
    return sosfiltfilt(sos, x).astype(np.float32)


def _rs(x, sr_in, sr_out):
    if sr_in == sr_out:
        return x.astype(np.float32)
    from math import gcd
    g = gcd(sr_in, sr_out)
    return resample_poly(x, sr_out // g, sr_in // g).astype(np.float32)


def write_wav(p, x, sr):
    xi = np.clip(np.round(np.asarray(x, np.float64) * 32768.0), -32768, 32767).astype(np.int16)
    sf.write(p, xi, sr, subtype="PCM_16", format="FLAC" if p.endswith(".flac") else "WAV")


def read_wav(p):
    x, sr = sf.read(p, dtype="float32")
    return x if x.ndim == 1 else x.mean(1), sr


def dropouts(x, sr, rate, rng, frame=0.02):
    """Gilbert-Elliott bursty frame loss; lost frames are zeroed (no PLC), 2 ms ramps."""
    if rate <= 0:
        return x, []
    n = int(len(x) / (frame * sr))
    p_bad = rate / 2.0
    lost, state, out = [], 0, x.copy()
    for i in range(n):
        state = (rng.random() < p_bad) if state == 0 else (rng.random() < 0.5)
        if state:
            lost.append(i)
    r = int(0.002 * sr)
    spans = []
    for i in lost:
        a, b = int(i * frame * sr), int((i + 1) * frame * sr)
        out[a:b] = 0
        out[max(0, a - r):a] *= ramp(r)[::-1][: a - max(0, a - r)]
        if spans and abs(spans[-1][1] - a / sr) < 1e-6:
            spans[-1][1] = b / sr
        else:
            spans.append([a / sr, b / sr])
    return out, [[round(s, 3), round(e, 3)] for s, e in spans]


def channel(x, codec, sr_out, rng, tmp, loss=0.0, opus_kbps=None):
    """x: far mix at FS. Returns (y at sr_out, info dict)."""
    info = dict(codec=codec, stored_rate=sr_out)
    if codec == "g711u":
        y = mulaw(band(_rs(x, FS, 8000), 8000, 300, 3400))
        y, drops = dropouts(y, 8000, loss, rng)
        y, rate = y, 8000
        info.update(bandwidth="narrowband 300-3400 Hz", law="mu-law", packet_loss=loss)
    elif codec == "gsm":
        a, b, c = (os.path.join(tmp, n) for n in ("g_in.wav", "g.gsm", "g_out.wav"))
        write_wav(a, band(_rs(x, FS, 8000), 8000, 200, 3600), 8000)
        subprocess.run(["sox", "-R", "-D", a, "-r", "8000", "-c", "1", b], check=True, capture_output=True)
        subprocess.run(["sox", "-R", "-D", b, "-b", "16", c], check=True, capture_output=True)
        y, rate = read_wav(c)
        y, drops = dropouts(y, 8000, loss, rng)
        info.update(bandwidth="narrowband", detail="GSM 06.10 full-rate (libgsm via sox)", packet_loss=loss)
    elif codec == "g722":
        x16 = _rs(x, FS, 16000)
        a, c = os.path.join(tmp, "w_in.raw"), os.path.join(tmp, "w.g722")
        np.clip(x16 * 32768, -32768, 32767).astype("<i2").tofile(a)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", a,
                        "-c:a", "g722", "-f", "g722", c], check=True, capture_output=True)
        raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "g722", "-i", c, "-f", "s16le", "-ar", "16000", "-"],
                             check=True, capture_output=True).stdout
        y = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
        y, drops = dropouts(y, 16000, loss, rng)
        rate = 16000
        info.update(bandwidth="wideband 50-7000 Hz", detail="G.722 64 kbit/s (ffmpeg)", packet_loss=loss)
    elif codec == "opus":
        kbps = opus_kbps or int(rng.choice([12, 16, 20, 24]))
        a, b, c = (os.path.join(tmp, n) for n in ("o_in.wav", "o.opus", "o_out.wav"))
        write_wav(a, x, FS)
        subprocess.run(["opusenc", "--quiet", "--bitrate", str(kbps), "--framesize", "20", "--serial", "1",
                        "--comp", "10", a, b], check=True, capture_output=True)
        pl = int(round(loss * 100))
        cmd = ["opusdec", "--quiet", "--rate", "48000"] + (["--packet-loss", str(pl)] if pl else []) + [b, c]
        subprocess.run(cmd, check=True, capture_output=True)
        y, rate = read_wav(c)
        drops = []
        info.update(bandwidth="wideband/super-wideband (bitrate dependent)", detail=f"Opus {kbps} kbit/s VBR, 20 ms (opus-tools)",
                    packet_loss=loss, opus_kbps=kbps)
    else:
        raise ValueError(codec)
    y = _rs(y, rate, sr_out)
    n = int(round(len(x) / FS * sr_out))
    y = np.pad(y, (0, max(0, n - len(y))))[:n]
    info["dropouts"] = drops
    return y, info


def soft_limit(x, thr=0.7):
    y = x.copy()
    m = np.abs(y) > thr
    y[m] = np.sign(y[m]) * (thr + (1 - thr) * np.tanh((np.abs(y[m]) - thr) / (1 - thr)))
    return y


# ----------------------------------------------------------------------------- scenario

def music_stream(x, offset, n, xfade):
    """n samples of x starting at offset, looping the track with a crossfade of xfade samples."""
    y = x.copy()
    while len(y) < offset + n:
        k = min(xfade, len(x) // 4)
        y = np.concatenate([y[:-k], y[-k:] * ramp(k)[::-1] + x[:k] * ramp(k), x[k:]]).astype(np.float32)
    return y[offset:offset + n]


def make_rir(sr, rng, rt60):
    n = int(rt60 * sr)
    t = np.arange(n) / sr
    h = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * t / rt60).astype(np.float32)
    h[0] = 1.0
    h[1:int(0.002 * sr)] *= 0.2
    return h / np.sqrt(np.sum(h ** 2))


def ringback_tone(kind, cycles, rng):
    if kind == "us":
        on, off, freqs = 2.0, 4.0, (440.0, 480.0)
    else:
        on, off, freqs = 1.0, 4.0, (425.0,)
    t = np.arange(int(on * FS)) / FS
    burst = sum(np.sin(2 * np.pi * f * t) for f in freqs).astype(np.float32) / len(freqs)
    r = int(0.01 * FS)
    burst[:r] *= ramp(r)
    burst[-r:] *= ramp(r)[::-1]
    period = on + off
    last_off = float(rng.uniform(0.6, 3.0))
    y = np.zeros(int(((cycles - 1) * period + on + last_off) * FS), np.float32)
    for c in range(cycles):
        i = int(c * period * FS)
        y[i:i + len(burst)] += burst
    return y, dict(standard=kind, on_s=on, off_s=off, freqs_hz=list(freqs), cycles=cycles)


def build_scenario(name, tpl, setcfg, sidx, src, tmp, mic_sr, music_cat):
    seed = setcfg["seed"] * 1000 + sidx
    rng = np.random.default_rng(seed)
    combos = setcfg["combos"]
    if tpl.get("same_voice"):
        combo = _by_index(setcfg["same_voice"], sidx // 16)
    elif tpl["tag"] == "silent_hold_clicks":
        combo = _by_index(setcfg["synthetic_combo"], sidx // 16)
    elif tpl["tag"] == "low_level" and setcfg.get("tts_announcer"):
        combo = (setcfg["tts_announcer"],) + tuple(combos[sidx % len(combos)][1:])
    else:
        combo = combos[sidx % len(combos)]
    ann_v, agent_v, user_v = (Voice(v, src, seed + k, tmp) for k, v in enumerate(combo))
    far, mic = Timeline(FS), Timeline(mic_sr)
    segs, user_speech, hard = [], [], [tpl["tag"]]
    mute, open_, dont_care, onsets, hold_starts = [], [], [], [], []
    music_used = []

    L = float(rng.uniform(*tpl.get("level", (-26, -12))))  # active speech level before codec, dBFS
    agent_rel = float(rng.uniform(-3, 2))
    agent_bg = rng.random() < 0.6
    agent_bg_db = float(rng.uniform(-58, -46))
    user_db = float(rng.uniform(-28, -18))
    mrng = np.random.default_rng([seed, 7])  # mic-side noise: independent of --mic-rate/--format
    rir = make_rir(mic_sr, mrng, float(rng.uniform(0.15, 0.45)))

    def seg(s, e, kind, **kw):
        d = dict(start=round(s, 3), end=round(e, 3), kind=kind, track="far")
        d.update(kw)
        segs.append(d)

    def user_say(t, context, n=None, max_len=None):
        n = n or (1 if rng.random() < 0.7 else 2)
        for k in range(n):
            for _ in range(12):
                x, p = user_v.utterance(rng)
                if max_len is None or len(x) / FS <= max_len:
                    break
            e = t + len(x) / FS  # clip is already trimmed to its first/last speech frame
            x = to_level(_rs(x, FS, mic_sr), mic_sr, user_db + float(rng.uniform(-3, 3)))
            x = fftconvolve(x, rir)[: len(x) + int(0.2 * mic_sr)].astype(np.float32)
            mic.add(t, x)
            user_speech.append([round(t, 3), round(e, 3)])
            segs.append(dict(start=round(t, 3), end=round(e, 3), kind="user_speech", track="mic", context=context,
                             source=os.path.basename(p)))
            t = e + float(rng.uniform(0.15, 0.5))
        return t - 0.15

    # ---- pre-roll + ringback + IVR (dont_care)
    t = float(rng.uniform(0.3, 1.0))
    seg(0, t, "line_silence")
    rb_kind = tpl.get("ringback", "eu" if rng.random() < 0.55 else "us")
    ring = None
    if rng.random() < 0.9 or tpl.get("ringback"):
        y, ring = ringback_tone(rb_kind, int(rng.integers(1, 4)), rng)
        far.add(t, y, db(L + float(rng.uniform(-6, 0))) * np.sqrt(2))
        seg(t, t + len(y) / FS, "ringback", standard=rb_kind)
        if rng.random() < 0.3:
            user_say(t + 0.5, "dont_care", 1)
        t += len(y) / FS
    ivr_files = []
    if tpl.get("ivr", rng.random() < 0.85):
        s0 = t
        for x, p in ann_v.ivr(rng, int(rng.integers(1, 3))):
            far.add(t, to_level(x, FS, L + float(rng.uniform(-2, 2))))
            ivr_files.append(p)
            t += len(x) / FS + float(rng.uniform(0.4, 0.9))
        seg(s0, t, "ivr_menu", source=[os.path.basename(p) for p in ivr_files])
        g = float(rng.uniform(0.5, 1.5))
        seg(t, t + g, "line_silence")
        t += g
    dont_care.append([0.0, t])

    ann_x, ann_p = ann_v.announcement(rng)
    ann_x = to_level(ann_x, FS, L + float(rng.uniform(-3, 2)))
    ann_every = float(rng.uniform(*tpl.get("ann_every", (20, 60))))
    music_keys = []
    cn_db = float(rng.uniform(-60, -45))
    hold_info = []

    for hi, hkind in enumerate(tpl["holds"]):
        H = float(rng.uniform(*tpl["hold"])) * (0.7 if hi else 1.0)
        hs, he = t, t + H
        hold_starts.append(hs)
        mute_start = hs
        info = dict(kind=hkind, start=round(hs, 3))
        priv_n = int(rng.integers(*tpl.get("private", (0, 3))))
        if hkind == "music":
            pool = setcfg["music"][tpl.get("music", "generic")]
            key = pool[int(rng.integers(0, len(pool)))]
            if music_keys and len(pool) > 1:
                key = [k for k in pool if k not in music_keys][int(rng.integers(0, len(pool) - 1))]
            if setcfg.get("music_spread"):  # extra: the track is assigned per set (same draws as above are still made)
                key = _spread_key(setcfg, sidx, hi)
            music_keys.append(key)
            mx = load(music_cat[key]["path"], FS)
            if "vmr" in tpl:  # new sets: draw the voice-to-music ratio of the agent's return instead
                vmr_nominal = float(rng.uniform(*tpl["vmr"]))
                rel = agent_rel - vmr_nominal
            else:
                rel = float(rng.uniform(*tpl.get("music_rel", (-6, 2))))
            music_lvl = L + rel
            mx = to_level(mx, FS, music_lvl)
            off = int(rng.integers(0, max(1, len(mx) - int(20 * FS))))
            ret = tpl["ret"]
            if ret == "fade":
                F = float(rng.uniform(1.5, 3.0))
                fade_start = he - float(rng.uniform(0.3, 0.7)) * F
                onset = fade_start + float(rng.uniform(0.3, 0.6)) * F
                music_end = fade_start + F
            elif ret == "over":
                onset = he
                music_end = onset + float(rng.uniform(0.8, 2.0))
            else:
                onset = he + float(rng.uniform(0.05, 0.6))
                music_end = he
            n = int(round((music_end - hs) * FS))
            bed = music_stream(mx, off, n, int(0.05 * FS))
            env = np.ones(n, np.float32)
            fi = int(float(rng.uniform(0.0, 1.0)) * FS)
            if fi > 0:
                env[:fi] *= ramp(fi)
            if ret == "fade":
                a = int((fade_start - hs) * FS)
                env[a:] *= ramp(n - a)[::-1]
            # announcements
            ann_times = []
            ta = hs + float(rng.uniform(0.0, 10.0))
            mode = tpl.get("ann")
            while mode and ta + len(ann_x) / FS < (onset if ret != "fade" else fade_start) - 2.0:
                ann_times.append(ta)
                ta += len(ann_x) / FS + ann_every + float(rng.uniform(-1.5, 1.5))
            music_pieces, cur = [], hs
            for ta in ann_times:
                ae = ta + len(ann_x) / FS
                far.add(ta, ann_x)
                seg(ta, ae, "hold_announcement", source=os.path.basename(ann_p),
                    over_music=(mode == "duck"))
                if mode == "duck":
                    duck = db(-float(rng.uniform(12, 18)))
                    a, b = int((ta - 0.4 - hs) * FS), int((ae + 0.6 - hs) * FS)
                    r = int(0.3 * FS)
                    a, b = max(a, 0), min(b, n)
                    env[a:b] *= duck
                    env[max(0, a - r):a] *= (1 - (1 - duck) * ramp(a - max(0, a - r)))
                    env[b:b + r] *= (duck + (1 - duck) * ramp(len(env[b:b + r])))
                else:
                    a, b = int((ta - 0.3 - hs) * FS), int((ae + 0.4 - hs) * FS)
                    a, b = max(a, 0), min(b, n)
                    r = int(0.05 * FS)
                    env[a:b] = 0
                    env[max(0, a - r):a] *= ramp(a - max(0, a - r))[::-1]
                    env[b:b + r] *= ramp(len(env[b:b + r]))
                    music_pieces.append((cur, ta - 0.3))
                    cur = ae + 0.4
            music_pieces.append((cur, music_end))
            vocals = None
            if tpl.get("vocals"):
                vv = Voice(_by_index(setcfg["vocal_voice"], sidx), src, seed + 7, tmp)
                tv = hs + float(rng.uniform(2, 5))
                vlvl = music_lvl - float(rng.uniform(3, 7))
                vrir = make_rir(FS, rng, 0.6)
                sung = vv.id in SUNG_VOICES
                while tv < music_end - 3:
                    x, _ = vv.sung(rng) if sung else vv.utterance(rng)
                    if sung and vv.sung_kind == "song":  # a finished recording: no extra room
                        x = np.concatenate([to_level(x, FS, vlvl), np.zeros(int(0.3 * FS), np.float32)])
                    else:
                        x = fftconvolve(to_level(x, FS, vlvl), vrir)[: len(x) + int(0.3 * FS)].astype(np.float32)
                    i0 = int((tv - hs) * FS)
                    seglen = min(len(x), n - i0)
                    bed[i0:i0 + seglen] += x[:seglen]
                    tv += len(x) / FS + float(rng.uniform(0.4, 2.0))
                vocals = dict(voice=vv.describe(), files=sorted(vv.files_used),
                              note="real recorded speech mixed into the music bed with reverb, as a proxy for sung vocals")
                if sung:
                    vocals["sung"] = True
                    vocals["note"] = (f"REAL SINGING (sung): {vv.sung_desc}; " +
                                      ("excerpts of the recording (with its own accompaniment) mixed into the instrumental bed"
                                       if vv.sung_kind == "song" else "mixed into the instrumental bed with reverb"))
                    hard.append("music_with_singing")
                hard.append("music_with_voice")
            far.add(hs, bed * env)
            if setcfg.get("extra_labels"):  # music level (RMS, pre-codec) in the 0.5 s after the agent onset
                i0 = int(round((onset - hs) * FS))
                w = (bed * env)[i0:i0 + int(0.5 * FS)]
                info["music_dbfs_at_onset"] = round(float(10 * np.log10(np.mean(w ** 2) + 1e-12)), 1) if len(w) > int(0.05 * FS) else None
            for a, b in music_pieces:
                if b - a > 0.2:
                    seg(a, b, "hold_music", music=key, level_rel_speech_db=round(rel, 1),
                        **({"fade_out": [round(fade_start, 3), round(music_end, 3)]} if ret == "fade" and b == music_end else {}),
                        **({"vocals": "voice_overlay"} if vocals else {}))
            if ret == "abrupt" and onset - music_end > 0.01:
                seg(music_end, onset, "line_silence", note="music stopped, agent not yet speaking")
            if ret in ("fade", "over"):
                hard.append("agent_over_music")
            info.update(music=key, music_level_rel_speech_db=round(rel, 1), announce_mode=mode,
                        announce_every_s=round(ann_every, 1) if ann_times else None, announcements=len(ann_times),
                        agent_return=ret, vocals=vocals)
            music_used.append(key)
        else:  # silent hold
            onset = he + float(rng.uniform(0.1, 0.8))
            n = int(round((onset - hs) * FS))
            cn = pink(n, rng) * db(cn_db)
            if tpl.get("clicks"):
                tc = float(rng.uniform(3, 12))
                clicks = []
                while tc < (onset - hs) - 1:
                    i = int(tc * FS)
                    L2 = int(rng.integers(int(0.002 * FS), int(0.008 * FS)))
                    cn[i:i + L2] += (rng.standard_normal(L2) * db(float(rng.uniform(-40, -28)))).astype(np.float32) * ramp(L2)[::-1]
                    clicks.append(round(hs + tc, 3))
                    tc += float(rng.uniform(4, 20))
                info["clicks"] = clicks
            far.add(hs, cn)
            seg(hs, onset, "hold_silence", comfort_noise_dbfs=round(cn_db, 1))
            ann_times = []
            if tpl.get("ann") == "over_silence":
                ta = hs + float(rng.uniform(3.0, 12.0))
                while ta + len(ann_x) / FS < onset - 2.0:
                    far.add(ta, ann_x)
                    seg(ta, ta + len(ann_x) / FS, "hold_announcement", source=os.path.basename(ann_p), over_music=False)
                    ann_times.append(ta)
                    ta += len(ann_x) / FS + ann_every + float(rng.uniform(-1.5, 1.5))
            info.update(comfort_noise_dbfs=round(cn_db, 1), announcements=len(ann_times), agent_return="abrupt")
            hard.append("silent_hold")
        # private user speech during the hold (must never leak)
        slots = []
        for k in range(priv_n):
            for _ in range(20):
                ts = float(rng.uniform(hs + 3, max(hs + 4, onset - 10)))
                if all(abs(ts - s2) > 9 for s2 in slots):
                    slots.append(ts)
                    break
        for ts in sorted(slots):
            user_say(ts, "private_hold")
        if tpl.get("straddle"):
            user_say(onset - float(rng.uniform(0.6, 1.4)), "private_hold_straddles_onset", 1)
            hard.append("private_speech_at_agent_onset")
        elif priv_n and rng.random() < 0.5:
            user_say(onset - float(rng.uniform(3.0, 5.0)), "private_hold", 1)
        mute.append([round(mute_start, 3), round(onset, 3)])
        onsets.append(round(onset, 3))
        info["agent_onset"] = round(onset, 3)
        hold_info.append(info)

        # ---- LIVE
        live_len = float(rng.uniform(*tpl["live"])) * (0.8 if hi else 1.0)
        last = hi == len(tpl["holds"]) - 1
        t = onset
        t_end = onset + live_len
        first_utt = True
        if agent_bg:
            pass  # rendered below over each open span
        turn = 0
        while True:
            nutt = int(rng.integers(1, 4))
            for u in range(nutt):
                x, p = agent_v.utterance(rng)
                a_db = L + agent_rel + float(rng.uniform(-2, 2))
                x = to_level(x, FS, a_db)
                if first_utt and setcfg.get("extra_labels"):
                    m_db = info.get("music_dbfs_at_onset")
                    info["agent_dbfs_at_onset"] = round(a_db, 1)
                    info["vmr_at_onset_db"] = round(a_db - m_db, 1) if m_db is not None else None
                first_utt = False
                far.add(t, x)
                seg(t, t + len(x) / FS, "live_agent", source=os.path.basename(str(p)))
                t += len(x) / FS
                if u < nutt - 1:
                    if tpl.get("thinking") and rng.random() < 0.6:
                        g, why = float(rng.uniform(2.5, 4.0)), "thinking"
                        hard.append("thinking_pause")
                    else:
                        g, why = float(rng.uniform(0.3, 0.9)), "intra_turn"
                    seg(t, t + g, "live_pause", reason=why)
                    t += g
            turn += 1
            if t > t_end:
                break
            # user answers (far end silent meanwhile), then the agent replies after a gap
            us = t + float(rng.uniform(0.5, 1.5))
            ue = user_say(us, "answer", n=1 if rng.random() < 0.75 else 2, max_len=4.5)
            seg(t, ue, "live_pause", reason="user_turn")
            if tpl.get("thinking") and rng.random() < 0.5:
                g, why = float(rng.uniform(2.5, 4.0)), "thinking"
                hard.append("thinking_pause")
            else:
                g, why = float(rng.uniform(0.3, 1.5)), "response_gap"
            seg(ue, ue + g, "live_pause", reason=why)
            t = ue + g
        if not last:
            g = float(rng.uniform(0.3, 0.8))
            seg(t, t + g, "live_pause", reason="intra_turn")
            t += g
            x, p = agent_v.rehold(rng)
            x = to_level(x, FS, L + agent_rel)
            far.add(t, x)
            seg(t, t + len(x) / FS, "live_agent", source=os.path.basename(str(p)), note="puts caller on hold")
            t += len(x) / FS
            g = float(rng.uniform(0.5, 1.2))
            seg(t, t + g, "live_pause", reason="before_hold")
            t += g
            open_.append([round(onset, 3), round(t, 3)])
        else:
            if rng.random() < 0.6:
                ue = user_say(t + float(rng.uniform(0.4, 1.0)), "answer", 1, max_len=4.5)
                seg(t, ue, "live_pause", reason="user_turn")
                t = ue
            g = float(rng.uniform(0.6, 1.5))
            seg(t, t + g, "live_pause", reason="call_end")
            t += g
            open_.append([round(onset, 3), round(t, 3)])
    if len(tpl["holds"]) > 1:
        hard.append("second_hold")
    duration = round(t, 3)

    # agent-side background noise over open spans
    if agent_bg:
        for a, b in open_:
            n = int((b - a) * FS)
            far.add(a, pink(n, rng) * db(agent_bg_db) * np.concatenate([ramp(int(0.02 * FS)), np.ones(max(0, n - int(0.02 * FS)), np.float32)])[:n])
    y = far.render(duration)
    y += (rng.standard_normal(len(y)) * db(-84)).astype(np.float32)  # line floor
    codec, sr_out = tpl["chan"]
    loss = float(rng.uniform(*tpl["loss"])) if "loss" in tpl else (0.005 if rng.random() < 0.25 else 0.0)
    yc, chinfo = channel(y, codec, sr_out, rng, tmp, loss=loss, opus_kbps=tpl.get("opus_kbps"))
    drift = db(float(rng.uniform(-1.5, 1.5)) * np.sin(2 * np.pi * np.arange(len(yc)) / len(yc) * float(rng.uniform(0.5, 2))))
    yc = soft_limit(yc * drift.astype(np.float32))
    if codec != "opus" and chinfo["dropouts"]:
        hard.append("packet_loss")
    if L < -29:
        hard.append("low_level")
    if sr_out == 8000 or codec in ("g711u", "gsm"):
        hard.append("narrowband")

    # mic: room noise + keyboard-ish clicks + user speech (already placed)
    room_db = float(rng.uniform(-64, -50))
    m = mic.render(duration)
    m += pink(len(m), mrng) * db(room_db)
    for tc in np.cumsum(mrng.exponential(6.0, size=int(duration / 3) + 1)):
        if tc >= duration - 0.1 or mrng.random() < 0.5:
            continue
        i = int(tc * mic_sr)
        k = int(0.004 * mic_sr)
        m[i:i + k] += (mrng.standard_normal(k) * db(room_db + 18)).astype(np.float32) * ramp(k)[::-1]
    m = soft_limit(m)

    os.makedirs(args.out, exist_ok=True)
    ext = args.format
    write_wav(os.path.join(args.out, f"{name}.far.{ext}"), yc, sr_out)
    write_wav(os.path.join(args.out, f"{name}.mic.{ext}"), m, mic_sr)

    segs.sort(key=lambda d: (d["start"], d["track"]))
    lab = dict(
        name=name, generator=f"gen_corpus.py {setcfg.get('gen_version', GEN_VERSION)}", set=args.set, seed=seed,
        far=f"{name}.far.{ext}", mic=f"{name}.mic.{ext}", duration=duration,
        sample_rate_far=sr_out, sample_rate_mic=mic_sr,
        hard_cases=sorted(set(hard)),
        segments=segs,
        expect=dict(mute=mute, open=open_, dont_care=[[round(a, 3), round(b, 3)] for a, b in dont_care]),
        agent_onsets=onsets, hold_starts=[round(h, 3) for h in hold_starts],
        user_speech=user_speech,
        channel=chinfo,
        levels=dict(speech_active_dbfs_pre_codec=round(L, 1), agent_rel_db=round(agent_rel, 1),
                    agent_background_dbfs=round(agent_bg_db, 1) if agent_bg else None,
                    mic_room_noise_dbfs=round(room_db, 1), mic_user_speech_dbfs=round(user_db, 1)),
        ringback=ring, holds=hold_info,
        voices=dict(announcer=ann_v.describe(), agent=agent_v.describe(), user=user_v.describe()),
        announcement_file=ann_p,
        sources=sorted(set().union(ann_v.files_used, agent_v.files_used, user_v.files_used,
                                   [music_cat[k]["path"] for k in music_used],
                                   *[set(h["vocals"]["files"]) for h in hold_info if h.get("vocals")])),
    )
    if setcfg.get("extra_labels"):
        lab["vmr_at_onset_db"] = [h.get("vmr_at_onset_db") for h in hold_info]
        lab["vmr_note"] = ("per agent onset: active level of the agent's first utterance minus the RMS level of the hold "
                           "music in the 0.5 s after the onset, both pre-codec (dB); null = no music at the onset")
        lab["variant"] = tpl.get("variant")
    with open(os.path.join(args.out, f"{name}.json"), "w") as f:
        json.dump(lab, f, indent=1, ensure_ascii=False)
    return lab


def check_labels(lab):
    """Sanity: mute/open/dont_care tile [0, duration] without overlap."""
    spans = sorted([tuple(s) + ("m",) for s in lab["expect"]["mute"]] + [tuple(s) + ("o",) for s in lab["expect"]["open"]] +
                   [tuple(s) + ("d",) for s in lab["expect"]["dont_care"]])
    t = 0.0
    for a, b, k in spans:
        assert abs(a - t) < 2e-3, (lab["name"], "gap/overlap at", t, a, k)
        assert b > a
        t = b
    assert abs(t - lab["duration"]) < 2e-3, (lab["name"], t, lab["duration"])


def write_manifest(out, labs, music_cat, setname):
    files = sorted(os.listdir(out))
    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in files if f.endswith((".wav", ".flac", ".json"))}
    voices, music = {}, {}
    src_files = set()
    for lab in labs:
        for role, v in lab["voices"].items():
            voices.setdefault(v["id"], dict(v, roles=set()))["roles"].add(role)
        for h in lab["holds"]:
            if h.get("music"):
                music.setdefault(h["music"], music_cat[h["music"]])
            if h.get("vocals"):
                v = h["vocals"]["voice"]
                voices.setdefault(v["id"], dict(v, roles=set()))["roles"].add("music_voice_overlay")
        src_files.update(lab["sources"])
    total = sum(sizes.values())
    # seconds of speech per voice, real vs synthetic
    speech_s = {}
    for lab in labs:
        V = lab["voices"]
        for sg in lab["segments"]:
            role = {"live_agent": "agent", "hold_announcement": "announcer", "ivr_menu": "announcer",
                    "user_speech": "user"}.get(sg["kind"])
            if role:
                vid = V[role]["id"]
                speech_s[vid] = speech_s.get(vid, 0.0) + sg["end"] - sg["start"]
    syn = sum(v for k, v in speech_s.items() if k.startswith("espeak"))
    real = sum(speech_s.values()) - syn
    pkgs = {}
    for path in src_files:
        if path.startswith("/usr/"):
            q = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True).stdout
            pk = q.split(":")[0].strip() if q else "?"
            if pk not in pkgs:
                ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pk], capture_output=True, text=True).stdout
                pkgs[pk] = dict(source="Debian 12", version=ver, copyright=f"/usr/share/doc/{pk}/copyright")
        elif path.startswith("espeak-ng"):
            ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "espeak-ng"], capture_output=True, text=True).stdout
            pkgs["espeak-ng"] = dict(source="Debian 12", version=ver, copyright="/usr/share/doc/espeak-ng/copyright",
                                     note="synthetic voice")
        elif path.startswith(os.path.join(args.src, "extra") + os.sep):
            sub = os.path.relpath(path.split("[")[0], os.path.join(args.src, "extra")).split(os.sep)[0]
            deb = {"ufoai": "ufoai-music", "nexuiz": "nexuiz-music", "wz2100": "warzone2100-data", "gcompris": "gcompris-qt-data",
                   "tecnoballz": "tecnoballz-data"}.get(sub)
            if deb:
                ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", deb], capture_output=True, text=True).stdout
                pkgs[deb] = dict(source="Debian 12 (unpacked into --src by setup_sources.sh)", version=ver,
                                 copyright=f"/usr/share/doc/{deb}/copyright")
            else:
                pp = {"librivox": "pocketsphinx==5.1.1", "vocadito": "basic-pitch==0.4.0"}.get(sub, "?")
                pkgs["PyPI " + pp] = dict(source="PyPI sdist (downloaded, not installed)", file=sub + "/")
        elif path.startswith(os.path.join(args.src, "fresh") + os.sep):
            rel = os.path.relpath(path.split("[")[0], os.path.join(args.src, "fresh")).split(os.sep)
            deb = "flight-of-the-amazon-queen" if rel[0] == "fotaq" else rel[1]
            pkgs[deb] = dict(source="Debian 12 (apt-get download, unpacked into --src by setup_sources.sh)",
                             version=FRESH_DEBS.get(deb, "?"),
                             copyright=os.path.join(args.src, "fresh", "pkgs", deb, "usr", "share", "doc", deb, "copyright"))
        else:
            b = os.path.basename(path.split("[")[0])
            pp = {"pyannote_sample.wav": "pyannote.audio==3.3.2", "Kevin_MacLeod_-_Vibe_Ace.ogg": "librosa==0.7.2",
                  }.get(b, "?")
            pkgs["PyPI " + pp] = dict(source="PyPI (downloaded, not installed)", file=b)
    man_extra = dict(speech_seconds_by_voice={k: round(v, 1) for k, v in sorted(speech_s.items())},
                     real_speech_s=round(real, 1), synthetic_speech_s=round(syn, 1), packages=pkgs)
    man = dict(set=setname, seed=SETS[setname]["seed"], generator_version=GEN_VERSION, scenarios=len(labs),
               total_bytes=total, total_audio_s=round(sum(l["duration"] for l in labs), 1),
               files=sizes, voices={k: dict(v, roles=sorted(v["roles"])) for k, v in sorted(voices.items())},
               music=music, **man_extra, source_files=sorted(src_files))
    with open(os.path.join(out, "MANIFEST.json"), "w") as f:
        json.dump(man, f, indent=1, ensure_ascii=False)
    L = [f"# MANIFEST — {setname} set", "",
         f"seed {SETS[setname]['seed']}, generator {GEN_VERSION}, {len(labs)} scenarios, "
         f"{man['total_audio_s']/60:.1f} min of calls, {total/1e6:.1f} MB on disk.",
         f"Audio: 16-bit mono {labs[0]['far'].rsplit('.', 1)[-1].upper()}; far track at its stored rate (table), "
         f"mic track at {labs[0]['sample_rate_mic']} Hz.", "",
         "| scenario | dur s | far rate | codec | hard cases | size MB |", "|---|---|---|---|---|---|"]
    for lab in labs:
        sz = sum(sizes.get(f, 0) for f in (lab["far"], lab["mic"], lab["name"] + ".json"))
        L.append(f"| {lab['name']} | {lab['duration']:.1f} | {lab['sample_rate_far']} | {lab['channel']['codec']} "
                 f"| {', '.join(lab['hard_cases'])} | {sz/1e6:.1f} |")
    L += ["", "## Voices (real recordings unless marked synthetic)", "",
          "| id | language | talent | package | license | roles |", "|---|---|---|---|---|---|"]
    for k, v in sorted(voices.items()):
        L.append(f"| {k} | {v['language']} | {v['talent']}{' (SYNTHETIC)' if v['synthetic'] else ''} | {v['package']} | {v['license']} | {', '.join(sorted(v['roles']))} |")
    L += ["", f"Speech on the tracks: {real:.0f} s real recordings, {syn:.0f} s synthetic (espeak-ng) "
          f"= {100 * real / max(real + syn, 1e-9):.0f}% real.", "",
          "| voice | seconds |", "|---|---|"] + [f"| {k} | {v:.0f} |" for k, v in sorted(speech_s.items())]
    L += ["", "## Packages", "", "| package | source | version / file | copyright |", "|---|---|---|---|"]
    for k, v in sorted(pkgs.items()):
        L.append(f"| {k} | {v['source']} | {v.get('version', v.get('file', ''))} | {v.get('copyright', '')} |")
    L += ["", "## Music", "", "| key | file | author | genre (approx.) | package | license |", "|---|---|---|---|---|---|"]
    for k, m in sorted(music.items()):
        L.append(f"| {k} | {m['path']} | {m['author']} | {m['genre']} | {m['package']} | {m['license']} |")
    L += ["", f"## Source files used ({len(src_files)})", ""] + [f"- {s}" for s in sorted(src_files)]
    with open(os.path.join(out, "MANIFEST.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    return man


def main():
    global args
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=sorted(SETS), required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--src", default=DEFAULT_SRC, help="folder filled by setup_sources.sh")
    ap.add_argument("--mic-rate", type=int, default=48000, help="mic track sample rate (spec: 48000)")
    ap.add_argument("--format", choices=["wav", "flac"], default="wav",
                    help="container for the audio tracks (spec: wav; flac is lossless and ~2.5-5x smaller)")
    ap.add_argument("--only", help="generate only scenarios whose name contains this")
    args = ap.parse_args()
    cfg = SETS[args.set]
    music_cat = music_catalog(args.src)
    labs = []
    with tempfile.TemporaryDirectory() as tmp:
        reps = cfg.get("repeats", 1)
        jobs = []
        for rep in range(reps):
            for i, tpl in enumerate(TEMPLATES):
                if reps == 1:
                    jobs.append((f"{args.set}_{i + 1:02d}_{tpl['tag']}", tpl, i))
                else:
                    t = dict(variant(tpl, rep, i), variant="abc"[rep])
                    jobs.append((f"{args.set}_{i + 1:02d}{'abc'[rep]}_{tpl['tag']}", t, rep * len(TEMPLATES) + i))
        for name, tpl, sidx in sorted(jobs):
            if args.only and args.only not in name:
                continue
            lab = build_scenario(name, tpl, cfg, sidx, args.src, tmp, args.mic_rate, music_cat)
            check_labels(lab)
            labs.append(lab)
            print(f"{name}: {lab['duration']:.1f}s far={lab['sample_rate_far']}Hz {lab['channel']['codec']} "
                  f"holds={len(lab['expect']['mute'])} hard={','.join(lab['hard_cases'])}", flush=True)
    if not args.only:
        man = write_manifest(args.out, labs, music_cat, args.set)
        print(f"{args.set}: {len(labs)} scenarios, {man['total_audio_s']/60:.1f} min, {man['total_bytes']/1e6:.1f} MB")


if __name__ == "__main__":
    main()
