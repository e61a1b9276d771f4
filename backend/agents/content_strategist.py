"""ContentStrategist: the LLM writes the script; pydantic validates it.

Two strategies, both real model output:
- ``json``: one structured JSON answer, validated: per scene the narration, a visual
  description (subject, setting, composition, style) and the slide content (key fact, items,
  big number, quote, comparison, chart) with a layout hint. Malformed output, or a title that
  does not name the topic, is retried with the error fed back (bounded); a malformed optional
  field is dropped, not fatal.
- ``guided``: for tiny CPU models (SmolLM2-135M) that cannot hold a JSON schema: a title, a
  hook and each scene's narration are asked for in plain text (one short call each, the scene's
  angle given by a fixed documentary structure), cleaned, and assembled into a ``Script`` here.
  Each part is judged as it comes (the title names the topic; a scene is on the topic, says
  something new and is not filler) and asked again within the attempt bound; the best answer
  is kept. The visual description and slide content are derived from the narration
  (``backend.agents.scene_content``).
``auto`` picks ``guided`` when the text model the gateway will use is a CPU-tier model.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

import numpy as np
import openai
import structlog
from pydantic import TypeAdapter, ValidationError

from ai.calls import chat, embed
from backend.agents.scene_content import derived_visual
from backend.agents.script import (
    WORDS_PER_MINUTE,
    BigNumber,
    ChartPoint,
    Comparison,
    Scene,
    Script,
    Visual,
)
from backend.agents.text_cleanup import (
    clean_narration,
    clean_title,
    content_stems,
    key_phrases,
    lexical_similarity,
    names_topic,
    sentence_keys,
    sentences,
    strip_markup,
    topic_coverage,
)
from backend.costs.service import Charge, OnCharge, charge_of, total_device_seconds

log = structlog.get_logger(__name__)
Strategy = Literal["auto", "json", "guided"]
# Called as the script is written: (fraction done 0..1, short text such as "42 words written").
OnProgress = Callable[[float, str], None]
MAX_ATTEMPTS = 3
# The angle of each scene in guided mode: the structure is ours, the words are the model's.
SCENE_ANGLES = (
    "{topic}: what it is, in simple words",
    "how {topic} works, step by step",
    "one surprising fact about {topic}",
    "the history of {topic}: when and where it started",
    "a common mistake people make about {topic}",
    "one practical tip about {topic}",
    "a real example of {topic} that people can see",
    "what the future looks like for {topic}",
)
# A scene whose words overlap a previous scene's this much (topic words aside) repeats it.
SCENE_OVERLAP_MAX = 0.35
# ... or whose embedding is this close to one (all-MiniLM-L6-v2: scenes of one topic ~0.6-0.8,
# the same thing reworded > 0.85). A soft problem: such an answer is asked again, and kept
# when nothing better comes.
SCENE_COSINE_MAX = 0.8
# Asking again is bounded per part (``max_attempts``), per script (a retry per scene, two
# more) and in time: past the budget the first usable answer of each part is kept.
TIME_BUDGET_S = 150.0


class ScriptGenerationError(RuntimeError):
    """The model did not produce a valid script within the attempt bound."""


__all__ = ["ContentStrategist", "Scene", "Script", "ScriptGenerationError"]


class ContentStrategist:
    def __init__(
        self,
        model: str | None = None,
        *,
        strategy: Strategy = "auto",
        max_attempts: int = MAX_ATTEMPTS,
        style: str = "clean documentary style",
        on_charge: OnCharge | None = None,
        time_budget_s: float = TIME_BUDGET_S,
        embedding_model: str = "embeddings",
    ) -> None:
        """``on_charge`` gets each call's charge as soon as the call is served (the ledger),
        so calls of a script that is never finished are paid for all the same."""
        self.model = model or "text"
        self.strategy = strategy
        self.max_attempts = max_attempts
        self.style = style
        self.on_charge = on_charge
        self.time_budget_s = time_budget_s
        self.embedding_model = embedding_model
        self._retries_left = 0
        self._deadline = 0.0
        self._variant = 0

    async def write(
        self,
        client: openai.AsyncOpenAI,
        *,
        topic: str,
        niche: str,
        target_seconds: float,
        language: str = "en",
        tone: str = "informative",
        feedback: Sequence[str] = (),
        on_progress: OnProgress | None = None,
    ) -> tuple[Script, list[Charge]]:
        if not topic.strip():
            raise ValueError("topic is empty")
        if target_seconds <= 0:
            raise ValueError("target_seconds must be positive")
        strategy = self.strategy
        if strategy == "auto":
            strategy = await self._pick_strategy(client)
        started = time.perf_counter()
        brief = _Brief(
            topic.strip(), niche, target_seconds, language, tone, list(feedback), self.style
        )
        report = on_progress or (lambda _fraction, _detail: None)
        if strategy == "json":
            script, usages = await self._write_json(client, brief, report)
        else:
            script, usages = await self._write_guided(client, brief, report)
        log.info(
            "script.written",
            strategy=strategy,
            topic=topic,
            words=script.word_count(),
            scenes=len(script.scenes),
            seconds=round(time.perf_counter() - started, 1),
            device_seconds=round(total_device_seconds(usages), 2),
        )
        return script, usages

    async def _pick_strategy(self, client: openai.AsyncOpenAI) -> Literal["json", "guided"]:
        """``guided`` when the first usable text model in the gateway's chain is CPU-tier."""
        try:
            listing = await client.models.list()
        except openai.OpenAIError:
            return "json"
        rows = [{**(m.model_extra or {}), "id": m.id} for m in listing.data]
        usable = [
            r
            for r in rows
            if r.get("modality") == "text" and r.get("in_chain", True) and not r.get("unavailable")
        ]
        if self.model != "text":
            usable = [r for r in usable if r["id"] == self.model] or usable
        order = {"local-gpu": 0, "cloud": 1, "cpu": 2}
        usable.sort(key=lambda r: order.get(str(r.get("tier")), 1))
        return "guided" if usable and usable[0].get("tier") == "cpu" else "json"

    async def _chat(
        self,
        client: openai.AsyncOpenAI,
        messages: list[dict[str, str]],
        usages: list[Charge],
        *,
        max_tokens: int,
        temperature: float,
        seed: int | None = None,
        stop: list[str] | None = None,
    ) -> str:
        reply = await chat(
            client,
            messages,
            model=self.model,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            top_p=0.9,
            stop=stop,
        )
        charge = charge_of("text", reply.usage, reply.served)
        usages.append(charge)
        if self.on_charge is not None:
            await self.on_charge(charge)
        return reply.text

    # --- json ---------------------------------------------------------------
    async def _write_json(
        self, client: openai.AsyncOpenAI, brief: _Brief, report: OnProgress
    ) -> tuple[Script, list[Charge]]:
        usages: list[Charge] = []
        messages = [
            {"role": "system", "content": JSON_SYSTEM},
            {"role": "user", "content": brief.json_prompt()},
        ]
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            report(
                (attempt - 1) / self.max_attempts,
                f"writing the script (draft {attempt}/{self.max_attempts})",
            )
            answer = await self._chat(
                client, messages, usages, max_tokens=brief.max_tokens(), temperature=0.4
            )
            report(
                attempt / self.max_attempts,
                f"{len(answer.split())} words written, {_tokens(usages)} tokens",
            )
            try:
                script = parse_script(answer, brief.style, brief.topic)
                if attempt < self.max_attempts and not names_topic(script.title, brief.topic):
                    raise ValueError(f"the title must name the topic '{brief.topic}'")
                return script.model_copy(
                    update={"title": titled(script.title, brief.topic)}
                ), usages
            except (ValueError, ValidationError) as exc:
                error = _short_error(exc)
                log.warning("script.invalid", attempt=attempt, error=error)
                messages += [
                    {"role": "assistant", "content": answer[:4000]},
                    {
                        "role": "user",
                        "content": f"That was not valid: {error}. "
                        "Reply with the corrected JSON object only.",
                    },
                ]
        raise ScriptGenerationError(
            f"no valid script after {self.max_attempts} attempts; last error: {error}"
        )

    # --- guided -------------------------------------------------------------
    async def _write_guided(
        self, client: openai.AsyncOpenAI, brief: _Brief, report: OnProgress
    ) -> tuple[Script, list[Charge]]:
        usages: list[Charge] = []
        seen: set[str] = set()
        parts = 2 + brief.scene_count()
        words = 0
        topic = brief.topic
        self._retries_left = brief.scene_count() + 2
        self._deadline = time.monotonic() + self.time_budget_s
        # A regeneration (the guardian's reasons as feedback) samples other answers: the
        # guided prompts do not carry the feedback, the seeds do.
        self._variant = (
            zlib.crc32("\n".join(brief.feedback).encode()) % 100_000 if brief.feedback else 0
        )
        novelty = _Novelty(self, client, usages)

        def written(done: int, text: str) -> None:
            nonlocal words
            words += len(text.split())
            report(done / parts, f"{words} words written ({done}/{parts} parts)")

        report(0.0, f"writing the title (0/{parts} parts)")
        title = await self._best_text(
            client,
            usages,
            brief.title_messages(),
            24,
            lambda t: clean_title(t) if len(clean_title(t)) >= 8 else "",
            _judged(lambda t: [] if names_topic(t, topic) else ["off topic"]),
        )
        title = titled(title, topic)
        written(1, title)
        hook = await self._best_text(
            client,
            usages,
            brief.hook_messages(),
            48,
            lambda t: clean_narration(t, seen=set(seen), max_words=30, topic=topic),
            _judged(lambda t: [] if topic_coverage(t, topic) > 0 else ["off topic"]),
        )
        seen.update(sentence_keys(hook))
        written(2, hook)
        scenes: list[Scene] = []
        said: list[str] = [hook]
        angles = iter(range(len(SCENE_ANGLES)))
        for done in range(brief.scene_count()):
            narration = ""
            # an angle whose answers all repeat earlier scenes or drift gives way to the next
            for index in angles:
                angle = SCENE_ANGLES[index].format(topic=topic)
                narration = await self._best_text(
                    client,
                    usages,
                    brief.scene_messages(angle),
                    brief.scene_tokens(),
                    lambda t: clean_narration(
                        t, seen=set(seen), max_words=brief.words_per_scene() + 12, topic=topic
                    ),
                    novelty.judge(
                        lambda t: scene_problems(t, topic, said, brief.words_per_scene())
                    ),
                    required=False,
                    keep_flawed=lambda problems: (
                        "repeats an earlier scene" not in problems and "off topic" not in problems
                    ),
                )
                if narration:
                    break
            if narration:
                seen.update(sentence_keys(narration))
                said.append(narration)
                await novelty.accept(narration)
                visual = derived_visual(narration, topic, brief.style, len(scenes))
                scenes.append(
                    Scene(
                        narration=narration,
                        image_prompt=Visual.model_validate(visual).prompt(),
                        visual=Visual.model_validate(visual),
                    )
                )
            written(3 + done, narration)
        try:
            script = Script(
                title=title,
                hook=hook,
                scenes=scenes,
                description=describe(hook, title, scenes, brief.topic),
                tags=tags_for(brief.topic, brief.niche, " ".join(s.narration for s in scenes)),
            )
        except ValidationError as exc:
            raise ScriptGenerationError(
                f"the guided script is not valid: {_short_error(exc)}"
            ) from exc
        return script, usages

    async def _best_text(
        self,
        client: openai.AsyncOpenAI,
        usages: list[Charge],
        messages: list[dict[str, str]],
        max_tokens: int,
        clean: Callable[[str], str],
        problems: Callable[[str], Awaitable[list[str]]],
        *,
        required: bool = True,
        keep_flawed: Callable[[list[str]], bool] = lambda _problems: True,
    ) -> str:
        """The first cleaned answer without problems, else (after ``max_attempts`` calls,
        or once the script's retries or time are spent) the one with the fewest that
        ``keep_flawed`` allows; "" or an error when none."""
        best: tuple[int, str] | None = None
        for attempt in range(self.max_attempts):
            if attempt > 0:
                if best is not None and (
                    self._retries_left <= 0 or time.monotonic() > self._deadline
                ):
                    break
                self._retries_left -= 1
            raw = await self._chat(
                client,
                messages,
                usages,
                max_tokens=max_tokens,
                temperature=0.6 + 0.15 * attempt,
                seed=1000 + self._variant + attempt,
            )
            text = clean(raw)
            if not text:
                log.info("script.guided.retry", attempt=attempt + 1, raw=raw[:120])
                continue
            found = await problems(text)
            if not found:
                return text
            log.info("script.guided.retry", attempt=attempt + 1, problems=found, text=text[:120])
            if keep_flawed(found) and (best is None or len(found) < best[0]):
                best = (len(found), text)
        if best is not None:
            return best[1]
        if required:
            raise ScriptGenerationError(
                f"the model gave no usable text after {self.max_attempts} attempts"
            )
        return ""


