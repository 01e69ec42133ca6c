"""Meaning checks that need the whole story: references, the scene graph,
transitions against scene lengths, and the files a script names.

Every problem is collected; nothing here raises.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from storyscore.diagnostics import Diagnostic, SourceSpan
from storyscore.errors import PaintError, suggest
from storyscore.files import not_a_file
from storyscore.model import CHARACTER_REF, Narration, Scene, Story, Voice
from storyscore.paint.image_file import image_kind, load_picture
from storyscore.paint.procedural.words import read_words

# The shortest an ``auto`` scene can be (see the duration rules in the spec).
AUTO_MIN_WITH_NARRATION = 4.0
AUTO_WITHOUT_NARRATION = 5.0

# The espeak-ng voice for narration in each writing system (by the first word of its
# letters' Unicode names), for the hint when an English voice is given other letters.
_SCRIPT_VOICES = {
    "ARABIC": "ar", "HEBREW": "he", "CYRILLIC": "ru", "GREEK": "el", "CJK": "cmn",
    "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko", "DEVANAGARI": "hi", "THAI": "th",
    "GEORGIAN": "ka", "ARMENIAN": "hy", "BENGALI": "bn", "TAMIL": "ta",
}


def validate(story: Story, damaged: Iterable[str] = ()) -> list[Diagnostic]:
    """Every meaning problem of ``story``; scenes in ``damaged`` had errors of their own."""
    checker = _Checker(story, set(damaged))
    checker.run()
    return checker.diagnostics


def outside_files(story: Story) -> list[tuple[str, SourceSpan]]:
    """The image and soundfont paths of ``story`` that lead out of the script's folder
    (absolute, ``..``, or a link to elsewhere), with where each is written."""
    named = [(scene.image, scene.image_span) for scene in story.scenes if scene.image]
    if story.soundfont and story.soundfont_span.line:
        named.append((story.soundfont, story.soundfont_span))
    home = story.base_dir.resolve()
    return [(name, span) for name, span in named
            if not (story.base_dir / name).resolve().is_relative_to(home)]


def guaranteed_duration(scene: Scene) -> float:
    """The least a scene can last: its own duration, or what ``auto`` promises."""
    if scene.duration is not None:
        return scene.duration
    return AUTO_MIN_WITH_NARRATION if scene.paragraphs else AUTO_WITHOUT_NARRATION


class _Checker:
    def __init__(self, story: Story, damaged: set[str]):
        self.story = story
        self.damaged = damaged
        self.diagnostics: list[Diagnostic] = []
        self.ids = [scene.id for scene in story.scenes]

    def error(self, span: SourceSpan, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("error", message, span, hint))

    def warning(self, span: SourceSpan, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic("warning", message, span, hint))

    def run(self) -> None:
        duplicate = self.check_ids()
        self.check_characters()
        for scene in self.story.scenes:
            self.check_content(scene)
        references_ok = self.check_references()
        self.check_transitions()
        self.check_soundfont()
        self.check_words_files()
        self.check_outside_files()
        if references_ok and not duplicate:
            self.check_graph()

    def check_ids(self) -> bool:
        first: dict[str, Scene] = {}
        duplicate = False
        for scene in self.story.scenes:
            if scene.id in first:
                duplicate = True
                self.error(scene.id_span, f"scene id '{scene.id}' is used twice",
                           f"it was first used on line {first[scene.id].id_span.line}; "
                           "ids must be unique")
            else:
                first[scene.id] = scene
        return duplicate

    def check_characters(self) -> None:
        known = {c.id for c in self.story.characters}
        for scene in self.story.scenes:
            if scene.prompt is None:
                continue
            span = scene.prompt_span
            for match in CHARACTER_REF.finditer(scene.prompt):
                if match[1] in known:
                    continue
                # The prompt was folded to one line; point at the string when we can.
                at = span
                if span.line == span.end_line:
                    col = span.column + 1 + match.start()
                    at = SourceSpan(span.file, span.line, col, span.line, col + len(match[0]))
                hint = suggest(match[1], known)
                self.error(at, f"unknown character '@{match[1]}'",
                           hint or "define it before the first scene: "
                           f'character {match[1]} "a description"')

    def check_content(self, scene: Scene) -> None:
        voice = self.story.voice_of(scene)
        for narration in scene.narration:
            self.check_language(narration, voice)
            self.check_named_characters(narration)
        if scene.prompt is None and scene.image is None and scene.id not in self.damaged:
            self.error(scene.id_span, f"scene '{scene.id}' has neither a prompt nor an image",
                       'add a prompt "what to paint" or an image "file.png"')
        if scene.image is not None:
            path = self.story.base_dir / scene.image
            problem = not_a_file(path)
            if problem is not None:
                self.error(scene.image_span, f"image file '{scene.image}' {problem}",
                           f"looked for {path}; image paths are relative to the script")
            elif image_kind(path) is None:
                self.error(scene.image_span, f"image file '{scene.image}' is not a PNG or JPEG",
                           "convert it to PNG or JPEG")
            else:
                self.check_decodes(scene, path)

    def check_named_characters(self, narration: Narration) -> None:
        """Warn at an ``@character`` in narration: only prompts are expanded, so the voice
        would say "at mira" and the subtitles and the book would show "@mira"."""
        known = {c.id for c in self.story.characters}
        span = narration.span
        for paragraph in narration.paragraphs:
            for match in CHARACTER_REF.finditer(paragraph):
                if match[1] not in known:
                    continue
                at = span
                if span.line == span.end_line and len(narration.paragraphs) == 1:
                    col = span.column + 1 + match.start()
                    at = SourceSpan(span.file, span.line, col, span.line, col + len(match[0]))
                self.warning(at, f"'@{match[1]}' in narration is read out as 'at {match[1]}'",
                             "only prompts replace @names; write the name as it should be heard")

    def check_language(self, narration: Narration, voice: Voice) -> None:
        """Warn when an English voice is to read narration in another alphabet: espeak-ng's
        English, which phonemises for both, names such letters instead of reading them."""
        if not (voice.name in ("joe", "espeak") or voice.name.startswith("espeak:en")):
            return
        scripts = Counter(unicodedata.name(char, "?").split()[0]
                          for paragraph in narration.paragraphs for char in paragraph
                          if char.isalpha())
        latin = scripts.pop("LATIN", 0)
        if not scripts or latin >= sum(scripts.values()):
            return
        script = "HIRAGANA" if scripts.keys() & {"HIRAGANA", "KATAKANA"} else (
            scripts.most_common(1)[0][0])
        language = _SCRIPT_VOICES.get(script, "LANGUAGE")
        self.warning(narration.span,
                     f"the {voice.name} voice speaks English: it would name this narration's "
                     "letters one by one, not read it",
                     f"give the scene a voice for its language: voice espeak:{language}")

    def check_decodes(self, scene: Scene, path: Path) -> None:
        """Decode the picture as the painter will, so a truncated file or a
        decompression bomb is found by ``check``, not halfway through a render."""
        assert scene.image is not None
        try:
            load_picture(path, self.story.size.width, self.story.size.height)
        except PaintError as error:
            reason = "is too large to load" if "too large" in error.message else (
                "is damaged or truncated")
            self.error(scene.image_span, f"image file '{scene.image}' {reason}",
                       "open it in an image editor and save it again")

    def check_choices(self, scene: Scene) -> None:
        """Warn at a choice whose text repeats an earlier one of the scene: the reader
        would see two buttons saying the same thing."""
        seen: dict[str, str] = {}
        for choice in scene.choices:
            said = choice.text.casefold()
            if said in seen:
                self.warning(choice.span, f"the choice \"{choice.text}\" is offered twice in "
                             f"scene '{scene.id}' (-> {seen[said]} and -> {choice.target})",
                             "give each choice its own text, or remove one")
            else:
                seen[said] = choice.target

    def check_references(self) -> bool:
        ok = True
        for scene in self.story.scenes:
            self.check_choices(scene)
            targets = [(c.target, c.target_span) for c in scene.choices]
            if scene.next is not None:
                targets.append((scene.next, scene.next_span))
            for target, span in targets:
                if target not in self.ids:
                    ok = False
                    self.error(span, f"unknown scene '{target}'",
                               suggest(target, self.ids) or "scenes: " + ", ".join(self.ids))
        return ok

    def check_graph(self) -> None:
        story = self.story
        graph_errors_before = len(self.diagnostics)
        by_id = {scene.id: scene for scene in story.scenes}
        first = story.scenes[0]
        reached = {first.id}
        todo = [first.id]
        while todo:
            for target in story.successors(by_id[todo.pop()]):
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for scene in story.scenes:
            if scene.id not in reached:
                self.error(scene.id_span, f"scene '{scene.id}' is never reached",
                           f"no path from the first scene '{first.id}' leads to it; "
                           "add a choice or next that does")
        # Scenes from which some path ends: walk the graph backwards from the ends.
        predecessors: dict[str, list[str]] = {scene.id: [] for scene in story.scenes}
        for scene in story.scenes:
            for target in story.successors(scene):
                predecessors[target].append(scene.id)
        ending = {scene.id for scene in story.scenes if not story.successors(scene)}
        todo = list(ending)
        while todo:
            for source in predecessors[todo.pop()]:
                if source not in ending:
                    ending.add(source)
                    todo.append(source)
        for scene in story.scenes:
            if scene.id in reached and scene.id not in ending:
                self.error(scene.id_span, f"no path from scene '{scene.id}' reaches an end",
                           "the story would loop forever here; add 'end' or a choice that "
                           "leads out")
        if len(self.diagnostics) > graph_errors_before:
            # Unreachable or endless scenes already explain a looping default path.
            return
        # The video follows the first choice at every branch: that path must end.
        path = [first.id]
        while True:
            following = story.successors(by_id[path[-1]])
            if not following:
                break
            if following[0] in path:
                scene = by_id[path[-1]]
                loop = " -> ".join([*path[path.index(following[0]):], following[0]])
                span = scene.choices[0].span if scene.choices else (
                    scene.next_span if scene.next else scene.id_span)
                self.error(span, f"the default path loops: {loop}",
                           "the video takes the first choice at every branch; make the first "
                           "choice lead on")
                break
            path.append(following[0])

    def check_transitions(self) -> None:
        story = self.story
        by_id = {scene.id: scene for scene in story.scenes}
        for scene in story.scenes:
            transition = story.transition_after(scene)
            following = story.successors(scene)
            if not following:
                if scene.transition is not None and scene.transition.kind != "cut":
                    self.warning(scene.transition.span,
                                 f"scene '{scene.id}' ends the story, so its transition "
                                 "is never used", "remove it")
                continue
            for target in following:
                if target not in by_id:
                    continue
                shorter = min(guaranteed_duration(scene), guaranteed_duration(by_id[target]))
                if transition.duration > shorter:
                    span = scene.transition.span if scene.transition else story.transition.span
                    if scene.transition is None and span.line == 0:
                        span = scene.id_span
                    self.error(span,
                               f"the {transition.kind} of {_seconds(transition.duration)} "
                               f"between '{scene.id}' and '{target}' is longer than a scene "
                               f"that lasts {_seconds(shorter)}",
                               f"make it at most {_seconds(shorter)}, or lengthen the scenes")

    def check_outside_files(self) -> None:
        for name, span in outside_files(self.story):
            if not_a_file(self.story.base_dir / name) is not None or any(
                    d.span == span for d in self.diagnostics):
                continue  # already reported as an error
            self.warning(span, f"'{name}' is outside the story's folder",
                         "books and videos will hold a copy of it; --safe refuses such "
                         "files (for scripts from strangers)")

    def check_soundfont(self) -> None:
        name = self.story.soundfont
        if name is None:
            return
        path = self.story.base_dir / name
        problem = not_a_file(path)
        if problem is not None:
            self.error(self.story.soundfont_span, f"soundfont file '{name}' {problem}",
                       f"looked for {path}; paths are relative to the script")


    def check_words_files(self) -> None:
        """Each ``concepts`` file exists and every line of it makes sense to the painter."""
        for words in self.story.concepts:
            path = self.story.base_dir / words.path
            if not path.is_file():
                self.error(words.span, f"words file '{words.path}' does not exist",
                           f"looked for {path}; paths are relative to the script")
                continue
            self.diagnostics.extend(read_words(path, str(path))[1])


def _seconds(value: float) -> str:
    return f"{value:g}s"
