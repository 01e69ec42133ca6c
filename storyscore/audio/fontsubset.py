"""A SoundFont cut down to the presets one piece of MIDI can reach.

The synthesiser (``midirenderer``) takes a SoundFont as bytes and parses it
on every call, keeping its sample data twice while it plays (the bytes and
its own copy): 300 MB for the 150 MB Fluid R3, whatever the score. A story's
score plays a handful of instruments, so each call is given only them: the
presets whose program the MIDI selects (in every bank, so a bank select still
finds what it found in the whole font), the synthesiser's fallbacks (the
standard drum kit, and the font's lowest preset, which it plays when nothing
matches), their instruments and the stretches of sample data those use. The
stretches are copied byte for byte with a margin around each sample (more
than its guard points and any address offset of its zones), so every sample
the synthesiser reads is the same number it read in the whole font, and the
music is bit-identical (test: ``test_a_cut_font_plays_the_same_samples``).

Only the file's small ``pdta`` (the preset tables) is parsed here and kept
between calls; the sample data is read from the file, the stretches needed.
A file this module cannot make sense of is handed to the synthesiser whole.
"""

from __future__ import annotations

import functools
import io
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from storyscore.audio.midi import Song, is_note_on

DRUM_CHANNEL = 9
_MARGIN = 64  # sample points kept around each sample: its 46 guard points and more
# Generators that move where a zone reads its sample (SoundFont 2.04, section 8.1.2):
# fine offsets and their coarse (x 32768) counterparts.
_FINE_OFFSETS = (0, 1, 2, 3)
_COARSE_OFFSETS = (4, 12, 45, 50)
_INSTRUMENT = 41  # preset generator: the instrument a preset zone plays
_SAMPLE_ID = 53  # instrument generator: the sample an instrument zone plays
_RECORD = {"phdr": 38, "pbag": 4, "pmod": 10, "pgen": 4, "inst": 22, "ibag": 4,
           "imod": 10, "igen": 4, "shdr": 46}


class FontLayoutError(ValueError):
    """The file's chunks are not laid out as a SoundFont 2 (it is then used whole)."""


@dataclass(frozen=True)
class _Layout:
    """Where a SoundFont file keeps what the cut copies: its INFO list (bytes), its
    preset tables (records by chunk name) and its 16-bit (and 24-bit) sample data."""

    info: bytes
    tables: dict[str, list[bytes]]
    smpl: tuple[int, int]  # file offset and size in bytes
    sm24: tuple[int, int] | None


@dataclass(frozen=True)
class Programs:
    """The programs a piece of MIDI plays: on melodic channels (any bank) and on the
    drum channel (the synthesiser's drum banks, 128 and up)."""

    melodic: frozenset[int]
    drums: frozenset[int]


def programs_of(midi: bytes) -> Programs:
    """The programs ``midi`` can sound.

    Only channels that play notes count (a family's stem keeps every channel's
    program changes but plays only its own notes); program 0 counts where a
    channel plays before choosing a program.
    """
    song = Song.read(midi)
    chosen: dict[int, set[int]] = {}
    # Per channel, where its first program change and first note are: (tick, track, index).
    first_choice: dict[int, tuple[int, int, int]] = {}
    first_note: dict[int, tuple[int, int, int]] = {}
    for track, events in enumerate(song.tracks):
        for index, (tick, message) in enumerate(events):
            if message.type == "program_change":
                chosen.setdefault(message.channel, set()).add(message.program)
                first_choice.setdefault(message.channel, (tick, track, index))
            elif is_note_on(message):
                first_note.setdefault(message.channel, (tick, track, index))
    for channel, note in first_note.items():
        if not _before(first_choice.get(channel), note):
            chosen.setdefault(channel, set()).add(0)
    melodic = {program for channel in first_note if channel != DRUM_CHANNEL
               for program in chosen.get(channel, ())}
    drums = chosen.get(DRUM_CHANNEL, set()) if DRUM_CHANNEL in first_note else set()
    return Programs(frozenset(melodic), frozenset(drums))


