#!/usr/bin/env bash
# Installs the tools and every real audio source of the "dev", "train", "extra" and "fresh" sets of the hold-call corpus.
# Debian 12 (bookworm), run as root. Needs only the Debian archive and PyPI. Idempotent (re-running skips done steps).
#   bash scripts/corpus/setup_sources.sh SRC_DIR            (e.g. /srv/corpus-sources; pass the same --src to gen_corpus.py)
#   bash scripts/corpus/setup_sources.sh SRC_DIR --no-extra (dev + train only: the same as the shared tools/setup_sources.sh)
#   bash scripts/corpus/setup_sources.sh SRC_DIR --no-fresh (dev + train + extra, without the "fresh" set's sources)
# Do not add other files of the packages listed in RESERVED.md: they are kept for independent evaluation.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="${1:?usage: setup_sources.sh SRC_DIR [--no-extra | --no-fresh]}"
EXTRA=1; [ "${2:-}" = "--no-extra" ] && EXTRA=0
FRESH=1; [ "${2:-}" = "--no-fresh" ] && FRESH=0
mkdir -p "$SRC/pypi"

export DEBIAN_FRONTEND=noninteractive
apt-get update
# ---------------------------------------------------------------- dev + train (as the shared tools/setup_sources.sh)
# tools + dev sources
apt-get install -y --no-install-recommends \
  sox libsox-fmt-all espeak-ng opus-tools ffmpeg \
  asterisk-core-sounds-en-wav asterisk-core-sounds-es-wav asterisk-core-sounds-it-wav \
  asterisk-prompt-it-menardi-wav asterisk-prompt-es-co asterisk-moh-opsound-wav \
  fretsonfire-songs-muldjord drascula-music singularity-music hyperrogue-music
# train sources (music: Wesnoth, Colobot, Warzone 2100, X-Moto, Fish Fillets; voices: Fish Fillets cs/en)
apt-get install -y --no-install-recommends \
  wesnoth-1.16-music colobot-common-sounds warzone2100-music xmoto-data fillets-ng-data fillets-ng-data-cs

python3 -m pip install --quiet "numpy>=1.24" "scipy>=1.10" "soundfile>=0.12"

# Real recordings shipped inside PyPI packages (downloaded, never installed).
DL="$SRC/pypi/dl"; mkdir -p "$DL"
[ -e "$DL/pyannote_audio-3.3.2-py2.py3-none-any.whl" ] || \
  python3 -m pip download --quiet --no-deps -d "$DL" "pyannote.audio==3.3.2"
[ -e "$DL/librosa-0.7.2.tar.gz" ] || \
  python3 -m pip download --quiet --no-deps --no-binary librosa -d "$DL" "librosa==0.7.2"

python3 - "$DL" "$SRC/pypi" <<'PY'
import sys, zipfile, tarfile, os, glob, shutil
dl, out = sys.argv[1], sys.argv[2]
want = {
  "pyannote_audio-3.3.2-py2.py3-none-any.whl": [("pyannote/audio/sample/sample.wav", "pyannote_sample.wav"),
                                                 ("pyannote/audio/sample/sample.rttm", "pyannote_sample.rttm")],
  "librosa-0.7.2.tar.gz": [("librosa-0.7.2/librosa/util/example_data/Kevin_MacLeod_-_Vibe_Ace.ogg", "Kevin_MacLeod_-_Vibe_Ace.ogg")],
}
for arch, items in want.items():
    p = os.path.join(dl, arch)
    if not os.path.exists(p):
        cand = glob.glob(os.path.join(dl, arch.replace("_", "?").replace("-", "?")))
        if not cand:
            sys.exit("missing download " + arch)
        p = cand[0]
    for member, dest in items:
        if p.endswith(".whl"):
            with zipfile.ZipFile(p) as z, open(os.path.join(out, dest), "wb") as f:
                f.write(z.read(member))
        else:
            with tarfile.open(p) as t, open(os.path.join(out, dest), "wb") as f:
                shutil.copyfileobj(t.extractfile(member), f)
        print("extracted", dest)
