"""Write a score's MusicXML a section of bars at a time, in time proportional to its length.

music21 exports a score in one piece, and several of its steps look things up
across a whole part for every note or bar (the spanners that hold a note, the
left hand's bar by number, the instrument in force by offset), so an hour of
music took 13 times as long per minute as five minutes did. Here each section
of about ``SECTION_BARS`` bars is exported by music21 on its own and the
sections' bars are joined into one document; what music21 makes of a bar
depends only on the bar and what is in force at its start, so the joined
document is the one-piece export.

A section carries that context in a leading bar of its own, which is written
and then dropped: a copy of the bar before the section (its notes decide the
section's first accidentals), the clef, key, meter and instrument in force,
and one instrument of each kind the part ever plays (music21 lists a part's
instruments in its header and names the one playing on every note when there
are several). Sections are cut only at bar lines that no tie, slur, hairpin or
multi-bar rest crosses, and spanners are numbered as the whole part numbers
them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from music21 import stream

SECTION_BARS = 32  # bars music21 exports at once; its cost per bar grows with this
_SPANNER_IDS = 6  # music21 numbers a part's spanners of one kind 1..6, in turn


def musicxml_bytes(score: stream.Score, section_bars: int = SECTION_BARS) -> bytes:
    """``score`` as MusicXML, exported ``section_bars`` bars at a time (the same document
    as music21's one-piece export); a score not built as ``build_score`` builds one (bars
    outside measures, voices) is exported in one piece."""
    parts = _staves(score)
    if parts is None:
        return whole_musicxml_bytes(score)
    cuts = _cuts(parts, section_bars)
    if cuts is None or len(cuts) == 1:
        return whole_musicxml_bytes(score)
    (first, first_end), *rest = cuts
    document, exporter = _export_section(score, parts, first, first_end)
    part_elements = document.findall("part")
    for part in part_elements:
        part[:] = _section_bars(part, leading=False, trailing=True)
    for start, end in rest:
        root, _ = _export_section(score, parts, start, end)
        for whole, section in zip(part_elements, root.findall("part"), strict=True):
            whole.extend(_section_bars(section, leading=True, trailing=False))
    from music21.musicxml import helpers

    header: bytes = exporter.xmlHeader()
    return header + str(helpers.dumpString(document, noCopy=True)).encode("utf-8")


def whole_musicxml_bytes(score: stream.Score) -> bytes:
    """``score`` as music21 exports it in one piece (the reference the sections match)."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    return bytes(GeneralObjectExporter(score).parse())


@dataclass
class _Staff:
    """One staff of the score as the sections need it: its bars, spanners and context."""

    part: stream.Part
    measures: list[stream.Measure]
    spanners: list[Any]
    bar_of: dict[int, int]  # id of each element in a bar → the bar's index
    kinds: list[Any] = field(default_factory=list)  # first instrument of each class, in order
    in_force: list[dict[str, Any]] = field(default_factory=list)  # per bar: at its end
    spanner_numbers: list[int] = field(default_factory=list)  # each spanner's place in its kind


_CONTEXT_CLASSES = ("Clef", "KeySignature", "TimeSignature", "Instrument")


def _staves(score: stream.Score) -> list[_Staff] | None:
    """Each staff's bars, spanners and what is in force after each bar; None when the
    score holds anything the sections cannot carry."""
    from music21 import layout, metadata, spanner, stream

    for element in score:
        if not isinstance(element, stream.Part | layout.StaffGroup | metadata.Metadata):
            return None
    staves: list[_Staff] = []
    for part in score.parts:
        measures: list[stream.Measure] = []
        spanners: list[Any] = []
        for element in part:
            if isinstance(element, stream.Measure):
                measures.append(element)
            elif isinstance(element, spanner.Spanner):
                spanners.append(element)
            else:
                return None
        staff = _Staff(part, measures, spanners, {})
        if not _index_bars(staff):
            return None
        staves.append(staff)
    if not staves or len({len(s.measures) for s in staves}) != 1:
        return None
    counts: dict[str, int] = {}  # spanners of each kind so far, through the parts in order
    for staff in staves:
        for held in staff.spanners:
            kind = _numbering_class(held)
            staff.spanner_numbers.append(counts.get(kind, 0))
            counts[kind] = counts.get(kind, 0) + 1
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
            if isinstance(element, instrument.Instrument) and type(element) not in seen:
                seen.add(type(element))
                staff.kinds.append(element)
        staff.in_force.append(dict(state))
    return True


def _cuts(staves: Sequence[_Staff], section_bars: int) -> list[tuple[int, int]] | None:
    """Sections (first bar, end bar) of at least ``section_bars`` bars, each starting at a
    bar line nothing crosses; None when a spanner holds something outside the bars."""
    bars = len(staves[0].measures)
    crossing = [0] * (bars + 1)  # difference array: spanners over each bar line
    for staff in staves:
        for held in staff.spanners:
            where = [staff.bar_of.get(id(e)) for e in held.getSpannedElements()]
            if not where or any(w is None for w in where):
                return None
            first, last = min(w for w in where if w is not None), max(
                w for w in where if w is not None)
            crossing[first + 1] += 1
            crossing[last + 1] -= 1
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


