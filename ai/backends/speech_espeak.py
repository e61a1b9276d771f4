"""The CPU speech default: eSpeak NG from the ``espeakng-loader`` package, via ctypes.

The library keeps global state (one voice, one callback), so every call holds a
process-wide lock; synthesis runs far faster than real time, so this is no bottleneck.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ai.audio import pcm16_to_wav
from ai.backends.base import SpeechAudio, WordTiming
from ai.backends.word_timing import Span, words_from_spans
from ai.errors import BackendUnavailable, UnknownVoice
from ai.registry import package_dir

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE, ESPEAK_VOLUME, ESPEAK_PITCH = 1, 2, 3
DEFAULT_WPM = 175
INIT_DONT_EXIT = 0x8000
# espeak_EVENT_TYPE values (speak_lib.h)
EVENT_LIST_TERMINATED, EVENT_WORD, EVENT_SENTENCE, EVENT_END = 0, 1, 2, 5
# a word's end is moved back over trailing samples quieter than this (of full scale)
SILENCE_LEVEL = 0.01
SILENCE_FRAME_S = 0.005


class _Event(ctypes.Structure):
    """``espeak_EVENT``: ``text_position`` counts characters from 1, ``audio_position``
    is milliseconds into this synthesis' audio."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class _Marker:
    kind: int
    text_index: int  # from 0
    audio_s: float


@dataclass(frozen=True)
class _Synthesis:
    pcm: bytes
    markers: list[_Marker]


class _Voice(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class _Engine:
    """The one eSpeak NG instance of this process."""

    lock = threading.Lock()  # held while synthesizing
    _init_lock = threading.Lock()
    _instance: _Engine | None = None

    def __init__(self, package: str) -> None:
        folder = package_dir(package)
        library = folder / "libespeak-ng.so"
        data = folder / "espeak-ng-data"
        if not library.exists() or not data.exists():
            raise BackendUnavailable(f"espeak-ng library or data missing under {folder}")
        self.lib = ctypes.CDLL(str(library))
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        # espeak wants the folder that contains espeak-ng-data
        self.sample_rate = int(
            self.lib.espeak_Initialize(
                AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data.parent).encode(), INIT_DONT_EXIT
            )
        )
        if self.sample_rate <= 0:
            raise BackendUnavailable("espeak_Initialize failed")
        self._chunks: list[bytes] = []
        self._markers: list[_Marker] = []
        self._callback = _SynthCallback(self._collect)  # keep a reference: ctypes needs it
        self.lib.espeak_SetSynthCallback(self._callback)
        self.voices = self._list_voices()
        self.variants = {p.name.lower() for p in (data / "voices" / "!v").iterdir()}

    @classmethod
    def get(cls, package: str) -> _Engine:
        if cls._instance is not None:
            return cls._instance
        with cls._init_lock:
            if cls._instance is None:
                cls._instance = cls(package)
            return cls._instance

    def _collect(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        index = 0
        while events and events[index].type != EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type in (EVENT_WORD, EVENT_SENTENCE, EVENT_END):
                self._markers.append(
                    _Marker(event.type, event.text_position - 1, event.audio_position / 1000)
                )
            index += 1
        return 0

    def _list_voices(self) -> set[str]:
        names: set[str] = set()
        array = self.lib.espeak_ListVoices(None)
        index = 0
        while array[index]:
            voice = array[index].contents
            if voice.identifier:
                names.add(Path(voice.identifier.decode()).name.lower())
            if voice.name:
                names.add(voice.name.decode().lower())
            index += 1
        return names

    def knows(self, voice: str) -> bool:
        base, _, variant = voice.lower().partition("+")
        return base in self.voices and (not variant or variant in self.variants)

    def synthesize(self, text: str, voice: str, wpm: int, pitch: int) -> _Synthesis:
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise UnknownVoice(f"espeak-ng has no voice {voice!r}")
            self.lib.espeak_SetParameter(ESPEAK_RATE, wpm, 0)
            self.lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
            self._chunks, self._markers = [], []
            encoded = text.encode("utf-8")
            status = self.lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None
            )
            self.lib.espeak_Synchronize()
            if status != 0:
                raise RuntimeError(f"espeak_Synth returned {status}")
            return _Synthesis(b"".join(self._chunks), self._markers)


class EspeakSpeech:
    device = "cpu"

    def __init__(self, package: str, voices: dict[str, str]) -> None:
        self.engine = _Engine.get(package)
        self.aliases = voices

    def memory_bytes(self) -> int:
        return 0

    def unload(self) -> None:
        """The library stays loaded for the process; nothing to release."""

    def resolve_voice(self, voice: str) -> str | None:
        native = self.aliases.get(voice, voice)
        return native if self.engine.knows(native) else None

    def synthesize(self, text: str, voice: str, speed: float, pitch: int = 50) -> SpeechAudio:
        native = self.resolve_voice(voice)
        if native is None:
            raise UnknownVoice(f"espeak-ng has no voice {voice!r}")
        wpm = max(80, min(450, round(DEFAULT_WPM * speed)))
        synthesis = self.engine.synthesize(text, native, wpm, max(0, min(100, pitch)))
        rate = self.engine.sample_rate
        duration = len(synthesis.pcm) / 2 / rate
        words = word_timings(text, synthesis, rate)
        return SpeechAudio(pcm16_to_wav(synthesis.pcm, rate), "wav", duration, words)


def word_timings(text: str, synthesis: _Synthesis, sample_rate: int) -> tuple[WordTiming, ...]:
    """The input's words timed by espeak-ng's word events (already at the chosen rate).

    A word starts at its event and runs to the next event (the next word, or the end of
    its clause), less the silence espeak-ng leaves before that boundary."""
    samples = np.frombuffer(synthesis.pcm, dtype="<i2")
    total_s = len(samples) / sample_rate
    markers = sorted(synthesis.markers, key=lambda m: m.audio_s)
    spans: list[Span] = []
    for i, marker in enumerate(markers):
        if marker.kind != EVENT_WORD:
            continue
        later = [m.audio_s for m in markers[i + 1 :] if m.audio_s > marker.audio_s]
        boundary = min(later[0] if later else total_s, total_s)
        end = _voiced_end(samples, sample_rate, marker.audio_s, boundary)
        spans.append(Span(marker.text_index, marker.text_index + 1, marker.audio_s, end))
    return words_from_spans(text, spans)


def _voiced_end(samples: np.ndarray, rate: int, start_s: float, end_s: float) -> float:
    """``end_s`` moved back to the last frame of ``[start_s, end_s]`` that is not silent."""
    frame = max(1, round(SILENCE_FRAME_S * rate))
    first, last = round(start_s * rate), round(end_s * rate)
    window = samples[first:last].astype(np.float32) / 32768.0
    frames = len(window) // frame
    if frames == 0:
        return end_s
    peaks = np.abs(window[: frames * frame]).reshape(frames, frame).max(axis=1)
    loud = np.flatnonzero(peaks > SILENCE_LEVEL)
    if len(loud) == 0:
        return end_s
    return float(min(end_s, (first + (loud[-1] + 1) * frame) / rate))