PY
cat > "$SRC/pypi/Kevin_MacLeod_-_Vibe_Ace.LICENSE.txt" <<'EOT'
"Vibe Ace" by Kevin MacLeod (Jazz Sampler), licensed CC BY 3.0 https://creativecommons.org/licenses/by/3.0/
(as stated in librosa 0.7.2 librosa/util/files.py, which ships the file as example_data).
EOT
[ "$EXTRA" = 1 ] || { echo "sources ready in $SRC (dev + train)"; exit 0; }

# ---------------------------------------------------------------- extra (new sources only; see README.md)
# voices: Tux Paint spoken stamp descriptions (9 languages), Warzone 2100 narration (inside base.wz),
#         Fish Fillets NG Czech NPC characters (fillets-ng-data-cs, already installed above)
# singing: GCompris world-music recordings (inside an .rcc), Hedgewars "Singer" voice pack
# music:  UFO:AI, SuperTux, Nexuiz, Mars Shooter, OpenClonk, Enigma, Warmux, Pushover, Hedgewars,
#         Linphone (its music-on-hold and ring melodies), TecnoballZ (tracker modules, rendered below), GCompris
apt-get install -y --no-install-recommends \
  tuxpaint-stamps-default warzone2100-data gcompris-qt-data hedgewars-data linphone-common \
  ufoai-music supertux-data nexuiz-music marsshooter-data openclonk-data enigma-data warmux-data \
  pushover-data tecnoballz-data
apt-get install -y --no-install-recommends unzip

X="$SRC/extra"; mkdir -p "$X"
# Zip archives (.pk3 / .wz) -> plain files under $SRC/extra
if [ ! -e "$X/.zips.done" ]; then
  rm -rf "$X/ufoai" "$X/nexuiz" "$X/wz2100"
  unzip -q -o /usr/share/games/ufoai/base/0music.pk3 'music/*.ogg' -d "$X/ufoai"
  unzip -q -o /usr/share/games/nexuiz/data/music.pk3 'sound/cdtracks/*.ogg' -d "$X/nexuiz"
  unzip -q -o /usr/share/games/warzone2100/base.wz 'audio/tutorial/*' 'sequenceaudio/*' -d "$X/wz2100"
  touch "$X/.zips.done"
fi
# GCompris "Explore world music" recordings, parsed out of the Qt resource bundle (.rcc)
if [ ! -e "$X/.gcompris.done" ]; then
  rm -rf "$X/gcompris"
  python3 "$HERE/rcc_extract.py" /usr/share/gcompris-qt/rcc/explore_world_music.rcc "$X/gcompris" .ogg .qml README >/dev/null
  touch "$X/.gcompris.done"
fi
# TecnoballZ tracker modules rendered to FLAC (ffmpeg's libopenmpt demuxer; deterministic)
if [ ! -e "$X/.tecnoballz.done" ]; then
  mkdir -p "$X/tecnoballz"
  for m in area2-game area3-game fridge-in-space_from_reg-zbb mon-lapin_reg-zbb tecno-winn tecnoballz termigator_reg-zbb; do
    ffmpeg -nostdin -v error -y -i "/usr/share/games/tecnoballz/musics/$m.mod" -ac 1 -ar 44100 -sample_fmt s16 \
      -map_metadata -1 -fflags +bitexact -flags:a +bitexact "$X/tecnoballz/$m.flac"
  done
  touch "$X/.tecnoballz.done"
fi
# PyPI sdists with real recordings: LibriVox reading (pocketsphinx tests), solo singing (basic-pitch tests: vocadito)
[ -e "$DL/pocketsphinx-5.1.1.tar.gz" ] || \
  python3 -m pip download --quiet --no-deps --no-binary pocketsphinx -d "$DL" "pocketsphinx==5.1.1"
