"""Causal language models through transformers, from a folder or a (converted) GGUF file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import structlog
import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from ai.backends.base import ChatMessage, TextDelta, TextEvent, TextParams, TextResult
from ai.backends.gguf_cache import ensure_converted
from ai.backends.torch_utils import module_bytes, release_memory, resolve_dtype
from ai.errors import InvalidRequest

log = structlog.get_logger(__name__)


class TransformersText:
    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        device: str,
        max_context: int,
    ) -> None:
        self.model: Any = model
        self.tokenizer: Any = tokenizer
        self.device = device
        self.max_context = max_context

    @classmethod
    def from_dir(
        cls, path: Path, dtype: str, device: str, max_context: int, compile_model: bool = False
    ) -> TransformersText:
        tokenizer: Any = AutoTokenizer.from_pretrained(path)
        model: Any = AutoModelForCausalLM.from_pretrained(
            path, dtype=resolve_dtype(dtype, device), low_cpu_mem_usage=True
        )
        model.to(device).eval()
        if compile_model and device == "cuda":
            # a static KV cache gives torch.compile fixed shapes: CUDA graphs per decode step
            model.generation_config.cache_implementation = "static"
            model.forward = torch.compile(model.forward, mode="reduce-overhead", fullgraph=True)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        return cls(model, tokenizer, device, max_context)

    @classmethod
    def from_gguf(
        cls, gguf_file: Path, cache_root: Path, dtype: str, device: str, max_context: int
    ) -> TransformersText:
        return cls.from_dir(ensure_converted(gguf_file, cache_root), dtype, device, max_context)

    def memory_bytes(self) -> int:
        return module_bytes([self.model])

    def unload(self) -> None:
        del self.model
        release_memory()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def generate(self, messages: list[ChatMessage], params: TextParams) -> TextResult:
        final: TextResult | None = None
        for event in self.stream(messages, params, streamed=False):
            if isinstance(event, TextResult):
                final = event
        assert final is not None
        return final

    def stream(
        self,
        messages: list[ChatMessage],
        params: TextParams,
        *,
        streamed: bool = True,
        cancel: threading.Event | None = None,
    ) -> Iterator[TextEvent]:
        input_ids = self._encode(messages)
        prompt_tokens = int(input_ids.shape[1])
        max_new = min(params.max_tokens, self.max_context - prompt_tokens)
        if max_new < 1:
            raise InvalidRequest(
                f"the prompt has {prompt_tokens} tokens; the model's context is {self.max_context}",
                details={"prompt_tokens": prompt_tokens, "max_context": self.max_context},
            )
        kwargs = self._generate_kwargs(input_ids, params, max_new)
        if cancel is not None:
            kwargs["stopping_criteria"] = StoppingCriteriaList([_Cancelled(cancel)])
        if not streamed:
            with torch.inference_mode():
                output = self.model.generate(**kwargs)
            new_ids = output[0, prompt_tokens:]
            text = self.tokenizer.decode(new_ids, skip_special_tokens=True)
            yield self._finish(text, prompt_tokens, len(new_ids), max_new, params)
            return
        streamer = _CountingStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**kwargs, streamer=streamer)
            except BaseException as exc:  # surfaced to the consumer below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name="text-generate", daemon=True)
        worker.start()
        pieces: list[str] = []
        emitted = 0
        for piece in streamer:
            pieces.append(piece)
            text = "".join(pieces)
            cut = _first_stop(text, params.stop)
            visible = text if cut is None else text[:cut]
            if len(visible) > emitted:
                yield TextDelta(visible[emitted:])
                emitted = len(visible)
            if cut is not None:
                break
        worker.join()
        if errors:
            raise errors[0]
        yield self._finish("".join(pieces), prompt_tokens, streamer.generated, max_new, params)

    def _finish(
        self,
        text: str,
        prompt_tokens: int,
        completion_tokens: int,
        max_new: int,
        params: TextParams,
    ) -> TextResult:
        cut = _first_stop(text, params.stop)
        if cut is not None:
            return TextResult(text[:cut], prompt_tokens, completion_tokens, "stop")
        if completion_tokens >= max_new:
            return TextResult(text, prompt_tokens, completion_tokens, "length")
        return TextResult(text, prompt_tokens, completion_tokens, "stop")

    def _encode(self, messages: list[ChatMessage]) -> torch.Tensor:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        if self.tokenizer.chat_template:
            encoded = self.tokenizer.apply_chat_template(
                chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
            )
            ids = encoded["input_ids"]
        else:
            prompt = "\n".join(f"{m.role}: {m.content}" for m in messages) + "\nassistant:"
            ids = self.tokenizer(prompt, return_tensors="pt")["input_ids"]
        return ids.to(self.device)

    def _generate_kwargs(
        self, input_ids: torch.Tensor, params: TextParams, max_new: int
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": max_new,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if params.temperature > 0:
            if params.seed is not None:
                torch.manual_seed(params.seed)
            kwargs.update(do_sample=True, temperature=params.temperature, top_p=params.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if params.stop:
            kwargs.update(stop_strings=list(params.stop), tokenizer=self.tokenizer)
        return kwargs


def _first_stop(text: str, stops: tuple[str, ...]) -> int | None:
    positions = [text.find(s) for s in stops if s and s in text]
    return min(positions) if positions else None


class _CountingStreamer(TextIteratorStreamer):
    """Counts the tokens generated (the text alone may re-tokenize differently)."""

    def __init__(self, tokenizer: Any, **kwargs: Any) -> None:
        super().__init__(tokenizer, **kwargs)
        self.generated = 0

    def put(self, value: torch.Tensor) -> None:
        if not (self.skip_prompt and self.next_tokens_are_prompt):
            self.generated += int(value.numel())
        super().put(value)


class _Cancelled(StoppingCriteria):
    """Stops generation when the consumer went away (a closed stream)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        flags = torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool)
        return flags  # type: ignore[return-value]