def _before(choice: tuple[int, int, int] | None, note: tuple[int, int, int]) -> bool:
    """Whether a program change at ``choice`` surely comes before a note at ``note``.
    At one tick, events of different tracks may come in either order."""
    if choice is None:
        return False
    if choice[0] != note[0]:
        return choice[0] < note[0]
    return choice[1] == note[1] and choice[2] < note[2]


def cut_font(path: Path, programs: Programs) -> bytes:
    """The SoundFont at ``path`` with only what ``programs`` can play.

    Raises ``FontLayoutError`` when the file is not laid out as a SoundFont 2,
    and ``OSError`` when it cannot be read.
    """
    stat = path.stat()
    layout = _layout(path.resolve(), stat.st_mtime_ns, stat.st_size)
    tables = layout.tables
    presets = _kept_presets(tables["phdr"], programs)
    instruments = _referenced(tables, "p", presets, _INSTRUMENT, len(tables["inst"]) - 1)
    samples = _referenced(tables, "i", instruments, _SAMPLE_ID, len(tables["shdr"]) - 1)
    stretches = _stretches(tables, instruments, samples, layout.smpl[1] // 2)
    with path.open("rb") as stream:
        smpl = b"".join(_read(stream, layout.smpl[0] + 2 * lo, 2 * (hi - lo))
                        for lo, hi in stretches)
        sm24 = None if layout.sm24 is None else b"".join(
            _read(stream, layout.sm24[0] + lo, hi - lo) for lo, hi in stretches)
    pdta = _cut_tables(tables, presets, instruments, samples, stretches)
    sdta = _chunk(b"smpl", smpl) + (b"" if sm24 is None else _chunk(b"sm24", sm24))
    body = b"sfbk" + _list(b"INFO", layout.info) + _list(b"sdta", sdta) + _list(b"pdta", pdta)
    return _chunk(b"RIFF", body)


# ------------------------------------------------------------ reading the file


@functools.lru_cache(maxsize=2)
def _layout(path: Path, mtime_ns: int, size: int) -> _Layout:
    """The file's layout; the modification time and size make a changed file read anew."""
    with path.open("rb") as stream:
        riff, length, form = struct.unpack("<4sI4s", _read(stream, 0, 12))
        if riff != b"RIFF" or form != b"sfbk":
            raise FontLayoutError("not a RIFF 'sfbk' file")
        lists = dict(_lists(stream, 12, min(size, 8 + length)))
        if not {b"INFO", b"sdta", b"pdta"} <= lists.keys():
            raise FontLayoutError("an INFO, sdta or pdta list is missing")
        info = _read(stream, lists[b"INFO"][0], lists[b"INFO"][1])
        sdta = dict(_chunks(stream, *lists[b"sdta"]))
        pdta = dict(_chunks(stream, *lists[b"pdta"]))
        if b"smpl" not in sdta:
            raise FontLayoutError("no sample data")
        tables = {}
        for name, width in _RECORD.items():
            at, count = pdta.get(name.encode(), (0, 0))
            data = _read(stream, at, count)
            if count < width or count % width:
                raise FontLayoutError(f"the {name} table is malformed")
            tables[name] = [data[i : i + width] for i in range(0, count, width)]
    return _Layout(info, tables, sdta[b"smpl"], sdta.get(b"sm24"))


def _read(stream: io.BufferedReader, at: int, count: int) -> bytes:
    stream.seek(at)
    data = stream.read(count)
    if len(data) != count:
        raise FontLayoutError("the file ends inside a chunk")
    return data


_Found = Iterator[tuple[bytes, tuple[int, int]]]  # (name, (offset, size)) of each chunk


def _chunks(stream: io.BufferedReader, start: int, size: int) -> _Found:
    """``(name, (offset, size))`` of the RIFF chunks in ``size`` bytes from ``start``."""
    at, stop = start, start + size
    while at + 8 <= stop:
        name, length = struct.unpack("<4sI", _read(stream, at, 8))
        yield name, (at + 8, length)
        at += 8 + length + (length & 1)


def _lists(stream: io.BufferedReader, start: int, stop: int) -> _Found:
    """``(type, (offset, size))`` of each LIST chunk's contents, after its type."""
    for name, (at, length) in _chunks(stream, start, stop - start):
        if name == b"LIST" and length >= 4:
            yield _read(stream, at, 4), (at + 4, length - 4)


# ------------------------------------------------------------ choosing


def _preset_id(record: bytes) -> tuple[int, int]:
    """A preset header's ``(bank, program)``."""
    program, bank = struct.unpack_from("<HH", record, 20)
    return bank, program


def _kept_presets(phdr: list[bytes], programs: Programs) -> list[int]:
    """The presets the synthesiser can choose for ``programs``, by index, in file order.

    A melodic program in every bank (a bank select finds what it found in the
    whole font), a drum program in the drum banks, the standard kit (128, 0)
    that a missing kit falls back to, and the font's lowest preset, played when
    a program is in none of the banks it falls back to.
    """
    headers = phdr[:-1]  # the last record only ends the table
    if not headers:
        raise FontLayoutError("the font has no presets")
    present = {_preset_id(record) for record in headers}
    fallbacks = {(0, program) for program in programs.melodic}
    if programs.drums:
        fallbacks.add((128, 0))
    # The lowest preset is played only when a program has no fallback in the font.
    lowest = min(range(len(headers)), key=lambda i: (_preset_id(headers[i]), i)) \
        if not fallbacks <= present else -1
    kept = []
    for index, record in enumerate(headers):
        bank, program = _preset_id(record)
        if (program in programs.melodic or index == lowest
                or (programs.drums and bank >= 128
                    and (program in programs.drums or (bank, program) == (128, 0)))):
            kept.append(index)
    return kept


def _zones(tables: dict[str, list[bytes]], prefix: str, owner: int) -> range:
    """The zones (bag indices) of preset or instrument ``owner`` (``prefix`` "p" or "i")."""
    headers = tables["phdr" if prefix == "p" else "inst"]
    offset = 24 if prefix == "p" else 20

    def bag(index: int) -> int:
        return int(struct.unpack_from("<H", headers[index], offset)[0])

    return range(bag(owner), bag(owner + 1))


def _generators(tables: dict[str, list[bytes]], prefix: str, zone: int) -> range:
    """The generators (indices) of one zone."""
    bags = tables[f"{prefix}bag"]
    return range(struct.unpack_from("<H", bags[zone])[0],
                 struct.unpack_from("<H", bags[zone + 1])[0])


def _modulators(tables: dict[str, list[bytes]], prefix: str, zone: int) -> range:
    """The modulators (indices) of one zone."""
    bags = tables[f"{prefix}bag"]
    return range(struct.unpack_from("<H", bags[zone], 2)[0],
                 struct.unpack_from("<H", bags[zone + 1], 2)[0])


def _referenced(tables: dict[str, list[bytes]], prefix: str, owners: Iterable[int],
                operator: int, count: int) -> list[int]:
    """The instruments (or samples) that ``owners``' zones name with ``operator``, sorted."""
    found = set()
    generators = tables[f"{prefix}gen"]
    for owner in owners:
        for zone in _zones(tables, prefix, owner):
            for index in _generators(tables, prefix, zone):
                op, amount = struct.unpack("<HH", generators[index])
                if op == operator:
                    if amount >= count:
                        raise FontLayoutError(f"a zone names {amount}, beyond the table")
                    found.add(amount)
    return sorted(found)


def _stretches(tables: dict[str, list[bytes]], instruments: list[int], samples: list[int],
               points: int) -> list[tuple[int, int]]:
    """The stretches of sample data (in sample points, sorted, not touching) that hold
    ``samples`` with a margin wider than any address offset their zones apply."""
    reach = _MARGIN + _largest_offset(tables, instruments)
    spans = []
    for index in samples:
        start, end, loop_start, loop_end = struct.unpack_from("<IIII", tables["shdr"][index], 20)
        lo = max(0, min(start, loop_start) - reach)
        hi = min(points, max(end, loop_end) + reach)
        if hi > lo:
            spans.append((lo, hi))
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def _largest_offset(tables: dict[str, list[bytes]], instruments: list[int]) -> int:
    """The largest distance, in sample points, that a zone of ``instruments`` moves a
    sample's start, end or loop (its global zone's and its own offsets together)."""
    generators = tables["igen"]
    largest = 0
    for instrument in instruments:
        for zone in _zones(tables, "i", instrument):
            moved = 0
            for index in _generators(tables, "i", zone):
                op, amount = struct.unpack("<Hh", generators[index])
                if op in _FINE_OFFSETS:
                    moved += abs(amount)
                elif op in _COARSE_OFFSETS:
                    moved += 32768 * abs(amount)
            largest = max(largest, moved)
    # A global zone's offsets add to each zone's: count them twice to be safe.
    return 2 * largest


# ------------------------------------------------------------ writing the cut


def _cut_tables(tables: dict[str, list[bytes]], presets: list[int], instruments: list[int],
                samples: list[int], stretches: list[tuple[int, int]]) -> bytes:
    """The ``pdta`` list's contents for the kept presets, instruments and samples."""
    instrument_index = {old: new for new, old in enumerate(instruments)}
    sample_index = {old: new for new, old in enumerate(samples)}
    phdr, pbag, pmod, pgen = _cut_level(tables, "p", presets, 24, _INSTRUMENT, instrument_index)
    inst, ibag, imod, igen = _cut_level(tables, "i", instruments, 20, _SAMPLE_ID, sample_index)
    shdr = [_moved_sample(tables["shdr"][old], stretches, sample_index) for old in samples]
    shdr.append(tables["shdr"][-1])
    out = b""
    for name, records in (("phdr", phdr), ("pbag", pbag), ("pmod", pmod), ("pgen", pgen),
                          ("inst", inst), ("ibag", ibag), ("imod", imod), ("igen", igen),
                          ("shdr", shdr)):
        out += _chunk(name.encode(), b"".join(records))
    return out


def _cut_level(tables: dict[str, list[bytes]], prefix: str, owners: list[int], bag_at: int,
               operator: int, renumber: dict[int, int]) -> tuple[list[bytes], ...]:
    """Headers, zones, modulators and generators of the kept presets (``prefix`` "p")
    or instruments ("i"), renumbered, each table with its closing record."""
    headers_name = "phdr" if prefix == "p" else "inst"
    source_headers = tables[headers_name]
    headers: list[bytes] = []
    bags: list[bytes] = []
    modulators: list[bytes] = []
    generators: list[bytes] = []
    for owner in owners:
        headers.append(_with_u16(source_headers[owner], bag_at, len(bags)))
        for zone in _zones(tables, prefix, owner):
            bags.append(struct.pack("<HH", len(generators), len(modulators)))
            modulators += [tables[f"{prefix}mod"][i] for i in _modulators(tables, prefix, zone)]
            for index in _generators(tables, prefix, zone):
                op, amount = struct.unpack("<HH", tables[f"{prefix}gen"][index])
                if op == operator:
                    amount = renumber[amount]
                generators.append(struct.pack("<HH", op, amount))
    headers.append(_with_u16(source_headers[-1], bag_at, len(bags)))
    bags.append(struct.pack("<HH", len(generators), len(modulators)))
    modulators.append(tables[f"{prefix}mod"][-1])
    generators.append(tables[f"{prefix}gen"][-1])
    return headers, bags, modulators, generators


def _moved_sample(record: bytes, stretches: list[tuple[int, int]],
                  renumber: dict[int, int]) -> bytes:
    """A sample header with its positions moved to where its stretch lies in the cut."""
    start, end, loop_start, loop_end = struct.unpack_from("<IIII", record, 20)
    base = 0
    for lo, hi in stretches:
        if lo <= start < hi:
            shift = lo - base
            break
        base += hi - lo
    else:
        raise FontLayoutError("a sample lies outside the sample data")
    moved = struct.pack("<IIII", start - shift, end - shift, loop_start - shift,
                        loop_end - shift)
    link = struct.unpack_from("<H", record, 42)[0]
    out = record[:20] + moved + record[36:42] + struct.pack("<H", renumber.get(link, 0))
    return out + record[44:]


def _with_u16(record: bytes, at: int, value: int) -> bytes:
    return record[:at] + struct.pack("<H", value) + record[at + 2 :]


def _chunk(name: bytes, data: bytes) -> bytes:
    return name + struct.pack("<I", len(data)) + data + (b"\0" if len(data) & 1 else b"")


def _list(kind: bytes, data: bytes) -> bytes:
    return _chunk(b"LIST", kind + data)