[ -e "$DL/basic_pitch-0.4.0.tar.gz" ] || \
  python3 -m pip download --quiet --no-deps --no-binary basic-pitch -d "$DL" "basic-pitch==0.4.0"
python3 - "$DL" "$X" <<'PY'
import sys, tarfile, os, shutil
dl, out = sys.argv[1], sys.argv[2]
jobs = [("pocketsphinx-5.1.1.tar.gz", "pocketsphinx-5.1.1/test/data/librivox/", "librivox", (".wav", ".txt")),
        ("basic_pitch-0.4.0.tar.gz", "basic_pitch-0.4.0/tests/resources/", "vocadito", ("vocadito_10.wav", "vocadito_14.wav"))]
for arch, prefix, dest, ends in jobs:
    os.makedirs(os.path.join(out, dest), exist_ok=True)
    with tarfile.open(os.path.join(dl, arch)) as t:
        for m in t.getmembers():
            if m.isfile() and m.name.startswith(prefix) and "/" not in m.name[len(prefix):] and m.name.endswith(ends):
                with open(os.path.join(out, dest, os.path.basename(m.name)), "wb") as f:
                    shutil.copyfileobj(t.extractfile(m), f)
    print("extracted", dest, len(os.listdir(os.path.join(out, dest))), "files")
PY
cat > "$X/SOURCES.txt" <<'EOT'
Files in this folder are unpacked by setup_sources.sh from:
  ufoai/music/*.ogg        Debian ufoai-music: /usr/share/games/ufoai/base/0music.pk3 (per-file licences in /usr/share/doc/ufoai-music/copyright)
  nexuiz/sound/cdtracks/   Debian nexuiz-music: /usr/share/games/nexuiz/data/music.pk3 (GPL-2+, see /usr/share/doc/nexuiz-music/copyright)
  wz2100/                  Debian warzone2100-data: /usr/share/games/warzone2100/base.wz (GPL-2+)
  gcompris/                Debian gcompris-qt-data: /usr/share/gcompris-qt/rcc/explore_world_music.rcc (per-file licences in its resource/music/README)
  tecnoballz/*.flac        Debian tecnoballz-data: /usr/share/games/tecnoballz/musics/*.mod rendered by ffmpeg/libopenmpt (GPL-3+)
  librivox/                PyPI pocketsphinx==5.1.1 sdist test/data/librivox (LibriVox recording, public domain)
  vocadito/                PyPI basic-pitch==0.4.0 sdist tests/resources (vocadito solo-singing dataset, CC-BY-4.0 upstream)
EOT
[ "$FRESH" = 1 ] || { echo "sources ready in $SRC (dev + train + extra)"; exit 0; }

# ---------------------------------------------------------------- fresh (new sources only; see README.md)
# voices: Flight of the Amazon Queen dialogue (queen.1c, carved per character by fotaq_extract.py),
#         Tux Paint Danish stamp descriptions (tuxpaint-stamps-default, installed above for extra)
# music:  Naev, Widelands, Blobwars, FreedroidRPG, Flare, MegaGlest (not manolo_camp-medieval.ogg)
# singing: none new; "fresh" reuses the extra set's sung layers (see README.md)
# The packages are not installed: the exact versions are fetched with apt-get download and only the needed
# folders are unpacked (dpkg-deb --fsys-tarfile | tar, i.e. a filtered dpkg -x) into $SRC/fresh/pkgs/PACKAGE/.
F="$SRC/fresh"; mkdir -p "$F/debs" "$F/pkgs"
fresh_pkg() {  # fresh_pkg PACKAGE VERSION PATH... : download the exact version, unpack PATH... and the copyright
  local pkg="$1" ver="$2"; shift 2
  [ -e "$F/.$pkg.done" ] && return 0
  local deb; deb="$(ls "$F/debs/${pkg}_"*.deb 2>/dev/null | head -1 || true)"
  if [ -z "$deb" ]; then
    (cd "$F/debs" && apt-get download "$pkg=$ver")
    deb="$(ls "$F/debs/${pkg}_"*.deb | head -1)"
  fi
  [ "$(dpkg-deb -f "$deb" Version)" = "$ver" ] || { echo "$deb is not version $ver" >&2; exit 1; }
  rm -rf "$F/pkgs/$pkg"; mkdir -p "$F/pkgs/$pkg"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$F/pkgs/$pkg" --wildcards --exclude='*/manolo_camp-*' \
    "./usr/share/doc/$pkg/copyright" "$@"
  rm -f "$deb"   # the unpacked folders are all that gen_corpus.py reads
  touch "$F/.$pkg.done"
}
fresh_pkg flight-of-the-amazon-queen 1.0.0-9 './usr/share/scummvm/flight-of-the-amazon-queen/queen.1c'
fresh_pkg naev-data 0.8.2-1 './usr/share/naev/dat/snd/music/*.ogg'
fresh_pkg widelands-data 2:1.1-3 './usr/share/games/widelands/data/music/*.ogg'
fresh_pkg blobwars-data 2.00-2 './usr/share/games/blobwars/music/*'
fresh_pkg freedroidrpg-data 1.0-1 './usr/share/freedroidrpg/data/sound/music/*.ogg'
fresh_pkg flare-game 1.14-1 './usr/share/games/flare/mods/fantasycore/music/*.ogg'
fresh_pkg megaglest-data 3.13.0-3 './usr/share/games/megaglest/techs/megapack/factions/*/music/*.ogg' \
  './usr/share/games/megaglest/data/core/menu/music/*.ogg'
