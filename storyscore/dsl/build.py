"""Lines to the typed model: what each keyword means and what it accepts.

Every statement is checked here against the vocabulary of the language
(``storyscore.vocab``): unknown words get a suggestion, numbers are range
checked where they are written, and every problem is collected. Checks that
need the whole story (references, reachability, transitions against scene
lengths, files on disk) live in ``storyscore.dsl.validate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from storyscore import plugins, vocab
from storyscore.diagnostics import Diagnostic, SourceSpan
from storyscore.dsl import strings
from storyscore.dsl.parser import Arg, Line
from storyscore.errors import suggest
from storyscore.model import (
    Camera,
    Character,
    Choice,
    Key,
    Mode,
    MusicSettings,
    Narration,
    Painter,
    Scene,
    Size,
    Story,
    Transition,
    Voice,
    WordsFile,
)

IDENTIFIER = re.compile(r"[^\W\d_][\w-]*\Z")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)")
_BAD_TOKENS = {
    "BAD_STRING": ("unterminated string", 'close it with a " on the same line'),
    "BAD_LONG_STRING": ('unterminated triple-quoted string', 'close it with """'),
    "BAD_NUMBER": ("'{}' is not a number or a duration",
                   "numbers look like 72 or 1.15; durations like 8s, 2.5s, 750ms, 1m or 1m30s"),
    "BAD_CHAR": ("unexpected character '{}'", None),
}
_STRING_KINDS = ("STRING", "LONG_STRING")


def parse_duration(text: str) -> float:
    """Seconds in a DURATION token: ``8s``, ``2.5s``, ``750ms``, ``1m``, ``1m30s``."""
    total = 0.0
    for number, unit in _DURATION_PART.findall(text):
        total += float(number) * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
    return round(total, 6)


def describe(arg: Arg) -> str:
    """An argument as quoted in a message."""
    text = arg.text.split("\n")[0]
    return f"'{text[:40]}{'…' if len(text) > 40 else ''}'"


@dataclass
class Built:
    """The outcome of building: the story (when it could be made) and what was found."""

    story: Story | None
    diagnostics: list[Diagnostic]
    # Scenes whose own lines had errors: later checks skip what those errors explain.
    damaged_scenes: set[str] = field(default_factory=set)


