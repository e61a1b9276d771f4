"""Neural TTS through transformers' VITS (the MMS family), from a local folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import AutoTokenizer, VitsModel

from ai.audio import float_to_wav
from ai.backends.base import SpeechAudio, WordTiming
from ai.backends.torch_utils import module_bytes, release_memory, resolve_dtype
from ai.backends.word_timing import align_words, shifted, text_words
from ai.errors import UnknownVoice

SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
PAUSE_SECONDS = 0.18
MAX_CHARS_PER_PASS = 400


class VitsSpeech:
    def __init__(self, model: Any, tokenizer: Any, device: str, voices: dict[str, str]) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.voices = voices
        self.sample_rate = int(model.config.sampling_rate)

    @classmethod
    def from_dir(cls, path: Path, dtype: str, device: str, voices: dict[str, str]) -> VitsSpeech:
        tokenizer: Any = AutoTokenizer.from_pretrained(path)
        model: Any = VitsModel.from_pretrained(path, dtype=resolve_dtype(dtype, device))
        model.to(device).eval()
        return cls(model, tokenizer, device, voices)

    def memory_bytes(self) -> int:
        return module_bytes([self.model])

    def unload(self) -> None:
        del self.model
        release_memory()

    def resolve_voice(self, voice: str) -> int | None:
        """A speaker id: multi-speaker checkpoints map voice names to ids in the registry."""
        speakers = int(self.model.config.num_speakers)
        if voice in self.voices:
            native = self.voices[voice]
            return int(native) if native.isdigit() and int(native) < speakers else 0
        if voice.isdigit() and int(voice) < speakers:
            return int(voice)
        if speakers <= 1:
            return 0  # a single-speaker model reads every generic voice the same way
        return None

    def synthesize(self, text: str, voice: str, speed: float, seed: int = 0) -> SpeechAudio:
        speaker = self.resolve_voice(voice)
        if speaker is None:
            raise UnknownVoice(f"no speaker {voice!r} in this VITS model")
        self.model.speaking_rate = speed
        pause = np.zeros(int(self.sample_rate * PAUSE_SECONDS), dtype=np.float32)
        pieces: list[np.ndarray] = []
        spoken: list[WordTiming] = []
        at_s = 0.0
        generator_state = torch.random.get_rng_state()
        torch.manual_seed(seed)  # VITS samples noise: fix it so a script voices the same twice
        try:
            for chunk in _chunks(text):
                inputs = self.tokenizer(chunk, return_tensors="pt").to(self.device)
                if inputs["input_ids"].shape[1] == 0:
                    continue
                kwargs = {"speaker_id": speaker} if self.model.config.num_speakers > 1 else {}
                waveform, frames = self._forward(inputs, kwargs)
                ids = [int(i) for i in inputs["input_ids"][0]]
                spoken += shifted(self._token_words(ids, frames), at_s)
                pieces.extend([waveform, pause])
                at_s += (len(waveform) + len(pause)) / self.sample_rate
        finally:
            torch.random.set_rng_state(generator_state)
        samples = np.concatenate(pieces[:-1]) if pieces else np.zeros(1, dtype=np.float32)
        tokens = [word for _, _, word in text_words(text)]
        words = tuple(align_words(tokens, spoken)) if spoken else None
        return SpeechAudio(
            float_to_wav(samples, self.sample_rate), "wav", len(samples) / self.sample_rate, words
        )

    def _forward(self, inputs: Any, kwargs: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """The waveform and each input token's length in output samples.

        ``VitsModel`` does not return its durations; they are read off its duration
        predictor (a forward hook) and turned into frames exactly as the model does:
        ``ceil(exp(log_duration) / speaking_rate)`` spectrogram frames of ``hop`` samples."""
        captured: list[torch.Tensor] = []
        hook = self.model.duration_predictor.register_forward_hook(
            lambda _module, _args, output: captured.append(output.detach())
        )
        try:
            with torch.inference_mode():
                waveform = self.model(**inputs, **kwargs).waveform[0]
        finally:
            hook.remove()
        mask = inputs["attention_mask"][0].float().cpu().numpy()
        log_duration = captured[-1][0, 0].float().cpu().numpy()
        frames = np.ceil(np.exp(log_duration) * mask / float(self.model.speaking_rate))
        hop = int(np.prod(self.model.config.upsample_rates))
        return waveform.float().cpu().numpy(), frames * hop

    def _token_words(self, ids: list[int], samples: np.ndarray) -> list[WordTiming]:
        """Runs of letters between spaces in the tokenized text, timed by their tokens."""
        symbols = self.tokenizer.convert_ids_to_tokens(ids)
        ends = np.cumsum(samples) / self.sample_rate
        starts = ends - samples / self.sample_rate
        words: list[WordTiming] = []
        current: list[int] = []
        blank = self.tokenizer.pad_token
        for index, symbol in enumerate([*symbols, " "]):
            if symbol != " " and index < len(symbols):
                if symbol != blank:
                    current.append(index)
                continue
            if current:
                word = "".join(symbols[i] for i in current)
                words.append(WordTiming(word, float(starts[current[0]]), float(ends[current[-1]])))
            current = []
        return words


def _chunks(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for sentence in SENTENCE_END.split(text.strip()):
        if current and len(current) + len(sentence) > MAX_CHARS_PER_PASS:
            chunks.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        chunks.append(current)
    return chunks