# Blobwars ships its Ogg Vorbis tracks without a file extension, which sox needs: add NAME.ogg hard links
for m in "$F/pkgs/blobwars-data/usr/share/games/blobwars/music/"*; do
  case "$m" in *.tags|*.ogg) ;; *) [ -e "$m.ogg" ] || ln "$m" "$m.ogg" ;; esac
done
# FOTAQ dialogue, one folder per character ($SRC/fresh/fotaq/CHAR/*.mp3, the .SB entries byte for byte)
if [ ! -e "$F/.fotaq.done" ]; then
  rm -rf "$F/fotaq"
  python3 "$HERE/fotaq_extract.py" "$F/pkgs/flight-of-the-amazon-queen/usr/share/scummvm/flight-of-the-amazon-queen/queen.1c" "$F/fotaq"
  touch "$F/.fotaq.done"
fi
cat > "$F/SOURCES.txt" <<'EOT'
Files in this folder are fetched by setup_sources.sh (apt-get download of the exact version, then only the
needed folders unpacked from the .deb; the .deb is deleted afterwards):
  pkgs/flight-of-the-amazon-queen/  Debian flight-of-the-amazon-queen 1.0.0-9: queen.1c (FOTAQ licence, see its copyright)
  fotaq/CHAR/*.mp3                  the dialogue (.SB) entries of queen.1c, byte for byte, per character (fotaq_extract.py)
  pkgs/naev-data/                   Debian naev-data 0.8.2-1: dat/snd/music (per-file licences in its copyright)
  pkgs/widelands-data/              Debian widelands-data 2:1.1-3: data/music (GPL-2+; ingame_24/25/26 CC-BY-SA-3.0)
  pkgs/blobwars-data/               Debian blobwars-data 2.00-2: music (GPL-2+; NAME.ogg = hard link added for sox)
  pkgs/freedroidrpg-data/           Debian freedroidrpg-data 1.0-1: data/sound/music (GPL-2+)
  pkgs/flare-game/                  Debian flare-game 1.14-1: mods/fantasycore/music (CC-BY-SA-3.0+)
  pkgs/megaglest-data/              Debian megaglest-data 3.13.0-3: faction and menu music except manolo_camp-medieval.ogg (CC-BY-SA-3.0)
EOT
echo "sources ready in $SRC (dev + train + extra + fresh)"
