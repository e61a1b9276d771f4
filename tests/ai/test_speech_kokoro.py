# ruff: noqa: RUF001 - IPA symbols
"""Kokoro-82M's code path with a tiny random model built from a config: load, G2P by eSpeak NG,
synthesis through the gateway, word timings from the model's own durations. Nothing downloads."""

from __future__ import annotations

import io
import itertools
import json
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import torch

from ai.app import create_app
from ai.backends.base import SpeechAudio
from ai.backends.speech_kokoro import (
    EspeakPhonemizer,
    KokoroSpeech,
    kokoro_phonemes,
    phonemize_words,
    plan_passes,
    split_words,
)
from ai.errors import BackendUnavailable
from ai.gateway import Gateway
from ai.registry import ModelSpec, Registry, load_registry
from tests.ai.conftest import make_settings, sdk_client, tiny_profile

# Kokoro-82M's config.json vocab (symbol -> id), as the real checkpoint has it
_SYMBOLS = (
    ';1 :2 ,3 .4 !5 ?6 —9 …10 "11 (12 )13 “14 ”15 \u030317 ʣ18 ʥ19 ʦ20 ʨ21 ᵝ22 \uab6723 A24 I25 '
    "O31 Q33 S35 T36 W39 Y41 ᵊ42 a43 b44 c45 d46 e47 f48 h50 i51 j52 k53 l54 m55 n56 o57 p58 "
    "q59 r60 s61 t62 u63 v64 w65 x66 y67 z68 ɑ69 ɐ70 ɒ71 æ72 β75 ɔ76 ɕ77 ç78 ɖ80 ð81 ʤ82 ə83 "
    "ɚ85 ɛ86 ɜ87 ɟ90 ɡ92 ɥ99 ɨ101 ɪ102 ʝ103 ɯ110 ɰ111 ŋ112 ɳ113 ɲ114 ɴ115 ø116 ɸ118 θ119 "
    "œ120 ɹ123 ɾ125 ɻ126 ʁ128 ɽ129 ʂ130 ʃ131 ʈ132 ʧ133 ʊ135 ʋ136 ʌ138 ɣ139 ɤ140 χ142 ʎ143 "
    "ʒ147 ʔ148 ˈ156 ˌ157 ː158 ʰ162 ʲ164 ↓169 →171 ↗172 ↘173 ᵻ177"
)
VOCAB = {item[0]: int(item[1:]) for item in _SYMBOLS.split(" ")} | {" ": 16}
SPEAKERS = {"af_heart": "en-us", "af_bella": "en-us", "bm_george": "en", "ef_dora": "es"}
ALIASES = {"alloy": "af_heart", "fable": "bm_george", "default": "af_heart"}
# kokoro's own modules, built with one LSTM layer and torch's old weight_norm
pytestmark = pytest.mark.filterwarnings(
    "ignore:dropout option adds dropout:UserWarning",
    "ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning",
)
FRAMES_PER_SECOND = 40  # Kokoro: 600 samples of 24 kHz audio per predicted duration unit


def tiny_config(n_layer: int = 1) -> dict[str, Any]:
    """Kokoro's real layout, shrunk where the code allows (the decoder's widths are fixed)."""
    return {
        "istftnet": {
            "upsample_kernel_sizes": [20, 12],
            "upsample_rates": [10, 6],
            "gen_istft_hop_size": 5,
            "gen_istft_n_fft": 20,
            "resblock_dilation_sizes": [[1, 3, 5]],
            "resblock_kernel_sizes": [3],
            "upsample_initial_channel": 512,
        },
        "dim_in": 64,
        "dropout": 0.2,
        "hidden_dim": 512,
        "max_conv_dim": 512,
        "max_dur": 3,  # short random durations keep the clips (and the test) short
        "multispeaker": True,
        "n_layer": n_layer,
        "n_mels": 80,
        "n_token": 178,
        "style_dim": 128,
        "text_encoder_kernel_size": 5,
        "plbert": {
            "hidden_size": 32,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "max_position_embeddings": 512,
            "num_hidden_layers": 1,
            "dropout": 0.1,
        },
        "vocab": VOCAB,
    }


