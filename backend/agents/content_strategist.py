"""ContentStrategist: the LLM writes the script; pydantic validates it.

Two strategies, both real model output:
- ``json``: one structured JSON answer, validated; malformed output is retried with the
  validation error fed back (bounded).
- ``guided``: for tiny CPU models (SmolLM2-135M) that cannot hold a JSON schema: a title, a
  hook and each scene's narration are asked for in plain text (one short call each, the scene's
  angle given by a fixed documentary structure), cleaned, and assembled into a ``Script`` here.
``auto`` picks ``guided`` when the text model the gateway will use is a CPU-tier model.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import openai
import structlog
from pydantic import ValidationError

from ai.calls import chat
from backend.agents.script import WORDS_PER_MINUTE, Scene, Script
from backend.agents.text_cleanup import clean_narration, clean_title, key_phrases, strip_markup
from backend.costs.service import Charge, OnCharge, charge_of, total_device_seconds

log = structlog.get_logger(__name__)
Strategy = Literal["auto", "json", "guided"]
# Called as the script is written: (fraction done 0..1, short text such as "42 words written").
OnProgress = Callable[[float, str], None]
MAX_ATTEMPTS = 3
# The angle of each scene in guided mode: the structure is ours, the words are the model's.
SCENE_ANGLES = (
    "what {topic} is, in simple words",
    "why {topic} matters right now",
    "one surprising fact about {topic}",
    "a common mistake people make with {topic}",
    "one practical tip for {topic}",
    "how a beginner can get started with {topic}",
    "a quick example of {topic} in everyday life",
    "what the future looks like for {topic}",
)


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
    ) -> None:
        """``on_charge`` gets each call's charge as soon as the call is served (the ledger),
        so calls of a script that is never finished are paid for all the same."""
        self.model = model or "text"
        self.strategy = strategy
        self.max_attempts = max_attempts
        self.style = style
        self.on_charge = on_charge

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
                return parse_script(answer, brief.style), usages
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

        def written(done: int, text: str) -> None:
            nonlocal words
            words += len(text.split())
            report(done / parts, f"{words} words written ({done}/{parts} parts)")

        report(0.0, f"writing the title (0/{parts} parts)")
        title = await self._retry_text(
            client,
            usages,
            brief.title_messages(),
            24,
            lambda t: clean_title(t) if len(clean_title(t)) >= 8 else "",
        )
        written(1, title)
        hook = await self._retry_text(
            client,
            usages,
            brief.hook_messages(),
            48,
            lambda t: clean_narration(t, seen=seen, max_words=30),
        )
        written(2, hook)
        scenes: list[Scene] = []
        for index in range(brief.scene_count()):
            angle = SCENE_ANGLES[index % len(SCENE_ANGLES)].format(topic=brief.topic)
            narration = await self._retry_text(
                client,
                usages,
                brief.scene_messages(angle),
                56,
                lambda t: clean_narration(t, seen=seen, max_words=brief.words_per_scene() + 8),
                required=False,
            )
            if narration:
                scenes.append(
                    Scene(
                        narration=narration,
                        image_prompt=image_prompt(narration, brief.topic, brief.style),
                    )
                )
            written(3 + index, narration)
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

    async def _retry_text(
        self,
        client: openai.AsyncOpenAI,
        usages: list[Charge],
        messages: list[dict[str, str]],
        max_tokens: int,
        clean: Any,
        *,
        required: bool = True,
    ) -> str:
        for attempt in range(self.max_attempts):
            raw = await self._chat(
                client,
                messages,
                usages,
                max_tokens=max_tokens,
                temperature=0.6 + 0.15 * attempt,
                seed=1000 + attempt,
            )
            text: str = clean(raw)
            if text:
                return text
            log.info("script.guided.retry", attempt=attempt + 1, raw=raw[:120])
        if required:
            raise ScriptGenerationError(
                f"the model gave no usable text after {self.max_attempts} attempts"
            )
        return ""


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
            f"{self._feedback()}\nReply with one JSON object: {JSON_SHAPE}"
        )

    def title_messages(self) -> list[dict[str, str]]:
        return [
            {
                "role": "user",
                "content": f"Write one short, catchy YouTube video title about {self.topic}. "
                f"Reply with the title only.{self._language()}{self._feedback()}",
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
        return [
            {
                "role": "system",
                "content": f"You write {self.tone} YouTube narration in plain, clear sentences.",
            },
            {
                "role": "user",
                "content": (
                    f"Write two short sentences of narration about {angle}. Plain sentences, "
                    f"no lists, no headings.{self._language()}{self._feedback()}"
                ),
            },
        ]


JSON_SYSTEM = "You are a YouTube scriptwriter. You answer with valid JSON only, no prose."
JSON_SHAPE = (
    '{"title": "...", "hook": "...", "scenes": [{"narration": "...", '
    '"image_prompt": "..."}], "description": "...", "tags": ["...", "..."]}'
)


def parse_script(answer: str, style: str = "") -> Script:
    """The first JSON object in ``answer`` as a ``Script`` (image prompts filled if missing)."""
    match = re.search(r"\{.*\}", answer, re.S)
    if not match:
        raise ValueError("the answer contains no JSON object")
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(data, dict):
        raise ValueError("the JSON is not an object")
    for scene in data.get("scenes") or []:
        if isinstance(scene, dict) and scene.get("narration") and not scene.get("image_prompt"):
            scene["image_prompt"] = image_prompt(
                str(scene["narration"]), str(data.get("title", "")), style
            )
    return Script.model_validate(data)


def image_prompt(narration: str, topic: str, style: str) -> str:
    phrases = key_phrases(narration, limit=6)
    subject = ", ".join(phrases) if phrases else topic
    return f"{topic}: {subject}; {style}, cinematic lighting, no text"[:480]


def describe(hook: str, title: str, scenes: Sequence[Scene], topic: str) -> str:
    chapters = [
        f"{i + 1}. {strip_markup(s.narration).split('.')[0][:90].strip()}"
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
