# ruff: noqa: RUF001 - IPA symbols are the point of this module
"""Kokoro-82M (Apache-2.0) through the ``kokoro`` package's ``KModel``, fed by eSpeak NG.

Kokoro reads phonemes, not text. Its own pipeline (``KPipeline``) phonemizes English with
misaki's spaCy-based G2P, which downloads a spaCy model at run time; we never use it. The
phonemes come from eSpeak NG instead (the ``espeakng-loader`` library the CPU voice already
uses, through ctypes), rewritten into Kokoro's symbol set the way misaki's own eSpeak G2P
does (``misaki/espeak.py``, Apache-2.0), and mapped to ids with the ``vocab`` of the model's
``config.json``. Nothing is fetched: ``KModel`` is always given the config dict and the
weights path, so it never calls the Hub; voices are the per-voice style tensors
``voices/<id>.pt`` next to the weights (``ytempire models pull kokoro-82m``).

Word timings come from the model itself: its duration predictor says how many frames each
input phoneme lasts (``pred_dur``), and each word of the input owns the phonemes it was
turned into, so a word starts and ends where its phonemes do in the audio.
"""

from __future__ import annotations

import ctypes
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import structlog
import torch

from ai.audio import float_to_wav
from ai.backends.base import SpeechAudio, WordTiming
from ai.backends.torch_utils import module_bytes, release_memory
from ai.errors import BackendUnavailable, UnknownVoice

log = structlog.get_logger(__name__)

SAMPLE_RATE = 24_000
REPO_ID = "hexgrad/Kokoro-82M"  # only names the model to KModel; nothing is downloaded
COMPONENTS = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
DEFAULT_MAX_PHONEMES = 400  # per forward pass; the model's context is 512 ids
PHONEMES_IPA, PHONEMES_TIE = 0x02, 0x80
TIE = "^"
ESPEAK_CHARS_UTF8 = 1
ENGLISH = {"en-us": False, "en": True, "en-gb": True, "en-gb-x-rp": True}  # -> British

# punctuation Kokoro was trained with; everything else around a word is dropped
KEPT_PUNCTUATION = frozenset(';:,.!?—…"()“”')
CLAUSE_END = frozenset(",;:.!?—…")
SENTENCE_END = frozenset(".!?…")
PUNCTUATION = "".join(sorted(KEPT_PUNCTUATION)) + "«»'¡¿-–_*[]{}<>/\\|~`"
LANGUAGE_FLAG = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)*\)")

# eSpeak NG IPA -> Kokoro's English symbols (misaki EspeakFallback, version 1.0 voices)
_ENGLISH_E2M = sorted(
    {
        "ʔˌn\u0329": "ʔn",
        "ʔn\u0329": "ʔn",
        "a^ɪ": "I",
        "a^ʊ": "W",
        "d^ʒ": "ʤ",
        "e^ɪ": "A",
        "e": "A",
        "t^ʃ": "ʧ",
        "ɔ^ɪ": "Y",
        "ə^l": "ᵊl",
        "ʲo": "jo",
        "ʲə": "jə",
        "ʲ": "",
        "ɚ": "əɹ",
        "r": "ɹ",
        "x": "k",
        "ç": "k",
        "ɐ": "ə",
        "ɬ": "l",
        "\u0303": "",
    }.items(),
    key=lambda kv: -len(kv[0]),
)
# eSpeak NG IPA -> Kokoro's symbols for the other languages (misaki EspeakG2P, version 1.0)
_OTHER_E2M = sorted(
    {
        "a^ɪ": "I",
        "a^ʊ": "W",
        "d^z": "ʣ",
        "d^ʒ": "ʤ",
        "e^ɪ": "A",
        "o^ʊ": "O",
        "ə^ʊ": "Q",
        "s^s": "S",
        "t^s": "ʦ",
        "t^ʃ": "ʧ",
        "ɔ^ɪ": "Y",
    }.items()
)


def kokoro_phonemes(ipa: str, language: str) -> str:
    """eSpeak NG's IPA (ties as ``^``) rewritten into Kokoro's symbols for ``language``."""
    ps = LANGUAGE_FLAG.sub("", ipa).strip()
    if language in ENGLISH:
        british = ENGLISH[language]
        for old, new in _ENGLISH_E2M:
            ps = ps.replace(old, new)
        ps = re.sub(r"(\S)\u0329", r"ᵊ\1", ps).replace("\u0329", "")
        if british:
            ps = ps.replace("e^ə", "ɛː").replace("iə", "ɪə").replace("ə^ʊ", "Q")
        else:
            ps = ps.replace("o^ʊ", "O").replace("ɜːɹ", "ɜɹ").replace("ɜː", "ɜɹ")
            ps = ps.replace("ɪə", "iə").replace("ː", "")
        ps = ps.replace("o", "ɔ")  # eSpeak NG < 1.52 writes o for ɔ
        ps = ps.replace("ɾ", "T").replace("ʔ", "t")
        return ps.replace(TIE, "")
    for old, new in _OTHER_E2M:
        ps = ps.replace(old, new)
    return ps.replace(TIE, "").replace("-", "")