def _judged(check: Callable[[str], list[str]]) -> Callable[[str], Awaitable[list[str]]]:
    async def judge(text: str) -> list[str]:
        return check(text)

    return judge


class _Novelty:
    """Whether a scene says what an earlier one said in other words: its embedding against
    the accepted scenes' (one small embeddings call per answer, charged). Without an
    embeddings backend the check is skipped, never fatal."""

    def __init__(
        self, strategist: ContentStrategist, client: openai.AsyncOpenAI, usages: list[Charge]
    ) -> None:
        self.strategist, self.client, self.usages = strategist, client, usages
        self.vectors: dict[str, np.ndarray] = {}
        self.accepted: list[np.ndarray] = []
        self.available = True

    async def vector(self, text: str) -> np.ndarray | None:
        if text not in self.vectors and self.available:
            try:
                result = await embed(self.client, [text], model=self.strategist.embedding_model)
            except (openai.OpenAIError, ValueError) as exc:
                log.info("script.novelty_skipped", error=str(exc)[:200])
                self.available = False
                return None
            charge = charge_of("embeddings", result.usage, result.served)
            self.usages.append(charge)
            if self.strategist.on_charge is not None:
                await self.strategist.on_charge(charge)
            vector = np.asarray(result.vectors[0], dtype=float)
            self.vectors[text] = vector / (np.linalg.norm(vector) or 1.0)
        return self.vectors.get(text)

    def judge(self, lexical: Callable[[str], list[str]]) -> Callable[[str], Awaitable[list[str]]]:
        async def problems(text: str) -> list[str]:
            found = lexical(text)
            if found or not self.accepted:
                return found
            vector = await self.vector(text)
            if vector is not None and max(float(v @ vector) for v in self.accepted) >= (
                SCENE_COSINE_MAX
            ):
                found.append("close to an earlier scene")
            return found

        return problems

    async def accept(self, text: str) -> None:
        vector = await self.vector(text)
        if vector is not None:
            self.accepted.append(vector)