def build_tiny_kokoro(folder: Path, voices: list[str], n_layer: int = 1) -> Path:
    """config.json, kokoro-v1_0.pth (random weights, keys as the real checkpoint has them,
    under ``module.``) and a random style tensor per voice."""
    from kokoro.model import KModel

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "voices").mkdir(exist_ok=True)
    config = tiny_config(n_layer)
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False))
    empty = folder / "empty.pth"
    torch.save({}, empty)  # KModel loads nothing from it: every weight stays as initialized
    torch.manual_seed(0)
    model = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    empty.unlink()
    state = {
        name: {f"module.{k}": v for k, v in getattr(model, name).state_dict().items()}
        for name in ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
    }
    torch.save(state, folder / "kokoro-v1_0.pth")
    for index, voice in enumerate(voices):
        generator = torch.Generator().manual_seed(100 + index)
        torch.save(
            torch.randn(510, 1, 256, generator=generator) * 0.2, folder / f"voices/{voice}.pt"
        )
    return folder


def kokoro_spec(folder: Path, **options: Any) -> ModelSpec:
    return ModelSpec(
        id="tiny-kokoro",
        modality="speech",
        backend="kokoro",
        tier="local-gpu",
        license="apache-2.0",
        commercial=True,
        path=str(folder),
        file="kokoro-v1_0.pth",
        device="cpu",
        vram_gb=0.5,
        voices=ALIASES,
        speakers=SPEAKERS,
        options={"g2p_package": "espeakng_loader", **options},
    )


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """Torch on one thread: on a busy 2-core box, more threads only fight each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def kokoro_dir(tmp_path_factory: pytest.TempPathFactory, one_thread: None) -> Path:
    return build_tiny_kokoro(tmp_path_factory.mktemp("kokoro") / "tiny-kokoro", list(SPEAKERS))


@pytest.fixture(scope="module")
def kokoro(kokoro_dir: Path) -> KokoroSpeech:
    return KokoroSpeech.from_dir(
        kokoro_dir, "kokoro-v1_0.pth", "cpu", SPEAKERS, ALIASES, {"max_phonemes": 400}
    )


def kokoro_gateway(folder: Path, models_dir: Path, **options: Any) -> Gateway:
    base = load_registry()
    registry = Registry(
        models=[*base.models, kokoro_spec(folder, **options)],
        defaults=base.defaults,
        aliases=base.aliases,
    )
    profile = tiny_profile(models={"speech": ["tiny-kokoro"]})
    return Gateway(make_settings(models_dir), registry=registry, profile=profile)


def _check_timings(audio: SpeechAudio, text: str) -> None:
    words = audio.words
    assert words is not None
    assert [w.word for w in words] == text.split()
    assert audio.duration_s is not None
    for word in words:
        assert 0 <= word.start_s < word.end_s <= audio.duration_s + 1e-3, word
    for before, after in itertools.pairwise(words):
        assert before.end_s <= after.start_s + 1e-3, (before, after)
    # the words cover the clip: only the start and end tokens' few frames lie outside them
    assert words[0].start_s <= 8 / FRAMES_PER_SECOND
    assert audio.duration_s - words[-1].end_s <= 8 / FRAMES_PER_SECOND


async def test_kokoro_speaks_24khz_wav_through_the_gateway(
    kokoro_dir: Path, tmp_path: Path, no_network_weights: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub
    import kokoro.model

    def no_hub(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"Kokoro tried the Hub: {args} {kwargs}")

    monkeypatch.setattr(kokoro.model, "hf_hub_download", no_hub)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_hub)
    gateway = kokoro_gateway(kokoro_dir, tmp_path)
    app = create_app(gateway.settings, gateway=gateway)
    client = sdk_client(app)
    try:
        response = await client.audio.speech.with_raw_response.create(
            model="speech",
            voice="af_bella",
            input="Hello world. Kokoro speaks.",
            response_format="wav",
        )
        assert response.headers["x-ytempire-backend"] == "tiny-kokoro"
        with wave.open(io.BytesIO(response.content)) as clip:
            assert clip.getframerate() == 24_000
            assert clip.getnchannels() == 1
            assert clip.getnframes() > 24_000 * 0.2
        generic = await client.audio.speech.with_raw_response.create(
            model="tiny-kokoro", voice="fable", input="Good evening.", response_format="mp3"
        )
        assert generic.headers["x-ytempire-backend"] == "tiny-kokoro"
        assert generic.content[:3] == b"ID3" or generic.content[0] == 0xFF
        with pytest.raises(openai.BadRequestError, match="voice"):
            await client.audio.speech.create(model="tiny-kokoro", voice="zz_nobody", input="hi")
    finally:
        await client.close()
        await gateway.close()


async def test_kokoro_times_each_word_from_its_durations(kokoro_dir: Path, tmp_path: Path) -> None:
    gateway = kokoro_gateway(kokoro_dir, tmp_path)
    spec = gateway.registry.by_id["tiny-kokoro"]
    text = "The eclipse lasted 42 minutes, said the astronomer."
    try:
        normal = await gateway.run_local(spec, lambda m: m.synthesize(text, "af_heart", 1.0))
        slow = await gateway.run_local(spec, lambda m: m.synthesize(text, "af_heart", 0.5))
    finally:
        await gateway.close()
    for attempt in (normal, slow):
        with wave.open(io.BytesIO(attempt.value.data)) as clip:
            assert clip.getframerate() == 24_000
            assert abs(clip.getnframes() / 24_000 - attempt.value.duration_s) < 1e-6
        _check_timings(attempt.value, text)
    # the number is spoken as several words and is timed as one, longer than "The"
    by_word = {w.word: w for w in normal.value.words or ()}
    assert (
        by_word["42"].end_s - by_word["42"].start_s > by_word["The"].end_s - by_word["The"].start_s
    )
    # half the speed: the predicted durations (and so every word) about twice as long
    # (more with this tiny model: its durations of 1-2 frames are rounded, at least 1)
    ratio = slow.value.duration_s / normal.value.duration_s  # type: ignore[operator]
    assert 1.4 < ratio < 3.5, ratio
    assert slow.value.words is not None and normal.value.words is not None
    assert slow.value.words[-1].end_s > 1.4 * normal.value.words[-1].end_s


def test_long_text_is_spoken_in_several_passes_and_stays_in_time(kokoro_dir: Path) -> None:
    speech = KokoroSpeech.from_dir(
        kokoro_dir, "kokoro-v1_0.pth", "cpu", SPEAKERS, ALIASES, {"max_phonemes": 40}
    )
    text = "First sentence is here. A second one follows it. And then, a third!"
    words = split_words(text)
    phonemize_words(words, "en-us", speech.g2p)
    passes = plan_passes(words, VOCAB, 40)
    assert len(passes) >= 3 and all(len(p.ids) <= 42 for p in passes)
    assert passes[0].words[-1].text == "here."  # cut at a sentence end
    audio = speech.synthesize(text, "alloy", 1.0)
    _check_timings(audio, text)


def test_no_pass_outgrows_the_model_whatever_the_words() -> None:
    words = split_words("Short one. " + "x " * 30 + "then a very long word, and more words follow.")
    for word in words:
        word.phonemes = "ab" * 60 if word.core == "very" else word.core
    passes = plan_passes(words, VOCAB, 40)
    assert [w.text for p in passes for w in p.words] == [w.text for w in words]  # all, in order
    assert all(len(p.ids) <= 42 for p in passes)
    lone = next(p for p in passes if any(w.core == "very" for w in p.words))
    assert len(lone.words) == 1 and lone.spans[0] == (1, 41)  # cut to fit, on its own


def test_espeak_phonemes_become_kokoro_symbols_per_language(kokoro: KokoroSpeech) -> None:
    g2p = kokoro.g2p
    assert kokoro_phonemes("həlˈo^ʊ", "en-us") == "həlˈO"
    assert kokoro_phonemes("həlˈə^ʊ", "en") == "həlˈQ"
    assert kokoro_phonemes("t^ʃˈao", "it") == "ʧˈao"
    english = split_words("Hello, world!")
    phonemize_words(english, "en-us", g2p)
    assert [w.spoken() for w in english] == ["həlˈO,", "wˈɜɹld!"]
    spanish = split_words("Hola amigos.")
    phonemize_words(spanish, "es", g2p)
    assert spanish[0].phonemes == "ˈola" and spanish[1].spoken().endswith(".")
    assert all(c in VOCAB for w in english + spanish for c in w.spoken())
    # a voice speaks its own language: the Spanish voice reads Spanish phonemes
    dora = kokoro.synthesize("Buenos días, amigos.", "ef_dora", 1.0)
    _check_timings(dora, "Buenos días, amigos.")


def test_kokoro_refuses_weights_that_do_not_fit_its_config(
    kokoro_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "mismatch"
    other.mkdir()
    (other / "voices").mkdir()
    (other / "voices" / "af_heart.pt").write_bytes((kokoro_dir / "voices/af_heart.pt").read_bytes())
    (other / "kokoro-v1_0.pth").write_bytes((kokoro_dir / "kokoro-v1_0.pth").read_bytes())
    (other / "config.json").write_text(json.dumps(tiny_config(n_layer=2), ensure_ascii=False))
    with pytest.raises(BackendUnavailable, match=r"does not match config\.json"):
        KokoroSpeech.from_dir(other, "kokoro-v1_0.pth", "cpu", SPEAKERS, ALIASES, {})
    torch.save({"bert": {}}, other / "kokoro-v1_0.pth")
    with pytest.raises(BackendUnavailable, match="lacks Kokoro's components"):
        KokoroSpeech.from_dir(other, "kokoro-v1_0.pth", "cpu", SPEAKERS, ALIASES, {})
    (other / "kokoro-v1_0.pth").unlink()
    with pytest.raises(BackendUnavailable, match="missing"):
        KokoroSpeech.from_dir(other, "kokoro-v1_0.pth", "cpu", SPEAKERS, ALIASES, {})


def test_the_registry_entry_lists_voices_in_several_languages() -> None:
    spec = load_registry().by_id["kokoro-82m"]
    assert spec.backend == "kokoro" and spec.license == "apache-2.0" and spec.commercial is True
    assert spec.hf_repo == "hexgrad/Kokoro-82M" and spec.file == "kokoro-v1_0.pth"
    for voice in ("af_heart", "af_bella", "am_michael", "bf_emma", "bm_george"):
        assert spec.speakers[voice] in ("en-us", "en")
    assert {"es", "fr", "it", "pt-br", "hi"} <= set(spec.speakers.values())
    assert set(spec.voices.values()) <= set(spec.speakers)
    g2p = EspeakPhonemizer("espeakng_loader")
    assert all(g2p.knows(language) for language in set(spec.speakers.values()))


def test_pickers_list_the_pulled_kokoro_voices(kokoro_dir: Path) -> None:
    from ai.voices import KOKORO_GROUP, installed_voices

    base = load_registry()
    registry = Registry(
        models=[*base.models, kokoro_spec(kokoro_dir)], defaults=base.defaults, aliases=base.aliases
    )
    voices = {v.id: v for v in installed_voices(registry, kokoro_dir.parent)}
    assert voices["ef_dora"].group == KOKORO_GROUP and voices["ef_dora"].language == "es"
    assert voices["bm_george"].served_by == {"tiny-kokoro": "bm_george"}
    assert "Kokoro af_heart" in voices["alloy"].label  # a named voice says how Kokoro speaks it
    # the shipped entry's voices are listed only once pulled (none are, here)
    assert "af_sky" not in voices and "am_michael" not in voices
    assert "ef_dora" not in {v.id for v in installed_voices(registry)}