class EspeakPhonemizer:
    """IPA from eSpeak NG's ``espeak_TextToPhonemes``, sharing the process's one engine."""

    def __init__(self, package: str) -> None:
        from ai.backends.speech_espeak import _Engine

        self.engine = _Engine.get(package)
        # our own handle on the same library, so these prototypes touch nobody else's
        self._lib = ctypes.CDLL(self.engine.lib._name)
        self._to_phonemes = self._lib.espeak_TextToPhonemes
        self._to_phonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        self._to_phonemes.restype = ctypes.c_char_p
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]

    def knows(self, language: str) -> bool:
        return bool(self.engine.knows(language))

    def ipa(self, texts: list[str], language: str) -> list[str]:
        """Each text's phonemes (words separated by spaces, clauses joined by a space)."""
        mode = PHONEMES_IPA | PHONEMES_TIE | (ord(TIE) << 8)
        out: list[str] = []
        with self.engine.lock:  # eSpeak NG has one global voice
            if self._lib.espeak_SetVoiceByName(language.encode()) != 0:
                raise UnknownVoice(f"espeak-ng has no voice {language!r} for G2P")
            for text in texts:
                buffer = ctypes.create_string_buffer(text.encode("utf-8"))
                pointer = ctypes.c_void_p(ctypes.addressof(buffer))
                parts: list[str] = []
                for _ in range(len(text) + 1):  # one clause per call; bounded by the text
                    if not pointer.value:
                        break
                    result = self._to_phonemes(ctypes.byref(pointer), ESPEAK_CHARS_UTF8, mode)
                    if result:
                        parts.append(result.decode("utf-8", errors="replace").strip())
                out.append(" ".join(p for p in parts if p))
        return out


@dataclass
class _Word:
    """One whitespace-separated word of the input and the phonemes it became."""

    text: str
    lead: str  # punctuation before the word that Kokoro knows
    core: str  # what is phonemized
    trail: str
    phonemes: str = ""

    def spoken(self) -> str:
        return f"{self.lead}{self.phonemes}{self.trail}"

    @property
    def ends_clause(self) -> bool:
        return any(c in CLAUSE_END for c in self.trail)

    @property
    def ends_sentence(self) -> bool:
        return any(c in SENTENCE_END for c in self.trail)


def split_words(text: str) -> list[_Word]:
    words = []
    for token in text.split():
        core = token.strip(PUNCTUATION)
        if core:
            start = token.index(core)
            lead, trail = token[:start], token[start + len(core) :]
        else:
            lead, trail = "", token
        words.append(
            _Word(
                token,
                "".join(c for c in lead if c in KEPT_PUNCTUATION),
                core,
                "".join(c for c in trail if c in KEPT_PUNCTUATION),
            )
        )
    return words


def phonemize_words(words: list[_Word], language: str, g2p: EspeakPhonemizer) -> None:
    """Fill each word's phonemes, in context: a clause at a time, and word by word where
    eSpeak NG's words do not line up with ours (a number spoken as several words)."""
    clauses: list[list[_Word]] = [[]]
    for word in words:
        clauses[-1].append(word)
        if word.ends_clause:
            clauses.append([])
    spoken = [[w for w in clause if w.core] for clause in clauses]
    spoken = [clause for clause in spoken if clause]
    results = g2p.ipa([" ".join(w.core for w in clause) for clause in spoken], language)
    alone: list[_Word] = []
    for clause, ipa in zip(spoken, results, strict=True):
        groups = ipa.split()
        if len(groups) == len(clause):
            for word, group in zip(clause, groups, strict=True):
                word.phonemes = kokoro_phonemes(group, language)
        else:
            alone.extend(clause)
    if alone:
        for word, ipa in zip(alone, g2p.ipa([w.core for w in alone], language), strict=True):
            word.phonemes = kokoro_phonemes(ipa, language)


@dataclass(frozen=True)
class _Pass:
    words: list[_Word]
    ids: list[int]  # with the leading and trailing 0
    spans: list[tuple[int, int] | None]  # each word's [first, last) id index


