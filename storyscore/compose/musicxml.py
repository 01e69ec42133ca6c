"""Write a score's MusicXML in time proportional to its length: notation made once, the
bars written a section at a time.

music21 exports a score in two stages. First it makes the notation on a copy of
the whole score (rests, accidentals, beams, ties, written pitch); each step walks
the bars in order and carries what it needs from bar to bar (an accidental's
display depends on the bars before it, without bound), so it is done here once,
by music21's own steps, on the whole score. Then it writes each bar, and there
several lookups reach across the whole part for every note or bar (the spanners
that hold a note, the left hand's bar by number, the instrument in force by
offset), so an hour of music took many times as long per minute as five minutes
did. That stage is run here on sections of about ``SECTION_BARS`` bars of the
notated score, each a score of its own, and the sections' bars are joined into
one document: music21's one-piece export, byte for byte.

What a bar's writing needs from outside it is carried into each section: a
leading bar (written and then dropped) with the clef, key, meter and instrument
in force and one instrument of each kind the part ever plays (music21 lists a
part's instruments in its header and names the one playing on every note when
there are several); and the spanners, numbered as the whole score numbers them.
Sections are cut only at bar lines that no tie, slur, hairpin or multi-bar rest
crosses.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from music21 import stream

SECTION_BARS = 32  # bars written at once; music21's cost per bar grows with this
_SPANNER_IDS = 6  # music21 numbers a score's spanners of one kind 1..6, in turn
_CONTEXT_CLASSES = ("Clef", "KeySignature", "TimeSignature", "Instrument")


def musicxml_bytes(score: stream.Score, section_bars: int = SECTION_BARS) -> bytes:
    """``score`` as MusicXML, its bars written ``section_bars`` at a time (the same
    document as music21's one-piece export); a score not built as ``build_score`` builds
    one (bars outside measures, voices, other score-level objects) is exported whole."""
    if not _plain_score(score):
        return whole_musicxml_bytes(score)
    notated = _notated(score)
    staves = _staves(notated)
    cuts = None if staves is None else _cuts(staves, section_bars)
    if staves is None or cuts is None:
        return whole_musicxml_bytes(score)
    _detach(staves)
    (first, first_end), *rest = cuts
    exporter = _export_section(notated, staves, first, first_end)
    part_elements = exporter.xmlRoot.findall("part")
    for part in part_elements:
        part[:] = _section_bars(part, _numbers(staves, 0, first_end))
    for start, end in rest:
        section = _export_section(notated, staves, start, end)
        for whole, piece in zip(part_elements, section.xmlRoot.findall("part"), strict=True):
            whole.extend(_section_bars(piece, _numbers(staves, start, end)))
    return bytes(exporter.asBytes())


def whole_musicxml_bytes(score: stream.Score) -> bytes:
    """``score`` as music21 exports it in one piece (the reference the sections match)."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    return bytes(GeneralObjectExporter(score).parse())


@dataclass
class _Staff:
    """One staff of the notated score as the sections need it: its bars, spanners and
    what is in force after each bar."""

    part: stream.Part
    measures: list[stream.Measure]
    spanners: list[Any]
    offsets: list[Any]  # each bar's offset in the part
    bar_of: dict[int, int]  # id of each element in a bar → the bar's index
    kinds: list[Any] = field(default_factory=list)  # first instrument of each class, in order
    instruments: int = 0  # instrument objects in the part
    in_force: list[dict[str, Any]] = field(default_factory=list)  # per bar: at its end
    spanner_numbers: list[int] = field(default_factory=list)  # each spanner's place in its kind


def _plain_score(score: stream.Score) -> bool:
    """Whether ``score`` holds only parts of bars and spanners, staff groups and metadata."""
    from music21 import layout, metadata, spanner, stream

    for element in score:
        if not isinstance(element, stream.Part | layout.StaffGroup | metadata.Metadata):
            return False
    for part in score.parts:
        for element in part:
            if not isinstance(element, stream.Measure | spanner.Spanner):
                return False
    return bool(score.parts)


def _notated(score: stream.Score) -> stream.Score:
    """A copy of ``score`` with its notation made as music21's export makes it, by the
    same steps in the same order: rests filled in and notation made on the copy, the
    copy at written pitch, durations split and each part's notation fixed up."""
    from music21 import stream
    from music21.musicxml.m21ToXml import GeneralObjectExporter, PartExporter

    notated = GeneralObjectExporter(score).fromGeneralObject(score)
    notated.toWrittenPitch(inPlace=True, ottavasToSounding=True)
    for part in notated.parts:
        part.toWrittenPitch(inPlace=True, ottavasToSounding=True)
        split = part.splitAtDurations(recurse=True)[0]
        if split is not part:  # pragma: no cover - music21 splits a part in place
            raise RuntimeError("music21 split a part into a new stream")
        PartExporter(part).fixupNotationMeasured()  # type: ignore[no-untyped-call]
    assert isinstance(notated, stream.Score)
    return notated


def _staves(notated: stream.Score) -> list[_Staff] | None:
    """Each staff's bars, spanners and context; None when a part holds anything the
    sections cannot carry."""
    from music21 import spanner, stream

    staves: list[_Staff] = []
    for part in notated.parts:
        measures: list[stream.Measure] = []
        spanners: list[Any] = []
        for element in part:
            if isinstance(element, stream.Measure):
                measures.append(element)
            elif isinstance(element, spanner.Spanner):
                spanners.append(element)
            else:
                return None
        offsets = [part.elementOffset(m) for m in measures]
        staff = _Staff(part, measures, spanners, offsets, {})
        if not _index_bars(staff):
            return None
        staves.append(staff)
    if not staves or len({len(s.measures) for s in staves}) != 1:
        return None
    numbers = [m.number for m in staves[0].measures]
    if numbers != sorted(set(numbers)) or any(
            [m.number for m in s.measures] != numbers for s in staves):
        return None  # a section's bars are told apart from the others by number
    _number_spanners(notated, staves)
    return staves


def _index_bars(staff: _Staff) -> bool:
    """Fill in where each element lies, the part's instrument kinds, and what is in force
    at the end of each bar; False if a bar holds voices (music21 then renumbers them
    across the part)."""
    from music21 import instrument, stream

    state: dict[str, Any] = {}
    seen: set[type] = set()
    for index, measure in enumerate(staff.measures):
        for element in measure:
            if isinstance(element, stream.Stream):
                return False
            staff.bar_of[id(element)] = index
            for name in _CONTEXT_CLASSES:
                if name in element.classSet:
                    state[name] = element
            if isinstance(element, instrument.Instrument):
                staff.instruments += 1
                if type(element) not in seen:
                    seen.add(type(element))
                    staff.kinds.append(copy.deepcopy(element))
        staff.in_force.append(dict(state))
    return True


def _number_spanners(notated: stream.Score, staves: Sequence[_Staff]) -> None:
    """Each staff spanner's place among the score's spanners of its numbering class, in
    the order music21 numbers them (the score's spanner bundle)."""
    counts: dict[str, int] = {}
    place: dict[int, int] = {}
    for held in notated.spannerBundle:
        kind = _numbering_class(held)
        place[id(held)] = counts.get(kind, 0)
        counts[kind] = counts.get(kind, 0) + 1
    for staff in staves:
        staff.spanner_numbers = [place[id(held)] for held in staff.spanners]


def _cuts(staves: Sequence[_Staff], section_bars: int) -> list[tuple[int, int]] | None:
    """Sections (first bar, end bar) of at least ``section_bars`` bars, each starting at a
    bar line nothing crosses; None when a spanner holds something outside the bars."""
    bars = len(staves[0].measures)
    crossing = [0] * (bars + 1)  # difference array: spanners over each bar line
    for staff in staves:
        for held in staff.spanners:
            where = [staff.bar_of.get(id(e)) for e in held.getSpannedElements()]
            known = [w for w in where if w is not None]
            if not where or len(known) != len(where):
                return None
            crossing[min(known) + 1] += 1
            crossing[max(known) + 1] -= 1
        for index, measure in enumerate(staff.measures[1:], start=1):
            if any(_tied_over(e) for e in measure.notes):
                crossing[index] += 1
                crossing[index + 1] -= 1
    open_lines = 0
    blocked: list[bool] = []
    for line in range(bars):
        open_lines += crossing[line]
        blocked.append(open_lines > 0)
    cuts: list[tuple[int, int]] = []
    start = 0
    while start < bars:
        end = start + max(1, section_bars)
        while end < bars and blocked[end]:
            end += 1
        cuts.append((start, min(end, bars)))
        start = end
    return cuts


def _tied_over(element: Any) -> bool:
    """Whether a note or chord continues a tie from the bar before."""
    tie = getattr(element, "tie", None)
    if tie is not None and tie.type in ("stop", "continue"):
        return True
    return any(n.tie is not None and n.tie.type in ("stop", "continue")
               for n in getattr(element, "notes", ()))


def _detach(staves: Sequence[_Staff]) -> None:
    """Take the notated parts out of their bars' and spanners' sites: each bar is then
    found only in its section's part, as in the one-piece export's part."""
    for staff in staves:
        for element in (*staff.measures, *staff.spanners):
            element.sites.remove(staff.part)
            element.activeSite = None


def _export_section(notated: stream.Score, staves: Sequence[_Staff], start: int, end: int
                    ) -> Any:
    """Bars ``start``..``end`` of every staff written by music21 (after a context bar when
    ``start`` > 0; the notation is made already): the exporter, parsed."""
    from music21.musicxml.m21ToXml import ScoreExporter

    exporter = ScoreExporter(_section_score(notated, staves, start, end), makeNotation=False)
    exporter.parse()
    return exporter


def _section_score(notated: stream.Score, staves: Sequence[_Staff], start: int, end: int
                   ) -> stream.Score:
    """A score of bars ``start``..``end`` of the notated staves, with what they need."""
    from music21 import layout, stream

    section = stream.Score()
    section.metadata = copy.deepcopy(notated.metadata)
    by_part: dict[int, stream.Part] = {}
    placed: dict[str, int] = {}
    for staff in staves:
        original = staff.part
        part = type(original)(id=original.id)
        part.partName = original.partName
        part.partAbbreviation = original.partAbbreviation
        if start > 0:
            part.coreInsert(staff.offsets[start - 1], _context_bar(staff, start - 1))
        for index in range(start, end):
            part.coreInsert(staff.offsets[index], staff.measures[index])
        if start == 0 and end < len(staff.measures) and staff.instruments > 1:
            # The first section has no context bar: the kinds follow it instead.
            part.coreInsert(staff.offsets[end],
                            _kinds_bar(staff, staff.measures[end].number))
        for held in _numbered_spanners(staff, start, end, placed):
            part.coreInsert(0, held)
        part.coreElementsChanged()
        part.atSoundingPitch = False
        section.coreInsert(0, part)
        by_part[id(original)] = part
    section.coreElementsChanged()
    for group in notated.getElementsByClass(layout.StaffGroup):
        staves_of = group.getSpannedElements()  # type: ignore[no-untyped-call]
        copied = layout.StaffGroup([by_part[id(p)] for p in staves_of],
                                   name=group.name, abbreviation=group.abbreviation,
                                   symbol=group.symbol, barTogether=group.barTogether)
        section.insert(0, copied)
    return section


def _context_bar(staff: _Staff, before: int) -> stream.Measure:
    """The bar that leads a section in: each of the part's instrument kinds (if it plays
    more than one instrument), then the clef, key, meter and instrument in force after
    bar ``before``."""
    from music21 import stream

    number = staff.measures[before].number
    context = (_kinds_bar(staff, number) if staff.instruments > 1
               else stream.Measure(number=number))
    for name in _CONTEXT_CLASSES:
        if name in staff.in_force[before]:
            context.coreInsert(0, copy.deepcopy(staff.in_force[before][name]))
    context.coreElementsChanged()
    return context


def _kinds_bar(staff: _Staff, number: int) -> stream.Measure:
    """A bar holding one instrument of each kind the part plays, in the order they enter.

    They make music21 list every instrument of the part in its header and name
    the one playing on each note, as for the whole part.
    """
    from music21 import stream

    bar = stream.Measure(number=number)
    for kind in staff.kinds:
        bar.coreInsert(0, copy.deepcopy(kind))
    bar.coreElementsChanged()
    return bar


def _numbered_spanners(staff: _Staff, start: int, end: int, placed: dict[str, int]
                       ) -> Iterator[Any]:
    """The staff's spanners that start in bars ``start``..``end``, in the part's order, with
    empty spanners before them so that music21 numbers each as in the whole score.

    music21 numbers the spanners of a kind through the whole score, part after part
    (1 to 6, then 1 again); ``placed`` counts those of each kind the section holds so
    far, across its parts.
    """
    for held, index in zip(staff.spanners, staff.spanner_numbers, strict=True):
        first = staff.bar_of[id(held.getFirst())]
        if not start <= first < end:
            continue
        kind = _numbering_class(held)
        gap = (index - placed.get(kind, 0)) % _SPANNER_IDS
        for _ in range(gap):
            yield type(held)()
        placed[kind] = placed.get(kind, 0) + gap + 1
        yield held


def _numbering_class(held: Any) -> str:
    """The class music21 numbers a spanner within (a crescendo shares its hairpins' count)."""
    return str(next(k for k in held.classes if k not in ("Crescendo", "Diminuendo")))


def _numbers(staves: Sequence[_Staff], start: int, end: int) -> set[str]:
    """The MusicXML numbers of bars ``start``..``end``."""
    return {str(m.number) for m in staves[0].measures[start:end]}


def _section_bars(part: Element, numbers: set[str]) -> list[Element]:
    """A section's ``<part>`` children in its own bars (``numbers``), without the bars that
    lead in or follow (each a ``<measure>`` and the comment music21 writes before it)."""
    children = list(part)
    kept: list[Element] = []
    for k, child in enumerate(children):
        following = child if child.tag == "measure" else (
            children[k + 1] if k + 1 < len(children) else None)
        if following is None or following.tag != "measure" or following.get("number") in numbers:
            kept.append(child)
    return kept