class _Args:
    """A cursor over a statement's arguments that reports what it finds wrong."""

    def __init__(self, builder: _Builder, line: Line):
        self.builder = builder
        self.keyword = line.args[0]
        self.args = line.args[1:]
        self.pos = 0
        self.failed = False

    def peek(self) -> Arg | None:
        return self.args[self.pos] if self.pos < len(self.args) else None

    def take(self) -> Arg | None:
        arg = self.peek()
        if arg is not None:
            self.pos += 1
        return arg

    def end_span(self) -> SourceSpan:
        """Just after the last argument read so far: where something is missing."""
        last = self.args[self.pos - 1] if self.pos else self.keyword
        s = last.span
        return SourceSpan(s.file, s.end_line, s.end_column + 1, s.end_line, s.end_column + 2)

    def missing(self, what: str, hint: str | None = None) -> None:
        found = self.peek()
        if found is None:
            self.error(self.end_span(), f"expected {what} after '{self.previous_text()}'", hint)
        else:
            self.error(found.span, f"expected {what}, found {describe(found)}", hint)

    def previous_text(self) -> str:
        prev = self.args[self.pos - 1] if self.pos else self.keyword
        return prev.text.split("\n")[0][:40]

    def error(self, span: SourceSpan, message: str, hint: str | None = None) -> None:
        self.failed = True
        self.builder.error(span, message, hint)

    def string(self, what: str, example: str) -> tuple[str, Arg] | None:
        arg = self.peek()
        if arg is None or arg.kind not in _STRING_KINDS:
            self.missing(what, f"for example: {self.keyword.text} {example}")
            return None
        self.pos += 1
        return self.builder.decode(arg), arg

    def word(self, what: str, choices: Iterable[str] | None = None,
             example: str | None = None) -> Arg | None:
        arg = self.peek()
        if arg is None or arg.kind not in ("WORD", "NOTE", "SIZE"):
            pool = list(choices) if choices is not None else None
            hint = f"one of: {', '.join(pool)}" if pool and len(pool) <= 14 else None
            self.missing(what, hint or (f"for example: {example}" if example else None))
            return None
        self.pos += 1
        return arg

    def one_of(self, what: str, choices: Iterable[str], plural: str) -> Arg | None:
        """A word that must be one of ``choices``; reports an unknown one with a suggestion."""
        pool = list(choices)
        arg = self.word(f"a {what}", pool)
        if arg is None:
            return None
        if arg.text not in pool:
            self.error(arg.span, f"unknown {what} '{arg.text}'",
                       suggest(arg.text, pool) or f"{plural}: {', '.join(pool)}")
            return None
        return arg

    def number(self, what: str, low: float, high: float, *, whole: bool = False) -> float | None:
        arg = self.peek()
        if arg is None or arg.kind != "NUMBER":
            if arg is not None and arg.kind == "DURATION" and not whole:
                self.error(arg.span, f"{what} is a plain number, without a unit",
                           f"write {arg.text.rstrip('ms')}")
                self.pos += 1
                return None
            self.missing(what)
            return None
        self.pos += 1
        if whole and not re.fullmatch(r"-?\d+", arg.text):
            self.error(arg.span, f"{what} must be a whole number, not {arg.text}")
            return None
        # A whole number is read as an int: through a float, a seed above 2**53
        # would silently change and the largest one would fail its own range.
        value = int(arg.text) if whole else float(arg.text)
        if not low <= value <= high:
            shown_low, shown_high = (_num(low), _num(high))
            self.error(arg.span, f"{what} {arg.text} is out of range",
                       f"use a value from {shown_low} to {shown_high}")
            return None
        return value

    def duration(self) -> float | None:
        """An optional duration; a bare number is reported as missing its unit."""
        arg = self.peek()
        if arg is None:
            return None
        if arg.kind == "DURATION":
            self.pos += 1
            return parse_duration(arg.text)
        if arg.kind == "NUMBER":
            self.pos += 1
            self.error(arg.span, f"a duration needs a unit: {arg.text}s or {arg.text}ms?",
                       f"write {arg.text}s")
        return None

    def finish(self) -> None:
        """Report whatever is left on the line."""
        extra = self.peek()
        if extra is not None and not self.failed:
            self.error(extra.span, f"unexpected {describe(extra)} after "
                       f"'{self.previous_text()}'",
                       f"'{self.keyword.text}' takes {_FORMS.get(self.keyword.text, 'no more')}")


def _shown(text: str) -> str:
    """A number as quoted in a message: a 400-digit one is cut short."""
    return text if len(text) <= 20 else text[:17] + "…"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


_FORMS = {
    "title": "one string", "author": "one string", "style": "one string",
    "negative": "one string", "soundfont": "one string", "prompt": "one string",
    "concepts": "one string",
    "image": "one string", "narrate": "one string",
    "size": "WxH or a preset (480p, 720p, 1080p, square, portrait)",
    "fps": "one whole number", "seed": "one whole number",
    "painter": 'procedural, or diffusers "MODEL"',
    "voice": "a voice name and, optionally, speed NUMBER",
    "character": "an id and a string", "camera": "a move and, optionally, an amount",
    "transition": "a transition and, optionally, a duration",
    "choice": 'a string, ->, and a scene id', "next": "one scene id", "end": "nothing",
    "scene": "an id, an optional title string and an optional duration or auto",
    "music": "settings separated by commas",
}


