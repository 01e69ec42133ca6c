"""The words of the language: settings, statements, transitions, moves, moods,
instruments, voices and size presets, with their ranges and defaults."""

from __future__ import annotations

HEADER_SETTINGS = (
    "title", "author", "size", "fps", "seed", "style", "negative", "painter",
    "voice", "soundfont", "music", "transition", "character", "concepts",
)
REPEATABLE_SETTINGS = frozenset({"character", "concepts"})

SCENE_STATEMENTS = (
    "prompt", "image", "narrate", "voice", "camera", "music", "transition",
    "choice", "next", "end",
)
REPEATABLE_STATEMENTS = frozenset({"narrate", "choice"})

SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "480p": (854, 480),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "square": (1080, 1080),
    "portrait": (1080, 1920),
}
SIZE_RANGE = (64, 4096)
FPS_RANGE = (1, 60)
SEED_RANGE = (0, 2**63 - 1)
SPEED_RANGE = (0.5, 2.0)  # narration speed
PARAGRAPH_PAUSE = 0.6  # seconds between narrated paragraphs at speed 1
TEMPO_RANGE = (20.0, 240.0)
VOLUME_RANGE = (0.0, 1.0)
SCENE_SECONDS_RANGE = (0.25, 24 * 3600.0)  # what compose and render accept for a scene
MAX_TRANSITION_SECONDS = 24 * 3600.0
MAX_ID_LENGTH = 64  # scene and character ids become file names

TRANSITIONS = (
    "cut", "crossfade", "fade", "fade-white",
    "wipe-left", "wipe-right", "wipe-up", "wipe-down",
    "slide-left", "slide-right", "slide-up", "slide-down", "zoom",
)
DEFAULT_TRANSITION_SECONDS = 1.0

# move -> (default amount, lowest, highest)
CAMERA_MOVES: dict[str, tuple[float, float, float]] = {
    "still": (0.0, 0.0, 0.0),
    "zoom-in": (1.15, 1.0, 2.0),
    "zoom-out": (1.15, 1.0, 2.0),
    "pan-left": (0.1, 0.0, 0.5),
    "pan-right": (0.1, 0.0, 0.5),
    "pan-up": (0.1, 0.0, 0.5),
    "pan-down": (0.1, 0.0, 0.5),
}

MUSIC_SETTINGS = ("key", "tempo", "mood", "instrument", "volume", "silent", "meter")
METERS = ("4/4", "3/4", "6/8", "2/4")  # `music meter`: one time signature for the whole story
MOODS = ("calm", "joyful", "lively", "tense", "sad", "mysterious", "triumphant", "dreamy")
MODES = ("major", "minor")
NOTE_LETTERS = "ABCDEFG"

# Friendly names for General MIDI programs (0-based program numbers).
INSTRUMENTS: dict[str, int] = {
    "piano": 0, "bright-piano": 1, "electric-piano": 4, "harpsichord": 6,
    "clavinet": 7, "celesta": 8, "glockenspiel": 9, "music-box": 10,
    "vibraphone": 11, "marimba": 12, "xylophone": 13, "bells": 14,
    "dulcimer": 15, "organ": 19, "reed-organ": 20, "accordion": 21,
    "harmonica": 22, "guitar": 24, "steel-guitar": 25, "jazz-guitar": 26,
    "electric-guitar": 27, "bass": 32, "fretless-bass": 35, "violin": 40,
    "viola": 41, "cello": 42, "contrabass": 43, "tremolo-strings": 44,
    "pizzicato": 45, "harp": 46, "timpani": 47, "strings": 48,
    "slow-strings": 49, "synth-strings": 50, "choir": 52, "voice": 53,
    "trumpet": 56, "trombone": 57, "tuba": 58, "muted-trumpet": 59,
    "horn": 60, "brass": 61, "soprano-sax": 64, "alto-sax": 65,
    "tenor-sax": 66, "baritone-sax": 67, "oboe": 68, "english-horn": 69,
    "bassoon": 70, "clarinet": 71, "piccolo": 72, "flute": 73,
    "recorder": 74, "pan-flute": 75, "whistle": 78, "ocarina": 79,
    "pad": 88, "warm-pad": 89, "choir-pad": 91, "sitar": 104, "banjo": 105,
    "koto": 107, "kalimba": 108, "bagpipe": 109, "fiddle": 110,
    "steel-drums": 114,
}

VOICES = ("joe", "espeak", "none")
ESPEAK_PREFIX = "espeak:"

PAINTERS = ("procedural", "diffusers")

