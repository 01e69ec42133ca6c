"""The score's sound as a standard MIDI file, written straight from the composer's events.

The printed score and the sound differ on purpose: a staccato quarter is
printed as a quarter with a dot but sounds shorter, a tempo ramp is printed as
``rit.`` but sounds as one tempo a beat. So the MIDI file is written from the
events (their sounding lengths and velocities) and the tempo map, not from the
notation: type 1, track 0 the tempo map (every mark, per-beat ramps included),
then one track per part in score order, each on its own channel (never the
General MIDI drum channel 10), with a program change wherever a scene brings
the part a new instrument. The file ends with the last note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from storyscore.compose.notes import NoteEvent
from storyscore.compose.timeline import Timeline

TICKS_PER_QUARTER = 10080  # divisible by 2..10, 12, 14, 15, 16: tuplets land on whole ticks
_DRUMS = 9


def _tick(quarters: float) -> int:
    return round(quarters * TICKS_PER_QUARTER)


def midi_file(timeline: Timeline, events: Mapping[str, Sequence[NoteEvent]],
              programs: Mapping[str, Sequence[int | None]], order: Sequence[str]) -> bytes:
    """A type-1 MIDI file of ``events`` (parts in ``order``) under ``timeline``'s tempo map."""
    import io

    import mido

    # UTF-8, not mido's Latin-1: a part is named after a character, whose id may be "夜".
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_QUARTER, charset="utf-8")
    midi.tracks.append(_tempo_track(timeline))
    channels = [c for c in range(16) if c != _DRUMS]
    scene_ticks = [_tick(o) for o in timeline.scene_offsets]
    for index, name in enumerate(order):
        channel = channels[index % len(channels)]
        midi.tracks.append(_part_track(name, events.get(name, ()), programs.get(name, ()),
                                       scene_ticks, channel))
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def _tempo_track(timeline: Timeline) -> object:
    import mido

    track = mido.MidiTrack()
    meter = timeline.meter
    messages: list[tuple[int, int, mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("time_signature", numerator=meter.numerator,
                                denominator=meter.denominator, time=0))]
    messages += [(_tick(m.offset), 1, mido.MetaMessage("set_tempo",
                                                       tempo=round(60_000_000 / m.bpm)))
                 for m in timeline.marks]
    _append_absolute(track, messages)
    return track


def _part_track(name: str, events: Sequence[NoteEvent], programs: Sequence[int | None],
                scene_ticks: Sequence[int], channel: int) -> object:
    import mido

    track = mido.MidiTrack()
    from storyscore.compose.notation import part_name

    # The track is named as the score names the part ("Flute (Fox)", "Melody").
    messages: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=part_name(name, programs)[0]))]
    current: int | None = None
    for scene, program in enumerate(programs):
        if scene == 0 and program is None:
            # A part silent at first still names its instrument from the start.
            program = next((p for p in programs if p is not None), None)
        if program is not None and program != current:
            messages.append((scene_ticks[scene], 1,
                             mido.Message("program_change", channel=channel, program=program)))
            current = program
    for k, event in enumerate(events):
        if event.tie_stop:
            continue  # a tied continuation sounds as part of the note it continues
        start = _tick(event.offset)
        end = _tick(_sounding_end(k, events))
        for pitch in event.pitches:
            # Offs sort before ons at the same tick, so a repeated note is re-struck.
            messages.append((start, 3, mido.Message("note_on", channel=channel, note=pitch,
                                                    velocity=event.velocity)))
            messages.append((max(end, start + 1), 2, mido.Message(
                "note_off", channel=channel, note=pitch, velocity=0)))
    _append_absolute(track, messages)
    return track


def _sounding_end(index: int, events: Sequence[NoteEvent]) -> float:
    """Where the note ``events[index]`` stops sounding: through every event its ties carry it to.

    ``events`` are in time order, so a tie's continuation is among the next few.
    """
    event = events[index]
    end = event.end
    holding = event.tie_start
    for later in events[index + 1:]:
        if not holding or later.offset > end + 1e-9:
            break
        if later.tie_stop and abs(later.offset - end) < 1e-9 and later.pitches == event.pitches:
            end = later.end
            holding = later.tie_start
    return end


def _append_absolute(track: object, messages: list[tuple[int, int, object]]) -> None:
    """Append (absolute tick, order, message) rows to ``track`` as delta times."""
    import mido

    assert isinstance(track, mido.MidiTrack)
    now = 0
    for tick, _, message in sorted(messages, key=lambda m: (m[0], m[1])):
        assert isinstance(message, mido.Message | mido.MetaMessage)
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