class _Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.diagnostics: list[Diagnostic] = []
        self.damaged: set[str] = set()
        self.in_scene = False  # building a scene's statements (some settings are story-wide)

    # -- reporting ---------------------------------------------------------

    def error(self, span: SourceSpan, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", message, span, hint))

    def warning(self, span: SourceSpan, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("warning", message, span, hint))

    def decode(self, arg: Arg) -> str:
        for offset in strings.bad_escapes(arg.text):
            before = arg.text[:offset]
            line = arg.span.line + before.count("\n")
            column = (offset - before.rfind("\n")) if "\n" in before else arg.span.column + offset
            span = SourceSpan(arg.span.file, line, column, line, column + 2)
            self.error(span, f"unknown escape '{arg.text[offset:offset + 2]}' in a string",
                       'use \\" \\\\ \\n or \\t; write \\\\ for a backslash')
        return strings.decode(arg.text)

    def report_bad_tokens(self, line: Line) -> bool:
        """Report lexer leftovers on a line; True when there were any."""
        bad = False
        for arg in line.args:
            if arg.kind in _BAD_TOKENS:
                bad = True
                message, hint = _BAD_TOKENS[arg.kind]
                span = arg.span
                if arg.kind == "BAD_LONG_STRING":
                    span = SourceSpan(span.file, span.line, span.column, span.line, span.column + 3)
                shown = arg.text if arg.text.isprintable() else f"U+{ord(arg.text[0]):04X}"
                size = re.fullmatch(r"(\d+)X(\d+)", arg.text)
                if arg.kind == "BAD_NUMBER" and size is not None:
                    # A size is WxH with a lowercase x; "1280X720" is not a number.
                    message = "'{}' is not a size"
                    hint = f"write {size[1]}x{size[2]}, with a lowercase x"
                self.error(span, message.format(shown), hint)
        return bad

    # -- the script ----------------------------------------------------------

    def build(self, lines: list[Line], default_title: str) -> Story | None:
        settings: dict[str, object] = {}
        seen: dict[str, SourceSpan] = {}
        characters: list[Character] = []
        words_files: list[WordsFile] = []
        scenes: list[Scene] = []
        for line in lines:
            head = line.args[0]
            bad = self.report_bad_tokens(line)
            if head.kind != "WORD":
                if head.kind not in _BAD_TOKENS:
                    self.error(head.span, f"expected a setting or 'scene', found {describe(head)}",
                               "each line starts with a keyword such as scene, title or prompt")
                self._reject_body(line, nested=False)
                continue
            keyword = head.text
            if keyword == "scene":
                scene = self.scene(line, bad)
                if scene is not None:
                    scenes.append(scene)
                continue
            self._reject_body(line, nested=False)
            if keyword in vocab.HEADER_SETTINGS:
                if scenes:
                    self.error(head.span, f"setting '{keyword}' after the first scene",
                               "story settings go before the first scene; a scene's own "
                               "statements are indented under its scene line")
                    continue
                if keyword in seen and keyword not in vocab.REPEATABLE_SETTINGS:
                    first = seen[keyword]
                    self.error(head.span, f"setting '{keyword}' is given twice",
                               f"it was first given on line {first.line}; keep one")
                    continue
                seen[keyword] = head.span
                if bad:
                    continue
                if keyword == "character":
                    character = self.character(line, characters)
                    if character is not None:
                        characters.append(character)
                elif keyword == "concepts":
                    args = _Args(self, line)
                    path = self._path(args, '"my-words.yaml"')
                    args.finish()
                    if path is not None and not args.failed:
                        words_files.append(WordsFile(path, line.args[1].span))
                else:
                    value = self.setting(keyword, line)
                    if value is not None:
                        settings[keyword] = value
                        if keyword == "soundfont":
                            settings["soundfont_span"] = line.args[1].span
            elif keyword in vocab.SCENE_STATEMENTS:
                self.error(head.span, f"'{keyword}' belongs to a scene",
                           "indent it under a scene line")
            else:
                hint = suggest(keyword, [*vocab.HEADER_SETTINGS, "scene"])
                self.error(head.span, f"unknown setting '{keyword}'", hint)
        if not scenes:
            if not any(d.severity == "error" for d in self.diagnostics):
                self.error(SourceSpan(self.filename, 1, 1, 1, 1), "the script has no scenes",
                           'add one, for example: scene start\\n    prompt "a quiet forest"')
            return None
        return Story(
            title=str(settings.get("title", default_title)),
            scenes=tuple(scenes),
            source=self.filename,
            characters=tuple(characters),
            concepts=tuple(words_files),
            **{k: v for k, v in settings.items() if k != "title"},  # type: ignore[arg-type]
        )

    def _reject_body(self, line: Line, *, nested: bool) -> None:
        if line.body:
            first = line.body[0].args[0]
            where = "a scene's statements" if nested else describe(line.args[0])
            self.error(first.span, f"unexpected indentation under {where}",
                       "only scene lines have an indented body" if not nested
                       else "statements in a scene are all indented the same")

    # -- header settings -----------------------------------------------------

    def setting(self, keyword: str, line: Line) -> object | None:
        args = _Args(self, line)
        value = _SETTINGS[keyword](self, args)
        args.finish()
        return None if args.failed else value

    def _title(self, args: _Args) -> str | None:
        got = args.string("a string", '"The Lighthouse Keeper\'s Daughter"')
        if not got:
            return None
        title = strings.one_line(got[0])
        if not title:
            # The book's cover, the MP4's metadata and explain's heading would be blank.
            args.error(got[1].span, "a title needs text",
                       "write the title, or remove the line to use the file's name")
            return None
        return title

    def _text(self, args: _Args) -> str | None:
        got = args.string("a string", '"soft light, watercolor"')
        return strings.one_line(got[0]) if got else None

    def _path(self, args: _Args, example: str = '"fonts/my-font.sf2"') -> str | None:
        got = args.string("a file name in quotes", example)
        return got[0] if got else None

    def _size(self, args: _Args) -> Size | None:
        arg = args.word("a size", example="720p or 1280x720")
        if arg is None:
            return None
        if arg.text in vocab.SIZE_PRESETS:
            width, height = vocab.SIZE_PRESETS[arg.text]
            return Size(width, height, arg.span)
        match = re.fullmatch(r"(\d+)x(\d+)", arg.text)
        if match is None:
            args.error(arg.span, f"unknown size '{arg.text}'",
                       suggest(arg.text, vocab.SIZE_PRESETS)
                       or "write WxH (for example 1280x720) or one of: "
                       + ", ".join(vocab.SIZE_PRESETS))
            return None
        width, height = int(match[1]), int(match[2])
        low, high = vocab.SIZE_RANGE
        for side, value in (("width", width), ("height", height)):
            if not low <= value <= high:
                args.error(arg.span, f"{side} {value} is out of range",
                           f"each side is from {low} to {high} pixels")
                return None
            if value % 2:
                args.error(arg.span, f"{side} {value} is odd",
                           f"video needs even sizes: use {value - 1} or {value + 1}")
                return None
        return Size(width, height, arg.span)

    def _fps(self, args: _Args) -> int | None:
        value = args.number("fps", *vocab.FPS_RANGE, whole=True)
        return None if value is None else int(value)

    def _seed(self, args: _Args) -> int | None:
        value = args.number("seed", *vocab.SEED_RANGE, whole=True)
        return None if value is None else int(value)

    def _painter(self, args: _Args) -> Painter | None:
        nxt = args.peek()
        # Plugins are looked up (a scan of the installed packages) only when needed.
        installed = () if nxt is not None and nxt.text in vocab.PAINTERS else plugins.names(
            plugins.PAINTERS, besides=vocab.PAINTERS)
        arg = args.one_of("painter", [*vocab.PAINTERS, *installed], "painters")
        if arg is None:
            return None
        if arg.text == "procedural":
            return Painter("procedural", None, arg.span)
        if arg.text != "diffusers":
            # A plugin painter takes a model when the script names one.
            nxt = args.peek()
            if nxt is None or nxt.kind not in _STRING_KINDS:
                return Painter(arg.text, None, arg.span)
            got = args.string("a model in quotes", f'{arg.text} "MODEL"')
            return Painter(arg.text, got[0], arg.span) if got else None
        got = args.string("a model id or folder in quotes", 'diffusers "stabilityai/sd-turbo"')
        return Painter(arg.text, got[0], arg.span) if got else None

    def _voice(self, args: _Args) -> Voice | None:
        arg = args.word("a voice", [*vocab.VOICES, "espeak:VOICE"])
        if arg is None:
            return None
        name = arg.text
        known = name in vocab.VOICES or (
            name.startswith(vocab.ESPEAK_PREFIX) and len(name) > len(vocab.ESPEAK_PREFIX)
        )
        installed = () if known else plugins.names(plugins.VOICES, besides=vocab.VOICES)
        if not known and name.partition(":")[0] not in installed:
            args.error(arg.span, f"unknown voice '{name}'",
                       suggest(name, [*vocab.VOICES, *installed])
                       or "voices: joe, espeak, espeak:VOICE (for example espeak:en-gb), none"
                       + "".join(f", {plugin}" for plugin in installed))
            return None
        speed = 1.0
        nxt = args.peek()
        if nxt is not None:
            if nxt.kind == "WORD" and nxt.text == "speed":
                args.take()
                value = args.number("speed", *vocab.SPEED_RANGE)
                if value is None:
                    return None
                speed = value
            else:
                args.error(nxt.span, f"unexpected {describe(nxt)} after the voice",
                           suggest(nxt.text, ["speed"]) or "write: voice joe speed 1.1")
                return None
        return Voice(name, speed, arg.span)

    def _transition(self, args: _Args) -> Transition | None:
        arg = args.one_of("transition", vocab.TRANSITIONS, "transitions")
        if arg is None:
            return None
        if arg.text == "cut":
            nxt = args.peek()
            if nxt is not None and nxt.kind in ("DURATION", "NUMBER"):
                args.error(nxt.span, "a cut takes no duration", "remove it, or use crossfade")
                return None
            return Transition("cut", 0.0, arg.span)
        seconds = args.duration()
        if args.failed:
            return None
        if seconds is None:
            seconds = vocab.DEFAULT_TRANSITION_SECONDS
        elif seconds > vocab.MAX_TRANSITION_SECONDS:
            shown = _shown(args.args[args.pos - 1].text)
            args.error(args.args[args.pos - 1].span,
                       f"a transition of {shown} is out of range",
                       "a transition lasts at most 24 hours, and less than its scenes")
            return None
        if seconds == 0:
            return Transition("cut", 0.0, arg.span)
        return Transition(arg.text, seconds, arg.span)

    def _music(self, args: _Args) -> MusicSettings | None:
        groups: list[list[Arg]] = [[]]
        for arg in args.args:
            if arg.kind == "COMMA":
                groups.append([])
            else:
                groups[-1].append(arg)
        args.pos = len(args.args)
        values: dict[str, object] = {}
        for index, group in enumerate(groups):
            if not group:
                where = args.args[-1] if args.args else args.keyword
                self.error(where.span if index else args.keyword.span,
                           "expected a music setting" + (" after ','" if index else ""),
                           "settings: " + ", ".join(vocab.MUSIC_SETTINGS))
                args.failed = True
                continue
            name = group[0]
            if name.kind != "WORD" or name.text not in vocab.MUSIC_SETTINGS:
                args.error(name.span, f"unknown music setting {describe(name)}",
                           suggest(name.text, vocab.MUSIC_SETTINGS)
                           or "settings: " + ", ".join(vocab.MUSIC_SETTINGS))
                continue
            field_name = _MUSIC_FIELDS.get(name.text, name.text)
            if field_name in values:
                args.error(name.span, f"music setting '{name.text}' is given twice")
                continue
            sub = _Args(self, Line([name, *group[1:]]))
            value = _MUSIC[name.text](self, sub)
            sub.finish()
            if sub.failed:
                args.failed = True
                continue
            values[field_name] = value
        if args.failed:
            return None
        return MusicSettings(span=args.keyword.span, **values)  # type: ignore[arg-type]

    def _key(self, args: _Args) -> Key | None:
        note = args.word("a note", example="key F# minor")
        if note is None:
            return None
        tonic = _tonic(note.text)
        if tonic is None:
            args.error(note.span, f"'{note.text}' is not a note",
                       "notes are A to G, with # or b: C, F#, Bb")
            return None
        mode = args.word("major or minor", vocab.MODES)
        if mode is None:
            return None
        if mode.text not in vocab.MODES:
            args.error(mode.span, f"unknown mode '{mode.text}'",
                       suggest(mode.text, vocab.MODES) or "use major or minor")
            return None
        mode_name: Mode = "major" if mode.text == "major" else "minor"
        return Key(tonic, mode_name, note.span)

    def _tempo(self, args: _Args) -> float | None:
        return args.number("tempo", *vocab.TEMPO_RANGE)

    def _mood(self, args: _Args) -> str | None:
        arg = args.one_of("mood", vocab.MOODS, "moods")
        return None if arg is None else arg.text

    def _instrument(self, args: _Args) -> tuple[str, ...] | None:
        arg = args.word("an instrument", example="instrument harp+strings")
        if arg is None:
            return None
        names = arg.text.split("+")
        offset = 0
        result: list[str] = []
        for name in names:
            if name not in vocab.INSTRUMENTS:
                col = arg.span.column + offset
                span = SourceSpan(arg.span.file, arg.span.line, col, arg.span.line,
                                  col + max(1, len(name)))
                args.error(span, f"unknown instrument '{name}'",
                           suggest(name, vocab.INSTRUMENTS)
                           or "see the instrument list in docs/language.md")
            result.append(name)
            offset += len(name) + 1
        return tuple(result)

    def _volume(self, args: _Args) -> float | None:
        return args.number("volume", *vocab.VOLUME_RANGE)

    def _silent(self, args: _Args) -> bool:
        return True

    def _meter(self, args: _Args) -> str | None:
        arg = args.peek()
        if arg is None or arg.kind != "METER":
            args.missing("a time signature", "one of: " + ", ".join(vocab.METERS))
            return None
        args.pos += 1
        if arg.text not in vocab.METERS:
            args.error(arg.span, f"unsupported meter '{arg.text}'",
                       suggest(arg.text, vocab.METERS) or "meters: " + ", ".join(vocab.METERS))
            return None
        if self.in_scene:
            args.error(arg.span, "the meter is set once, for the whole story",
                       f"move 'music meter {arg.text}' to the story settings at the top")
            return None
        return arg.text

    def character(self, line: Line, known: list[Character]) -> Character | None:
        args = _Args(self, line)
        ident = args.word("a character id", example='character mira "a girl with a red scarf"')
        if ident is None:
            args.finish()
            return None
        if not self.check_identifier(ident, "character id"):
            return None
        got = args.string("the character's description", f'{ident.text} "a girl with a red scarf"')
        args.finish()
        if got is None or args.failed:
            return None
        for other in known:
            if other.id == ident.text:
                self.error(ident.span, f"character '{ident.text}' is defined twice",
                           f"it was first defined on line {other.span.line}")
                return None
        return Character(ident.text, strings.one_line(got[0]), ident.span)

    def check_identifier(self, arg: Arg, what: str) -> bool:
        if IDENTIFIER.match(arg.text) and len(arg.text) <= vocab.MAX_ID_LENGTH:
            return True
        if IDENTIFIER.match(arg.text):
            self.error(arg.span, f"{what} '{arg.text[:20]}…' is {len(arg.text)} characters long",
                       f"ids have at most {vocab.MAX_ID_LENGTH} characters")
            return False
        self.error(arg.span, f"'{arg.text}' is not a valid {what}",
                   "ids start with a letter and hold letters, digits, _ and -")
        return False

    # -- scenes ---------------------------------------------------------------

    def scene(self, line: Line, bad: bool) -> Scene | None:
        args = _Args(self, line)
        args.args = [a for a in args.args if a.kind not in _BAD_TOKENS]
        ident = args.word("a scene id", example="scene dawn \"Dawn\" 8s")
        if ident is None or not self.check_identifier(ident, "scene id"):
            self._scene_body(line, "?")
            return None
        title = ident.text
        nxt = args.peek()
        if nxt is not None and nxt.kind in _STRING_KINDS:
            args.take()
            title = strings.one_line(self.decode(nxt))
            if not title:
                args.error(nxt.span, "a scene's title needs text",
                           f"write the title, or remove it to use the scene's id ({ident.text})")
                title = ident.text
        duration: float | None = None
        duration_span = ident.span
        nxt = args.peek()
        if nxt is not None and nxt.kind == "WORD" and nxt.text == "auto":
            args.take()
            duration_span = nxt.span
        elif nxt is not None and nxt.kind in ("DURATION", "NUMBER"):
            duration_span = nxt.span
            duration = args.duration()
            low, high = vocab.SCENE_SECONDS_RANGE
            if duration is not None and duration <= 0:
                args.error(nxt.span, "a scene's duration must be greater than zero",
                           "leave it out (auto) to fit the narration")
                duration = None
            elif duration is not None and not low <= duration <= high:
                args.error(nxt.span, f"a scene's duration of {_shown(nxt.text)} is out of range",
                           "a scene lasts from 250ms to 24 hours (1440m)")
                duration = None
        elif nxt is not None and nxt.kind == "WORD":
            hint = suggest(nxt.text, ["auto"])
            args.error(nxt.span, f"expected a title string, a duration or auto, "
                       f"found {describe(nxt)}", hint or 'write the title in quotes: "Dawn"')
        args.finish()
        if args.failed or bad:
            self.damaged.add(ident.text)
        fields = self._scene_body(line, ident.text)
        if not line.body:
            self.error(ident.span, f"scene '{ident.text}' has nothing in it",
                       'indent its statements under it, for example:    prompt "a quiet forest"')
            self.damaged.add(ident.text)
        return Scene(
            id=ident.text, title=title, duration=duration, span=line.span, id_span=ident.span,
            duration_span=duration_span, **fields,  # type: ignore[arg-type]
        )

    def _scene_body(self, line: Line, scene_id: str) -> dict[str, object]:
        """The fields of a scene from its statements; problems are reported and
        mark the scene damaged."""
        fields: dict[str, object] = {}
        seen: dict[str, SourceSpan] = {}
        narration: list[Narration] = []
        choices: list[Choice] = []
        for statement in line.body:
            keyword = self._scene_keyword(statement, scene_id)
            if keyword is None:
                continue
            bad = self.report_bad_tokens(statement)
            if keyword in seen and keyword not in vocab.REPEATABLE_STATEMENTS:
                self.error(statement.args[0].span,
                           f"'{keyword}' is given twice in scene '{scene_id}'",
                           f"it was first given on line {seen[keyword].line}; keep one")
                continue
            seen[keyword] = statement.args[0].span
            if bad:
                self.damaged.add(scene_id)
                fields.setdefault("prompt" if keyword == "prompt" else "_", "")
                continue
            args = _Args(self, statement)
            self._scene_statement(keyword, args, fields, narration, choices)
            args.finish()
            if args.failed:
                self.damaged.add(scene_id)
        fields.pop("_", None)
        if fields.get("prompt") == "":
            del fields["prompt"]
        self._check_scene_exits(seen, choices)
        fields["narration"] = tuple(narration)
        fields["choices"] = tuple(choices)
        return fields

    def _scene_keyword(self, statement: Line, scene_id: str) -> str | None:
        """The statement's keyword when it is one a scene takes; otherwise the
        problem is reported (with its bad tokens) and the scene marked damaged."""
        head = statement.args[0]
        self._reject_body(statement, nested=True)
        if head.kind != "WORD":
            self.report_bad_tokens(statement)
            if head.kind not in _BAD_TOKENS:
                self.error(head.span, f"expected a statement, found {describe(head)}",
                           "statements: " + ", ".join(vocab.SCENE_STATEMENTS))
            self.damaged.add(scene_id)
            return None
        keyword = head.text
        if keyword in vocab.SCENE_STATEMENTS:
            return keyword
        self.report_bad_tokens(statement)
        self.damaged.add(scene_id)
        if keyword == "scene":
            self.error(head.span, "a scene inside a scene", "start each scene at the first column")
        elif keyword in vocab.HEADER_SETTINGS:
            self.error(head.span, f"'{keyword}' is a story setting, not a scene statement",
                       "put it before the first scene")
        else:
            self.error(head.span, f"unknown statement '{keyword}'",
                       suggest(keyword, vocab.SCENE_STATEMENTS)
                       or "statements: " + ", ".join(vocab.SCENE_STATEMENTS))
        return None

    def _scene_statement(self, keyword: str, args: _Args, fields: dict[str, object],
                         narration: list[Narration], choices: list[Choice]) -> None:
        """Read one well-formed scene statement into ``fields``, ``narration`` or ``choices``."""
        if keyword == "narrate":
            got = args.string("the narration in quotes", '"Every morning, Mira walked."')
            if got is not None:
                narration.append(Narration(strings.paragraphs(got[0]), got[1].span))
        elif keyword == "choice":
            choice = self._choice(args)
            if choice is not None:
                choices.append(choice)
        elif keyword == "end":
            fields["end"] = True
        elif keyword == "next":
            target = args.word("a scene id", example="next village")
            if target is not None and self.check_identifier(target, "scene id"):
                fields["next"] = target.text
                fields["next_span"] = target.span
        elif keyword in ("prompt", "image"):
            got = args.string("a string",
                              '"a pine forest at dawn"' if keyword == "prompt"
                              else '"pictures/village.png"')
            if got is not None:
                text = strings.one_line(got[0]) if keyword == "prompt" else got[0]
                fields[keyword] = text
                fields[f"{keyword}_span"] = got[1].span
        else:
            self.in_scene = True
            value = _SCENE_VALUES[keyword](self, args)
            self.in_scene = False
            if value is not None:
                fields[keyword] = value

    def _check_scene_exits(self, seen: dict[str, SourceSpan], choices: list[Choice]) -> None:
        """A scene ends the story, or leads on by ``next`` or by choices: one of them."""
        if "end" in seen and ("next" in seen or choices):
            other = "next" if "next" in seen else "choice"
            self.error(seen["end"], f"'end' and '{other}' in the same scene",
                       "a scene either ends the story or leads on; keep one")
        if "next" in seen and choices:
            self.error(seen["next"], "'next' and 'choice' in the same scene",
                       "with choices, the reader picks the next scene; remove 'next'")

    def _choice(self, args: _Args) -> Choice | None:
        got = args.string("the choice's text in quotes", '"Climb the tower" -> tower')
        if got is None:
            return None
        arrow = args.peek()
        if arrow is None or arrow.kind != "ARROW":
            args.missing("'->' and a scene id", f'choice "{got[0]}" -> SCENE')
            return None
        args.take()
        target = args.word("a scene id", example=f'choice "{got[0]}" -> tower')
        if target is None or not self.check_identifier(target, "scene id"):
            return None
        text = strings.one_line(got[0])
        if not text:
            # The book would offer a blank button, the picker a blank line.
            args.error(got[1].span, "a choice needs text to offer the reader",
                       f'for example: choice "Go on" -> {target.text}')
            return None
        return Choice(text, target.text, args.keyword.span, target.span)

    def _camera(self, args: _Args) -> Camera | None:
        arg = args.one_of("camera move", vocab.CAMERA_MOVES, "moves")
        if arg is None:
            return None
        default, low, high = vocab.CAMERA_MOVES[arg.text]
        amount = default
        if args.peek() is not None and arg.text != "still":
            what = "zoom" if arg.text.startswith("zoom") else "pan"
            value = args.number(f"{what} amount", low, high)
            if value is None:
                return None
            amount = value
        return Camera(arg.text, amount, arg.span)


def _tonic(text: str) -> str | None:
    match = re.fullmatch(r"([A-Ga-g])([#♯b♭]?)", text)
    if match is None:
        return None
    accidental = {"♯": "#", "♭": "b"}.get(match[2], match[2])
    return match[1].upper() + accidental


_Handler = Callable[[_Builder, _Args], object]

_SETTINGS: dict[str, _Handler] = {
    "title": _Builder._title,
    "author": _Builder._text,
    "style": _Builder._text,
    "negative": _Builder._text,
    "soundfont": _Builder._path,
    "size": _Builder._size,
    "fps": _Builder._fps,
    "seed": _Builder._seed,
    "painter": _Builder._painter,
    "voice": _Builder._voice,
    "music": _Builder._music,
    "transition": _Builder._transition,
}

_MUSIC: dict[str, _Handler] = {
    "key": _Builder._key,
    "tempo": _Builder._tempo,
    "mood": _Builder._mood,
    "instrument": _Builder._instrument,
    "volume": _Builder._volume,
    "silent": _Builder._silent,
    "meter": _Builder._meter,
}
_MUSIC_FIELDS = {"instrument": "instruments"}

_SCENE_VALUES: dict[str, _Handler] = {
    "voice": _Builder._voice,
    "camera": _Builder._camera,
    "music": _Builder._music,
    "transition": _Builder._transition,
}


def build_story(lines: list[Line], filename: str) -> Built:
    """The typed story for parsed lines, with every problem found on the way."""
    builder = _Builder(filename)
    story = builder.build(lines, PurePath(filename).stem or "Untitled")
    return Built(story, builder.diagnostics, builder.damaged)