def scene_problems(text: str, topic: str, said: Sequence[str], words: int) -> list[str]:
    """What is wrong with a scene's narration: not about the topic, saying what an earlier
    part said, too short."""
    problems: list[str] = []
    if topic_coverage(text, topic) == 0:
        problems.append("off topic")
    ignore = content_stems(topic)
    if any(lexical_similarity(text, before, ignore) >= SCENE_OVERLAP_MAX for before in said):
        problems.append("repeats an earlier scene")
    if len(text.split()) < words // 2:
        problems.append("too short")
    return problems


def titled(title: str, topic: str) -> str:
    """The title, led by the topic when it does not name it (a title is about its topic)."""
    if names_topic(title, topic):
        return title
    head = topic[:1].upper() + topic[1:]
    if title.lower().startswith(topic.lower()):
        return title
    combined = f"{head}: {title}"
    return combined if len(combined) <= 100 else head


class _Brief:
    def __init__(
        self,
        topic: str,
        niche: str,
        target_seconds: float,
        language: str,
        tone: str,
        feedback: list[str],
        style: str,
    ) -> None:
        self.topic, self.niche, self.target_seconds = topic, niche, target_seconds
        self.language, self.tone, self.feedback, self.style = language, tone, feedback, style

    def target_words(self) -> int:
        return max(40, round(self.target_seconds / 60 * WORDS_PER_MINUTE))

    def scene_count(self) -> int:
        return max(5, min(len(SCENE_ANGLES), round(self.target_words() / 25)))

    def words_per_scene(self) -> int:
        return max(15, (self.target_words() - 20) // self.scene_count())

    def scene_tokens(self) -> int:
        """Room for a scene's sentences (about 1.5 tokens a word) and a little to cut. (More
        room did not give SmolLM2 a second sentence in the demo, only slower calls.)"""
        return min(120, round(self.words_per_scene() * 1.6) + 24)

    def max_tokens(self) -> int:
        return min(4000, 400 + self.target_words() * 3)

    def _feedback(self) -> str:
        if not self.feedback:
            return ""
        return " Fix these problems from the last draft: " + "; ".join(self.feedback) + "."

    def _language(self) -> str:
        return "" if self.language.startswith("en") else f" Write in language '{self.language}'."

    def json_prompt(self) -> str:
        return (
            f"Write a YouTube video script about {self.topic!r} for a {self.niche} channel. "
            f"Tone: {self.tone}. About {self.target_words()} spoken words in total "
            f"({self.target_seconds:.0f} seconds), {self.scene_count()} scenes.{self._language()}"
            f" The title names the topic. Every scene is about {self.topic} and says something "
            "the others do not: a concrete fact, example or step, no filler such as 'in this "
            "video' or 'when it comes to'. Per scene describe the picture (subject, setting, "
            "composition, style) and the slide: its key fact in a few words, and where the "
            "narration has them a list of items, one big number with its unit, a quote, a "
            "comparison of two sides, or a chart of label/value pairs using only numbers the "
            "narration says. layout is one of key_fact, list, big_number, quote, comparison, "
            "chart, and differs from the previous scene's."
            f"{self._feedback()}\nReply with one JSON object: {JSON_SHAPE}"
        )

    def title_messages(self) -> list[dict[str, str]]:
        return [
            {
                "role": "user",
                "content": f"Write one short, catchy YouTube video title about {self.topic}. "
                f"The title must contain the words '{self.topic}'. "
                f"Reply with the title only.{self._language()}",
            }
        ]

    def hook_messages(self) -> list[dict[str, str]]:
        return [
            {
                "role": "user",
                "content": (
                    f"Write one exciting opening sentence for a {self.tone} YouTube video "
                    f"about {self.topic} that makes viewers want to keep watching."
                    f"{self._language()}"
                ),
            }
        ]

    def scene_messages(self, angle: str) -> list[dict[str, str]]:
        # No feedback here: a tiny model copies what it is told to avoid. A regenerated
        # script differs by its sampling and by the judging of each part.
        return [
            {
                "role": "system",
                "content": (
                    f"You write {self.tone} YouTube narration about {self.topic} "
                    "in plain, clear sentences."
                ),
            },
            {
                "role": "user",
                "content": (
                    f"Write three short sentences of narration about {angle}. Give concrete "
                    f"details. Plain sentences, no lists, no headings.{self._language()}"
                ),
            },
        ]


JSON_SYSTEM = "You are a YouTube scriptwriter. You answer with valid JSON only, no prose."
JSON_SHAPE = (
    '{"title": "...", "hook": "...", "scenes": [{"narration": "...", '
    '"visual": {"subject": "...", "setting": "...", "composition": "...", "style": "..."}, '
    '"key_fact": "...", "items": ["..."], "big_number": {"value": "...", "unit": "...", '
    '"label": "..."}, "quote": "...", "comparison": {"left": {"label": "...", "text": "..."}, '
    '"right": {"label": "...", "text": "..."}}, "chart": [{"label": "...", "value": 0}], '
    '"layout": "key_fact"}], "description": "...", "tags": ["...", "..."]}'
)
# A scene's optional parts: a malformed one is dropped (and derived from the narration),
# never fatal to the whole script.
_OPTIONAL: dict[str, TypeAdapter[Any]] = {
    "visual": TypeAdapter(Visual | None),
    "key_fact": TypeAdapter(str),
    "items": TypeAdapter(list[str]),
    "big_number": TypeAdapter(BigNumber | None),
    "quote": TypeAdapter(str),
    "comparison": TypeAdapter(Comparison | None),
    "chart": TypeAdapter(list[ChartPoint]),
}
_LIMITS = {"key_fact": 160, "quote": 300}


def parse_script(answer: str, style: str = "", topic: str = "") -> Script:
    """The first JSON object in ``answer`` as a ``Script``. Each scene's picture is its
    visual description (derived from the narration where the model gave none), and its image
    prompt is composed from it; malformed optional parts are dropped."""
    match = re.search(r"\{.*\}", answer, re.S)
    if not match:
        raise ValueError("the answer contains no JSON object")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(data, dict):
        raise ValueError("the JSON is not an object")
    subject = topic or str(data.get("title", ""))
    scenes = data.get("scenes")
    if isinstance(scenes, list):
        data["scenes"] = [
            _scene_data(scene, subject, style, index) if isinstance(scene, dict) else scene
            for index, scene in enumerate(scenes)
        ]
    return Script.model_validate(data)


def _scene_data(scene: dict[str, Any], topic: str, style: str, index: int) -> dict[str, Any]:
    out = dict(scene)
    for key, adapter in _OPTIONAL.items():
        if key not in out:
            continue
        try:
            value = adapter.validate_python(out[key])
        except ValidationError:
            out.pop(key)
            continue
        if isinstance(value, str) and len(value) > _LIMITS.get(key, 10**6):
            out.pop(key)
    narration = str(out.get("narration") or "")
    if len(narration.strip()) >= 10:
        visual = out.get("visual")
        if not (isinstance(visual, dict) and visual.get("subject")):
            visual = derived_visual(narration, topic, style, index)
        elif style and not visual.get("style"):
            visual = {**visual, "style": style}
        out["visual"] = visual
        out["image_prompt"] = Visual.model_validate(visual).prompt()
    return out


def describe(hook: str, title: str, scenes: Sequence[Scene], topic: str) -> str:
    chapters = [
        f"{i + 1}. {(sentences(strip_markup(s.narration)) or [s.narration])[0][:90].strip()}"
        for i, s in enumerate(scenes)
    ]
    tag = "#" + re.sub(r"[^A-Za-z0-9]", "", topic.title())
    return f"{hook}\n\nIn this video ({title}):\n" + "\n".join(chapters) + f"\n\n{tag}"


def tags_for(topic: str, niche: str, text: str, limit: int = 12) -> list[str]:
    tags = [topic.lower(), niche.replace("_", " ").lower(), *key_phrases(text, limit=limit)]
    return list(dict.fromkeys(t for t in tags if t))[:limit]


def _tokens(usages: Sequence[Charge]) -> int:
    return int(sum(u.units for u in usages if u.unit == "tokens"))


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'script'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
    return str(exc)[:300]