def plan_passes(words: list[_Word], vocab: dict[str, int], max_phonemes: int) -> list[_Pass]:
    """Words into forward passes of at most ``max_phonemes`` ids, cut at sentence ends
    where possible (else at clause ends, else anywhere)."""
    groups: list[list[_Word]] = []
    current: list[_Word] = []
    size = 0
    for word in words:
        cost = len(word.spoken()) + 1
        while current and size + cost > max_phonemes:
            cut = _best_cut(current)
            groups.append(current[:cut])
            current = current[cut:]
            size = sum(len(w.spoken()) + 1 for w in current)
        current.append(word)
        size += cost
    if current:
        groups.append(current)
    passes = []
    space = vocab.get(" ")
    for group in groups:
        ids = [0]
        spans: list[tuple[int, int] | None] = []
        for index, word in enumerate(group):
            if index and space is not None:
                ids.append(space)
            first = len(ids)
            ids.extend(vocab[c] for c in word.spoken() if c in vocab)
            del ids[max_phonemes + 1 :]  # one pathological word longer than a pass
            spans.append((first, len(ids)) if len(ids) > first else None)
        ids.append(0)
        passes.append(_Pass(group, ids, spans))
    return passes


def _best_cut(words: list[_Word]) -> int:
    for test in (lambda w: w.ends_sentence, lambda w: w.ends_clause):
        for index in range(len(words) - 1, 0, -1):
            if test(words[index - 1]):
                return index
    return max(1, len(words) - 1) if len(words) > 1 else 1


def word_timings(
    passes: list[_Pass], durations: list[np.ndarray], samples: list[int], sample_rate: int
) -> tuple[WordTiming, ...]:
    """Each input word from the first to the last frame of its phonemes, in seconds."""
    timings: list[WordTiming] = []
    offset_s = 0.0
    for plan, frames, count in zip(passes, durations, samples, strict=True):
        total = float(frames.sum())
        seconds_per_frame = count / total / sample_rate if total else 0.0
        edges = np.concatenate([[0.0], np.cumsum(frames, dtype=np.float64)]) * seconds_per_frame
        for word, span in zip(plan.words, plan.spans, strict=True):
            if span is None:  # nothing Kokoro voices (a lone dash): zero length, in place
                at = timings[-1].end_s if timings else offset_s
                timings.append(WordTiming(word.text, round(at, 3), round(at, 3)))
                continue
            first, last = span
            start, end = offset_s + edges[first], offset_s + edges[last]
            timings.append(WordTiming(word.text, round(start, 3), round(end, 3)))
        offset_s += count / sample_rate
    return tuple(timings)


