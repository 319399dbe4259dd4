"""Optional LLM synthesis: build a llama-index LLM from `settings.llm`, prompt it with numbered sources,
run it under a deadline, and keep only what passes the citation check.

Spec strings: "openai:<model>@<base_url>" (any OpenAI-compatible server), "ollama:<model>[@<url>]",
"gguf:<path>" (llama.cpp). Integration packages are imported only when such a spec is used.
"""

from __future__ import annotations

import importlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer.compose import refusal_answer
from assistant.answer.sources import with_sources
from assistant.answer.frame import frame_for
from assistant.answer.types import Answer, Hit, Role
from assistant.answer.verify import NoValidCitation, verify_citations
from ingest.settings import PROJECT_ROOT, AnswerSettings, Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from assistant.retrieval.search import Retrieval

PROMPTS_DIR = PROJECT_ROOT / "prompts"
REFUSAL_SENTENCE = "The sources provided do not answer this question."
AUDIENCE: dict[Role | None, str] = {
    None: "Order the supporting points lessons learned first, then recommendations.",
    "designer": "The reader designs programmes: order the supporting points recommendations first.",
    "trainer": "The reader trains practitioners: order the supporting points examples and good practices first.",
    "evaluator": "The reader is an evaluator: order the supporting points findings first and name the document "
                 "and year.",
}


class LLMUnavailable(RuntimeError):
    """The configured LLM cannot be built (bad spec, missing integration package, missing model file)."""


class LLMFailure(RuntimeError):
    """The LLM raised, timed out, or produced nothing that passed the citation check."""


@dataclass(frozen=True)
class LLMSpec:
    """A parsed `settings.llm` string."""

    provider: str  # "openai" | "ollama" | "gguf"
    model: str  # model name, or the .gguf path
    url: str = ""


def parse_llm_spec(spec: str) -> LLMSpec:
    """Parse "openai:<model>@<base_url>", "ollama:<model>[@<url>]" or "gguf:<path>"."""
    provider, sep, rest = spec.strip().partition(":")
    provider = provider.lower()
    if not sep or not rest:
        raise LLMUnavailable(
            f"LLM spec {spec!r} should look like 'openai:<model>@<url>', 'ollama:<model>' or 'gguf:<path>'"
        )
    if provider == "gguf":
        return LLMSpec(provider, rest)
    model, _, url = rest.partition("@")
    if provider == "openai" and not url:
        raise LLMUnavailable(f"LLM spec {spec!r} needs the server's base URL: 'openai:<model>@http://host:port/v1'")
    if provider == "ollama":
        return LLMSpec(provider, model, url or "http://localhost:11434")
    if provider != "openai":
        raise LLMUnavailable(f"unknown LLM provider {provider!r} in {spec!r} (use openai, ollama or gguf)")
    return LLMSpec(provider, model, url)


