"""How the score is laid out for a reader: part names, clefs and grand staves.

Decided from the composer's events before any music21 object is built:

* **Names.** A part played by one instrument throughout is named after it
  (``Flute``, ``Fl.``); a part whose instrument changes between scenes is
  named after its role (``Melody``, ``Mel.``) and says which instrument plays
  at the start and at each change (``to Clarinet``). The name never changes
  mid-score.
* **Clefs.** Each staff gets, per scene, the clef that keeps most of its notes
  inside the staff (within three ledger lines), preferring the clef it already
  has, so a clef changes only where a scene moves to another register.
* **Grand staff.** A piano, celesta or harp part that reaches from below G3
  to above middle C is written on two staves, treble over bass, joined by a brace, and
  so is a part one of them shares
  with other instruments when it spans more than two octaves (or any part too
  wide for one clef). Each bar goes whole to the staff that holds it; only a
  bar neither can hold is split at middle C.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from storyscore.compose.notes import NoteEvent

# Diatonic step numbers (octave * 7 + letter index, C = 0) of each clef's bottom and top lines.
CLEF_LINES: dict[str, tuple[int, int]] = {
    "treble": (30, 38),  # E4 .. F5
    "bass": (18, 26),  # G2 .. A3
    "alto": (24, 32),  # F3 .. G4
    "treble8vb": (23, 31),  # sounds an octave below the treble staff
    "bass8vb": (11, 19),
    "treble8va": (37, 45),
}
ANY_CLEF = ("treble", "bass", "treble8va", "bass8vb")  # when an instrument's own clefs fail
MAX_LEDGER_LINES = 3
_LETTER_OF_PC = (0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6)  # sharp spelling's letter per pitch class
GRAND_STAFF_PROGRAMS = frozenset(range(9)) | {46}  # pianos, harpsichord, celesta, harp
SPLIT = 60  # middle C: the grand staff's dividing line where a bar needs both staves
ROLE_NAMES = {"melody": ("Melody", "Mel."), "accompaniment": ("Accompaniment", "Acc."),
              "bass": ("Bass", "B.")}

# General MIDI programs as an orchestral score names them (name, abbreviation).
INSTRUMENT_NAMES: dict[int, tuple[str, str]] = {
    0: ("Piano", "Pno."), 1: ("Piano", "Pno."), 4: ("Electric Piano", "El. Pno."),
    6: ("Harpsichord", "Hpsd."), 7: ("Clavinet", "Clav."), 8: ("Celesta", "Cel."),
    9: ("Glockenspiel", "Glk."), 10: ("Music Box", "M. Box"), 11: ("Vibraphone", "Vib."),
    12: ("Marimba", "Mar."), 13: ("Xylophone", "Xyl."), 14: ("Tubular Bells", "T. Bells"),
    15: ("Dulcimer", "Dulc."), 19: ("Organ", "Org."), 20: ("Reed Organ", "R. Org."),
    21: ("Accordion", "Acc."), 22: ("Harmonica", "Hca."), 24: ("Guitar", "Gtr."),
    25: ("Steel Guitar", "St. Gtr."), 26: ("Jazz Guitar", "J. Gtr."),
    27: ("Electric Guitar", "El. Gtr."), 32: ("Bass", "Bs."), 35: ("Fretless Bass", "Fl. Bs."),
    40: ("Violin", "Vln."), 41: ("Viola", "Vla."), 42: ("Cello", "Vc."),
    43: ("Contrabass", "Cb."), 44: ("Strings (trem.)", "Str."), 45: ("Strings (pizz.)", "Str."),
    46: ("Harp", "Hp."), 47: ("Timpani", "Timp."), 48: ("Strings", "Str."),
    49: ("Strings", "Str."), 50: ("Synth Strings", "Syn. Str."), 52: ("Choir", "Ch."),
    53: ("Voice", "V."), 56: ("Trumpet", "Tpt."), 57: ("Trombone", "Tbn."), 58: ("Tuba", "Tba."),
    59: ("Muted Trumpet", "Tpt."), 60: ("Horn", "Hn."), 61: ("Brass", "Br."),
    64: ("Soprano Saxophone", "S. Sax."), 65: ("Alto Saxophone", "A. Sax."),
    66: ("Tenor Saxophone", "T. Sax."), 67: ("Baritone Saxophone", "B. Sax."),
    68: ("Oboe", "Ob."), 69: ("English Horn", "E. H."), 70: ("Bassoon", "Bsn."),
    71: ("Clarinet", "Cl."), 72: ("Piccolo", "Picc."), 73: ("Flute", "Fl."),
    74: ("Recorder", "Rec."), 75: ("Pan Flute", "Pan Fl."), 78: ("Whistle", "Wh."),
    79: ("Ocarina", "Oc."), 88: ("Pad", "Pad"), 89: ("Warm Pad", "Pad"),
    91: ("Choir Pad", "Pad"), 104: ("Sitar", "Sit."), 105: ("Banjo", "Bjo."),
    107: ("Koto", "Koto"), 108: ("Kalimba", "Kal."), 109: ("Bagpipe", "Bagp."),
    110: ("Fiddle", "Fdl."), 114: ("Steel Drums", "St. Dr."),
}
# Solo instruments that only ever read treble clef (a flute, an oboe, a violin, a trumpet).
_TREBLE_PROGRAMS = frozenset({9, 10, 13, 14, 22, 40, 56, 59, 64, 65, 68, 69, 71, 72, 73, 74, 75,
                              78, 79, 105, 110})
# Clefs an instrument is customarily written in, most usual first.
_BASS_PROGRAMS = frozenset({32, 33, 34, 35, 36, 37, 38, 39, 42, 43, 47, 57, 58, 67, 70})
# A guitar and a bass guitar sound an octave below their notes (music21 gives them no
# transposition, so their octave clef says it); a contrabass's transposition does.
_CLEF_CHOICES: dict[int, tuple[str, ...]] = {
    41: ("alto", "treble"), 24: ("treble8vb",), 25: ("treble8vb",), 26: ("treble8vb",),
    27: ("treble8vb",), 43: ("bass", "bass8vb"),
    **dict.fromkeys(range(32, 40), ("bass8vb",))}


def instrument_name(program: int) -> tuple[str, str]:
    """A General MIDI program's name and abbreviation as a score prints them."""
    known = INSTRUMENT_NAMES.get(program)
    if known is not None:
        return known
    from music21 import instrument

    inst = instrument.instrumentFromMidiProgram(program)
    name = str(inst.instrumentName or f"Program {program + 1}")
    abbreviation = str(inst.instrumentAbbreviation or name[:3])
    return name, abbreviation if abbreviation.endswith(".") else abbreviation + "."