def _export_section(score: stream.Score, staves: Sequence[_Staff], start: int, end: int
                    ) -> tuple[Element, Any]:
    """Bars ``start``..``end`` of every staff exported by music21 (after a context bar when
    ``start`` > 0): the document's root element and the exporter that made it."""
    from music21.musicxml.m21ToXml import GeneralObjectExporter, ScoreExporter

    section, borrowed = _section_score(score, staves, start, end)
    try:
        general = GeneralObjectExporter(section)
        exporter = ScoreExporter(general.fromGeneralObject(section),
                                 makeNotation=general.makeNotation)
        exporter.parse()
    finally:
        _give_back(borrowed)
    return exporter.xmlRoot, exporter


def _section_score(score: stream.Score, staves: Sequence[_Staff], start: int, end: int
                   ) -> tuple[stream.Score, list[tuple[Any, Any, Any]]]:
    """A score of bars ``start``..``end``, and the (element, section part) pairs it borrows
    from ``score`` (music21 copies the score before it changes anything)."""
    from music21 import layout, stream

    section = stream.Score()
    section.metadata = copy.deepcopy(score.metadata)
    borrowed: list[tuple[Any, Any, Any]] = []
    by_part: dict[int, stream.Part] = {}
    placed: dict[str, int] = {}
    for staff in staves:
        original = staff.part
        part = type(original)(id=original.id)
        part.partName = original.partName
        part.partAbbreviation = original.partAbbreviation
        if start > 0:
            context = _context_bar(staff, start - 1)
            part.coreInsert(original.elementOffset(staff.measures[start - 1]), context)
        for measure in staff.measures[start:end]:
            part.coreInsert(original.elementOffset(measure), measure)
            borrowed.append((measure, part, original))
        if start == 0 and end < len(staff.measures):
            # The first section has no context bar: the kinds follow it instead.
            following = staff.measures[end]
            part.coreInsert(original.elementOffset(following),
                            _kinds_bar(staff, following.number))
        for held, own in _numbered_spanners(staff, start, end, placed):
            part.coreInsert(0, held)
            if own:
                borrowed.append((held, part, original))
        part.coreElementsChanged()
        part.atSoundingPitch = original.atSoundingPitch
        section.coreInsert(0, part)
        by_part[id(original)] = part
    section.coreElementsChanged()
    for group in score.getElementsByClass(layout.StaffGroup):
        staves_of = group.getSpannedElements()  # type: ignore[no-untyped-call]
        copied = layout.StaffGroup([by_part[id(p)] for p in staves_of],
                                   name=group.name, abbreviation=group.abbreviation,
                                   symbol=group.symbol, barTogether=group.barTogether)
        section.insert(0, copied)
    return section, borrowed


def _context_bar(staff: _Staff, before: int) -> stream.Measure:
    """The bar that leads a section in: each of the part's instrument kinds, the clef,
    key, meter and instrument in force after bar ``before``, and that bar's notes."""
    from music21 import note

    measure = staff.measures[before]
    context = _kinds_bar(staff, measure.number)
    for name in _CONTEXT_CLASSES:
        if name in staff.in_force[before]:
            context.coreInsert(0, copy.deepcopy(staff.in_force[before][name]))
    for element in measure.getElementsByClass(note.GeneralNote):
        context.coreInsert(measure.elementOffset(element), copy.deepcopy(element))
    context.coreElementsChanged()
    return context


def _kinds_bar(staff: _Staff, number: int) -> stream.Measure:
    """A bar holding one instrument of each kind the part plays, in the order they enter.

    They make music21 list every instrument of the part in its header and name
    the one playing on each note, as for the whole part; none is in force for a
    note, and none transposes anything (the one in force does).
    """
    from music21 import stream

    bar = stream.Measure(number=number)
    for kind in staff.kinds:
        copied = copy.deepcopy(kind)
        copied.transposition = None
        bar.coreInsert(0, copied)
    bar.coreElementsChanged()
    return bar


def _numbered_spanners(staff: _Staff, start: int, end: int, placed: dict[str, int]
                       ) -> Iterator[tuple[Any, bool]]:
    """The staff's spanners that start in bars ``start``..``end``, in the part's order, with
    empty spanners before them so that music21 numbers each as in the whole score; each
    with whether it is the part's own (else an empty one made here).

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
            yield type(held)(), False
        placed[kind] = placed.get(kind, 0) + gap + 1
        yield held, True


def _numbering_class(held: Any) -> str:
    """The class music21 numbers a spanner within (a crescendo shares its hairpins' count)."""
    return str(next(k for k in held.classes if k not in ("Crescendo", "Diminuendo")))


def _section_bars(part: Element, leading: bool, trailing: bool) -> list[Element]:
    """A section's ``<part>`` children without its context bars (a ``<measure>`` and the
    comment music21 writes before it)."""
    children = list(part)
    if leading:
        first = next(k for k, child in enumerate(children) if child.tag == "measure")
        children = children[first + 1:]
    if trailing:
        last = max(k for k, child in enumerate(children) if child.tag == "measure")
        children = children[:last - 1] + children[last + 1:]
    return children


def _give_back(borrowed: Sequence[tuple[Any, Any, Any]]) -> None:
    """Take the borrowed bars and spanners out of the section parts, back to their own."""
    for element, part, original in borrowed:
        element.sites.remove(part)
        element.activeSite = original