class KokoroSpeech:
    def __init__(
        self,
        model: Any,
        vocab: dict[str, int],
        voice_dir: Path,
        speakers: dict[str, str],
        aliases: dict[str, str],
        g2p: EspeakPhonemizer,
        device: str,
        max_phonemes: int = DEFAULT_MAX_PHONEMES,
    ) -> None:
        self.model = model
        self.vocab = vocab
        self.voice_dir = voice_dir
        self.speakers = speakers
        self.aliases = aliases
        self.g2p = g2p
        self.device = device
        self.max_phonemes = max(8, min(max_phonemes, int(model.context_length) - 2))
        self.sample_rate = SAMPLE_RATE
        self._packs: dict[str, torch.Tensor] = {}

    @classmethod
    def from_dir(
        cls,
        folder: Path,
        weights_file: str,
        device: str,
        speakers: dict[str, str],
        aliases: dict[str, str],
        options: dict[str, Any],
    ) -> KokoroSpeech:
        from kokoro.model import KModel

        config_path, weights = folder / "config.json", folder / weights_file
        for needed in (config_path, weights):
            if not needed.exists():
                raise BackendUnavailable(f"Kokoro file missing: {needed}")
        try:
            config = json.loads(config_path.read_text())
            vocab = {str(k): int(v) for k, v in config["vocab"].items()}
        except (ValueError, KeyError, AttributeError) as exc:
            raise BackendUnavailable(f"{config_path} is not a Kokoro config: {exc}") from exc
        state = _read_checkpoint(weights)
        g2p = EspeakPhonemizer(str(options.get("g2p_package", "espeakng_loader")))
        missing = sorted({lang for lang in speakers.values() if not g2p.knows(lang)})
        if missing:
            raise BackendUnavailable(f"espeak-ng has no G2P voice for {missing}")
        present = {
            v: lang for v, lang in speakers.items() if (folder / "voices" / f"{v}.pt").exists()
        }
        if not present:
            raise BackendUnavailable(f"no Kokoro voice files under {folder / 'voices'}")
        if len(present) < len(speakers):
            log.warning(
                "ai.kokoro.voices_missing",
                missing=sorted(set(speakers) - set(present)),
                folder=str(folder / "voices"),
            )
        # config dict + weights path: KModel never reaches for the Hub
        model = KModel(repo_id=REPO_ID, config=config, model=str(weights))
        _check_loaded(model, state, weights)
        del state
        model.to(device).eval()
        max_phonemes = int(options.get("max_phonemes", DEFAULT_MAX_PHONEMES))
        return cls(model, vocab, folder / "voices", present, aliases, g2p, device, max_phonemes)

    def memory_bytes(self) -> int:
        packs = sum(p.numel() * p.element_size() for p in self._packs.values())
        return module_bytes([self.model]) + packs

    def unload(self) -> None:
        del self.model
        self._packs.clear()
        release_memory()

    def resolve_voice(self, voice: str) -> str | None:
        native = self.aliases.get(voice, voice)
        return native if native in self.speakers else None

    def voice_pack(self, voice: str) -> torch.Tensor:
        pack = self._packs.get(voice)
        if pack is None:
            path = self.voice_dir / f"{voice}.pt"
            loaded = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(loaded, torch.Tensor) or loaded.ndim < 2 or loaded.shape[-1] != 256:
                raise BackendUnavailable(f"{path} is not a Kokoro voice (a [n, 1, 256] tensor)")
            pack = loaded.reshape(loaded.shape[0], -1).float()
            self._packs[voice] = pack
        return pack

    def synthesize(self, text: str, voice: str, speed: float) -> SpeechAudio:
        native = self.resolve_voice(voice)
        if native is None:
            raise UnknownVoice(f"Kokoro has no voice {voice!r}; voices: {', '.join(self.speakers)}")
        words = split_words(text)
        phonemize_words(words, self.speakers[native], self.g2p)
        passes = plan_passes(words, self.vocab, self.max_phonemes)
        pack = self.voice_pack(native)
        speed = max(0.25, min(4.0, speed))
        pieces: list[np.ndarray] = []
        durations: list[np.ndarray] = []
        for plan in passes:
            phoneme_count = len(plan.ids) - 2
            if phoneme_count <= 0:
                pieces.append(np.zeros(0, dtype=np.float32))
                durations.append(np.ones(len(plan.ids)))
                continue
            # Kokoro's style vector depends on the length of what it says
            ref_s = pack[min(phoneme_count - 1, pack.shape[0] - 1)].unsqueeze(0).to(self.device)
            input_ids = torch.tensor([plan.ids], dtype=torch.long, device=self.device)
            with torch.inference_mode():
                audio, pred_dur = self.model.forward_with_tokens(input_ids, ref_s, speed)
            pieces.append(audio.float().reshape(-1).cpu().numpy())
            durations.append(pred_dur.reshape(-1).cpu().numpy().astype(np.float64))
        samples = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
        if samples.size == 0:
            samples = np.zeros(int(self.sample_rate * 0.1), dtype=np.float32)
            return SpeechAudio(
                float_to_wav(samples, self.sample_rate),
                "wav",
                len(samples) / self.sample_rate,
                tuple(WordTiming(w.text, 0.0, 0.0) for w in words),
            )
        counts = [len(p) for p in pieces]
        words_timed = word_timings(passes, durations, counts, self.sample_rate)
        peak = float(np.abs(samples).max())
        if peak > 1.0:
            samples = samples / peak
        return SpeechAudio(
            float_to_wav(samples, self.sample_rate),
            "wav",
            len(samples) / self.sample_rate,
            words_timed,
        )


def _read_checkpoint(weights: Path) -> dict[str, Any]:
    """The checkpoint's components (memory-mapped, so reading it twice costs little)."""
    try:
        state = torch.load(weights, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        raise BackendUnavailable(f"{weights} is not a readable Kokoro checkpoint: {exc}") from exc
    if not isinstance(state, dict) or not all(
        isinstance(state.get(k), dict) and state[k] for k in COMPONENTS
    ):
        have = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise BackendUnavailable(f"{weights} lacks Kokoro's components {COMPONENTS}: has {have}")
    return state


def _check_loaded(model: Any, state: dict[str, Any], weights: Path) -> None:
    """KModel falls back to a lenient load (``strict=False``) when keys differ, which would
    leave random weights in place: refuse a checkpoint that does not fit the config."""
    for name in COMPONENTS:
        expected = set(getattr(model, name).state_dict())
        given = {key.removeprefix("module.") for key in state[name]}
        if expected != given:
            absent = sorted(expected - given)[:3]
            raise BackendUnavailable(
                f"{weights}: {name} does not match config.json "
                f"({len(expected - given)} weights missing, e.g. {absent}; "
                f"{len(given - expected)} unexpected)"
            )