def _integration(module: str, name: str, package: str) -> Any:
    """The class `name` from a llama-index integration, or LLMUnavailable naming the pip package."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise LLMUnavailable(f"the LLM integration is not installed: pip install {package}") from exc


def build_llm(spec: str, *, timeout_s: float = 60.0) -> LLM:
    """A llama-index LLM for a spec string (temperature 0, no retries: the caller falls back instead)."""
    parsed = parse_llm_spec(spec)
    if parsed.provider == "openai":
        cls = _integration("llama_index.llms.openai_like", "OpenAILike", "llama-index-llms-openai-like")
        key = os.environ.get("LESSONS_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"
        return cls(model=parsed.model, api_base=parsed.url, api_key=key, is_chat_model=True,
                   temperature=0.0, timeout=timeout_s, max_retries=0)
    if parsed.provider == "ollama":
        cls = _integration("llama_index.llms.ollama", "Ollama", "llama-index-llms-ollama")
        return cls(model=parsed.model, base_url=parsed.url, request_timeout=timeout_s, temperature=0.0)
    cls = _integration("llama_index.llms.llama_cpp", "LlamaCPP", "llama-index-llms-llama-cpp")
    if not Path(parsed.model).is_file():
        raise LLMUnavailable(f"GGUF model file not found: {parsed.model}")
    return cls(model_path=parsed.model, temperature=0.0, max_new_tokens=512, context_window=4096, verbose=False)


@lru_cache(maxsize=4)
def cached_llm(spec: str, timeout_s: float) -> LLM:
    """build_llm once per process and spec (local models load slowly)."""
    return build_llm(spec, timeout_s=timeout_s)


def load_prompt(name: str = "answer") -> str:
    """The prompt template prompts/<name>.txt."""
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8")


def format_sources_for_prompt(hits: list[Hit], *, max_words: int) -> str:
    """Numbered sources for the prompt: origin line, then the passage text (capped in length)."""
    blocks = []
    for n, hit in enumerate(hits, start=1):
        p = hit.passage
        origin = ", ".join(str(x) for x in (p.title, p.organisation, p.year, p.section) if x)
        words = p.text.split()
        text = " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")
        blocks.append(f"[{n}] {origin} ({p.kind.value})\n{text}")
    return "\n\n".join(blocks)


def build_prompt(question: str, hits: list[Hit], *, role: Role | None = None, template: str | None = None,
                 settings: AnswerSettings | None = None) -> str:
    """Fill the answer template; a custom template may use only {question} and {sources}."""
    settings = settings or AnswerSettings()
    values = {
        "question": question.strip(),
        "sources": format_sources_for_prompt(hits, max_words=settings.llm_source_words),
        "numbers": ", ".join(f"[{n}]" for n in range(1, len(hits) + 1)),
        "max_sentences": settings.llm_max_sentences,
        "audience": AUDIENCE[role],
        "refusal": REFUSAL_SENTENCE,
    }
    return (template or load_prompt()).format_map(values)


def generate(llm: LLM, prompt: str, *, timeout_s: float, stream: bool = False) -> Iterator[str]:
    """The LLM's text so far (cumulative), produced in a worker thread; LLMFailure on error or past the deadline."""
    out: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            if not stream:
                out.put(("text", llm.complete(prompt).text or ""))
            else:
                text = ""
                for chunk in llm.stream_complete(prompt):
                    if stop.is_set():
                        return
                    text = text + chunk.delta if chunk.delta is not None else (chunk.text or "")
                    out.put(("text", text))
            out.put(("done", None))
        except Exception as exc:  # reported to the caller, which falls back
            out.put(("error", exc))

    threading.Thread(target=work, name="lessons-llm", daemon=True).start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                kind, value = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise LLMFailure(f"timed out after {timeout_s:g} s") from None
            if kind == "error":
                raise LLMFailure(f"failed: {type(value).__name__}: {value}") from value
            if kind == "done":
                return
            yield value
    finally:
        stop.set()


def _is_refusal(text: str) -> bool:
    return REFUSAL_SENTENCE.lower().rstrip(".") in " ".join(text.lower().split())


def _finish(question: str, text: str, retrieval: Retrieval, *, settings: Settings, coverage: list[str] | None,
            ) -> Answer:
    """Citation-check the full generated text and make the Answer (LLMFailure when nothing valid), framed as the
    extractive one: what the evidence is not about first, the sources headed in the asker's language."""
    if not text.strip():
        raise LLMFailure("returned no text")
    try:
        checked = verify_citations(text, retrieval.hits, max_quote_words=settings.answer.max_quote_words,
                                   weights=settings.answer.quote_weights)
    except NoValidCitation:
        if _is_refusal(text):
            return refusal_answer(question, coverage=coverage)
        raise LLMFailure("gave no sentence citing the sources provided") from None
    notice = ""
    if checked.dropped:
        notice = f"{len(checked.dropped)} generated sentence(s) without a valid source citation were removed."
    frame = frame_for(question)
    body = frame.edge(retrieval.unknowns) + checked.text
    return Answer(question=question, answer=with_sources(body, checked.citations, frame), citations=checked.citations,
                  notice=notice, absent=retrieval.unknowns.said_absent)


def llm_answer(
    question: str, retrieval: Retrieval, *, llm: LLM, settings: Settings, role: Role | None = None,
    coverage: list[str] | None = None,
) -> Answer:
    """Synthesised answer citing only the retrieved passages; raises LLMFailure for the caller to fall back."""
    prompt = build_prompt(question, retrieval.hits, role=role, settings=settings.answer)
    texts = list(generate(llm, prompt, timeout_s=settings.answer.llm_timeout_s))
    return _finish(question, texts[-1] if texts else "", retrieval, settings=settings, coverage=coverage)


def stream_llm_answer(
    question: str, retrieval: Retrieval, *, llm: LLM, settings: Settings, role: Role | None = None,
    coverage: list[str] | None = None,
) -> Iterator[str | Answer]:
    """Checked answer text growing as the LLM streams (complete sentences only), then the final Answer."""
    prompt = build_prompt(question, retrieval.hits, role=role, settings=settings.answer)
    shown, text = "", ""
    for text in generate(llm, prompt, timeout_s=settings.answer.llm_timeout_s, stream=True):
        cut = max(text.rfind(". "), text.rfind("\n"), text.rfind("] "))
        if cut <= 0:
            continue
        try:
            partial = verify_citations(text[: cut + 1], retrieval.hits, max_quote_words=1).text
        except NoValidCitation:
            continue
        if len(partial) > len(shown) and partial.startswith(shown):
            shown = partial
            yield shown
    yield _finish(question, text, retrieval, settings=settings, coverage=coverage)