def clef_choices(program: int | None) -> tuple[str, ...]:
    """The clefs an instrument reads, its usual one first (a flute or an oboe never reads
    bass clef; a cello, a string section or a pad reads both)."""
    if program is None:
        return ("treble", "bass")
    if program in _CLEF_CHOICES:
        return _CLEF_CHOICES[program]
    if program in _BASS_PROGRAMS:
        return ("bass", "treble")
    return ("treble",) if program in _TREBLE_PROGRAMS else ("treble", "bass")


def diatonic_step(midi: int) -> int:
    """Staff position of a MIDI pitch (octave * 7 + letter, C4 = 28).

    The score spells a black key either way, so its position is taken on the
    side that needs more ledger lines: as a sharp below middle C (A#3 under
    the treble staff, not Bb3), as a flat above it (Bb4 over the bass staff,
    not A#4).
    """
    black = midi % 12 in (1, 3, 6, 8, 10)
    return (midi // 12 - 1) * 7 + _LETTER_OF_PC[midi % 12] + int(black and midi >= 60)


def ledger_lines(step: int, clef: str) -> int:
    """Ledger lines a note at diatonic ``step`` needs in ``clef`` (0 inside the staff)."""
    bottom, top = CLEF_LINES[clef]
    if step < bottom:
        return (bottom - step) // 2
    if step > top:
        return (step - top) // 2
    return 0


def clef_fit(steps: Sequence[int], clef: str) -> tuple[float, float]:
    """Share of notes within three ledger lines of ``clef``'s staff; their mean ledger lines."""
    if not steps:
        return 1.0, 0.0
    lines = [ledger_lines(s, clef) for s in steps]
    return (sum(n <= MAX_LEDGER_LINES for n in lines) / len(lines), sum(lines) / len(lines))


def best_clef(steps: Sequence[int], choices: Sequence[str], current: str | None = None) -> str:
    """The clef that fits ``steps`` best; ``current`` is kept unless another fits clearly better."""
    # An octave clef is a last resort: it must save a ledger line a note to be worth it.
    ranked = sorted(choices, key=lambda c: (-clef_fit(steps, c)[0],
                                            clef_fit(steps, c)[1] + (1.0 if "8v" in c else 0.0),
                                            list(choices).index(c)))
    best = ranked[0]
    # Only a clef the instrument reads is kept: a guitar that follows a flute in one part
    # reads its octave treble clef, not the flute's.
    if current is not None and current in choices:
        share, mean = clef_fit(steps, current)
        best_share, best_mean = clef_fit(steps, best)
        nearly = share >= 0.95 and mean <= best_mean + 1.0
        if nearly or (share >= best_share and mean <= best_mean):
            return current
    return best


def split_point(pitches: Sequence[int]) -> int:
    """Where a bar that needs both staves of a grand staff is divided: middle C, or the
    nearest pitch that lets each staff hold its share within three ledger lines (the
    lower staff in bass or octave bass clef)."""
    for split in (SPLIT, 59, 62, 57, 64, 55, 65, 53):
        high = [diatonic_step(p) for p in pitches if p >= split]
        low = [diatonic_step(p) for p in pitches if p < split]
        if clef_fit(high, "treble")[0] == 1.0 and max(
                clef_fit(low, "bass")[0], clef_fit(low, "bass8vb")[0]) == 1.0:
            return split
    return SPLIT


def _scene_clef(steps: Sequence[int], choices: Sequence[str], current: str | None) -> str:
    """A scene's clef: the instrument's own if every note fits it within three ledger
    lines, else whichever clef fits more of them (a flute written far too low reads
    better in bass clef than on five ledger lines)."""
    clef = best_clef(steps, choices, current)
    if clef_fit(steps, clef)[0] < 1.0:
        other = best_clef(steps, ANY_CLEF, clef)
        if clef_fit(steps, other)[0] > clef_fit(steps, clef)[0]:
            return other
    return clef


@dataclass(frozen=True)
class Staff:
    """One staff of a part: its music21 id, which of the part's notes it takes, its clefs."""

    id: str
    role: str  # "single", "upper" or "lower"
    clefs: tuple[str, ...]  # the clef in force in each scene


@dataclass(frozen=True)
class PartLayout:
    """How one of the composer's parts is printed."""

    source: str  # key in the composer's parts: "melody", "motif:fox", ...
    name: str
    abbreviation: str
    programs: tuple[int | None, ...]  # per scene; None where the part is silent
    staves: tuple[Staff, ...]  # one, or two for a grand staff (upper, lower)
    named_by_role: bool  # instruments change: their names are written as text

    @property
    def grand(self) -> bool:
        return len(self.staves) == 2


def part_order(names: Iterable[str]) -> list[str]:
    """Score order: melody, the leitmotifs, accompaniment, bass."""
    rank = {"melody": 0, "accompaniment": 2, "bass": 3}
    return sorted(names, key=lambda n: (rank.get(n, 1), n))


def staff_of_bar(events: Sequence[NoteEvent]) -> str | None:
    """Which staff of a grand staff takes a whole bar, or None when it must be split.

    A bar all above or all below middle C goes to its side; one that crosses
    goes whole to the staff that holds all of it with fewer ledger lines (a
    left-hand arpeggio that touches F4 stays in the left hand); only a bar
    neither staff can hold is split.
    """
    pitches = [p for e in events for p in e.pitches]
    if not pitches:
        return "upper"
    steps = [diatonic_step(p) for p in pitches]
    treble, bass = clef_fit(steps, "treble"), clef_fit(steps, "bass")
    upper_holds = treble[0] == 1.0 or clef_fit(steps, "treble8va")[0] == 1.0
    lower_holds = bass[0] == 1.0 or clef_fit(steps, "bass8vb")[0] == 1.0
    if min(pitches) >= SPLIT and upper_holds:
        return "upper"
    if max(pitches) < SPLIT and lower_holds:
        return "lower"
    if treble[0] == 1.0 and (bass[0] < 1.0 or treble[1] <= bass[1]):
        return "upper"
    if bass[0] == 1.0:
        return "lower"
    return None


def part_name(source: str, programs: Sequence[int | None]) -> tuple[str, str, bool]:
    """A part's name and abbreviation for the whole score, and whether they name its role
    (its instrument changes between scenes) rather than its one instrument."""
    distinct = list(dict.fromkeys(p for p in programs if p is not None))
    # Two programs a score names alike (two string sections) are one instrument to a reader.
    by_role = len({instrument_name(p)[0] for p in distinct}) != 1
    if by_role:
        name, abbreviation = ROLE_NAMES.get(source, (source.capitalize(), source[:3] + "."))
    else:
        name, abbreviation = instrument_name(distinct[0])
    if source.startswith("motif:"):
        # A leitmotif's part says whose it is, as Peter and the Wolf's parts do.
        name = f"{name} ({source.removeprefix('motif:').replace('-', ' ').title()})"
    return name, abbreviation, by_role


def layout_part(source: str, events: Sequence[NoteEvent], programs: Sequence[int | None],
                scene_of: Mapping[int, int], scenes: int, transposition: Mapping[int, int]
                ) -> PartLayout:
    """Name, staves and clefs of one part.

    ``scene_of`` maps each event's index to its scene; ``transposition`` gives
    each program's written-minus-sounding semitones (a clarinet in B♭ is
    written a tone higher, a contrabass an octave higher), since clefs are
    chosen for the notes as written.
    """
    distinct = list(dict.fromkeys(p for p in programs if p is not None))
    name, abbreviation, by_role = part_name(source, programs)
    steps_by_scene: list[list[int]] = [[] for _ in range(scenes)]
    for k, event in enumerate(events):
        scene = scene_of[k]
        shift = transposition.get(programs[scene] or 0, 0)
        steps_by_scene[scene] += [diatonic_step(p + shift) for p in event.pitches]
    all_steps = [s for steps in steps_by_scene for s in steps]
    choices = clef_choices(distinct[0] if distinct else None)
    single_fit = max(clef_fit(all_steps, c)[0] for c in (*choices, "treble", "bass"))
    # A pianist or harpist reads two staves where the music uses both hands' registers
    # (a tune for celesta alone stays on one); a part they share with other instruments
    # goes on two staves where it is too wide for one.
    keyboard_only = bool(distinct) and all(p in GRAND_STAFF_PROGRAMS for p in distinct)
    keyboard = any(p in GRAND_STAFF_PROGRAMS for p in distinct)
    span = (max(all_steps) - min(all_steps)) if all_steps else 0
    staves: tuple[Staff, ...]
    # Both hands: notes from below G3 (two ledger lines under the treble staff) and above C4.
    middle = diatonic_step(SPLIT)
    both_sides = bool(all_steps) and min(all_steps) < middle - 3 and max(all_steps) >= middle
    if all_steps and ((keyboard_only and both_sides) or (keyboard and span > 14)
                      or single_fit < 0.9):
        # The lower staff drops to an octave bass clef in a scene that goes very low.
        # Each staff moves to its octave clef in a scene that goes very high or low.
        upper: list[str] = []
        lower: list[str] = []
        for scene in range(scenes):
            middle = diatonic_step(SPLIT)
            high = [s for s in steps_by_scene[scene] if s >= middle]
            low = [s for s in steps_by_scene[scene] if s < middle]
            upper.append(best_clef(high, ("treble", "treble8va"), upper[-1] if upper else None))
            lower.append(best_clef(low, ("bass", "bass8vb"), lower[-1] if lower else None))
        staves = (Staff(source, "upper", tuple(upper)),
                  Staff(f"{source}:lower", "lower", tuple(lower)))
    else:
        clefs: list[str] = []
        current: str | None = None
        for scene in range(scenes):
            steps = steps_by_scene[scene] or all_steps
            if steps_by_scene[scene] or current is None:
                current = _scene_clef(steps, clef_choices(programs[scene]), current)
            clefs.append(current)
        staves = (Staff(source, "single", tuple(clefs)),)
    return PartLayout(source, name, abbreviation, tuple(programs), staves, by_role)
