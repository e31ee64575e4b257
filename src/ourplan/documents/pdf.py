"""HTML to PDF with WeasyPrint.

Speed matters for batches (a practice prints hundreds of letters at once; the budget is 20 letters a
second on 2 cores), so:
- parsed stylesheets and the font configuration are made once per process and reused;
- a batch is rendered letter by letter (each keeps its own "Page 1 of 3"), and the pages of many letters
  are written out as one PDF, so fonts are embedded and subset once per chunk, not once per letter;
- a large batch is split into chunks rendered by one process per core (WeasyPrint is pure Python, so
  threads would not help), and the chunks are joined with poppler's `pdfunite`. Without pdfunite, or on
  one core, the batch is rendered in this process.

This module does not touch Django or the database, so worker processes only ever get HTML strings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration

STYLES = Path(__file__).parent / "data"
CHUNK = 25  # letters per worker task: small enough for smooth progress, big enough to share font subsets


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@lru_cache(maxsize=8)
def stylesheet(name: str) -> weasyprint.CSS:
    return weasyprint.CSS(filename=str(STYLES / name), font_config=_fonts())


def letter_styles(*, large_print: bool = False, staff_copy: bool = False) -> tuple[str, ...]:
    """The stylesheets for a letter variant."""
    return ("letter.css", *(("large-print.css",) if large_print else ()), *(("staff-copy.css",) if staff_copy else ()))


def _render(html: str, stylesheets: Sequence[str]) -> weasyprint.Document:
    # No base_url: letters hold no links to fetch (charts are inline SVG), so WeasyPrint never reads a
    # file or URL named in the HTML.
    return weasyprint.HTML(string=html).render(
        stylesheets=[stylesheet(name) for name in stylesheets], font_config=_fonts()
    )


def render_pdf(html: str, *, stylesheets: Sequence[str] = ("letter.css",)) -> bytes:
    """One document to PDF bytes."""
    return bytes(_render(html, stylesheets).write_pdf())


# One document of a batch: its HTML and the stylesheets to render it with.
Doc = tuple[str, tuple[str, ...]]


def _render_serial(docs: Sequence[Doc], progress: Callable[[int], None] | None = None) -> tuple[bytes, int]:
    first: weasyprint.Document | None = None
    pages = []
    for n, (html, styles) in enumerate(docs, start=1):
        document = _render(html, styles)
        first = first or document
        pages.extend(document.pages)
        if progress is not None:
            progress(n)
    if first is None:
        return b"", 0
    return bytes(first.copy(pages).write_pdf()), len(pages)


def _render_chunk(docs: list[Doc]) -> tuple[bytes, int]:
    return _render_serial(docs)


def workers_available() -> int:
    """Processes to render with: OURPLAN_PDF_WORKERS, else one per core (at most 8)."""
    configured = os.environ.get("OURPLAN_PDF_WORKERS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def join_pdfs(parts: Sequence[bytes]) -> bytes:
    """Concatenate PDFs (poppler's pdfunite)."""
    if len(parts) == 1:
        return parts[0]
    tool = shutil.which("pdfunite")
    if tool is None:
        raise RuntimeError("pdfunite (poppler-utils) is needed to join PDFs")
    with tempfile.TemporaryDirectory(prefix="ourplan-pdf-") as tmp:
        names = []
        for i, part in enumerate(parts):
            path = Path(tmp) / f"part-{i:05d}.pdf"
            path.write_bytes(part)
            names.append(str(path))
        out = Path(tmp) / "joined.pdf"
        subprocess.run([tool, *names, str(out)], check=True, capture_output=True, timeout=600)  # noqa: S603
        return out.read_bytes()


def _process_context() -> BaseContext:
    """fork when this process has a single thread (a job worker, a command): the workers start at once,
    with fonts and stylesheets already loaded, and only ever receive HTML (they never use the database
    connections they inherit, and leave through os._exit, so they never close them either). With other
    threads running (a threaded web server), forking could copy a lock held mid-operation, so workers
    come from a clean forkserver process instead."""
    if threading.active_count() == 1 and "fork" in get_all_start_methods():
        return get_context("fork")
    context = get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def render_batch(
    docs: Iterable[Doc], *, total: int, progress: Callable[[int], None] | None = None, workers: int | None = None,
) -> tuple[bytes, int]:
    """`total` documents to one PDF: (bytes, page count). `progress(n)` reports documents done so far.
    `docs` may be a generator: each chunk goes to a worker as soon as it is made, so making the HTML
    overlaps with rendering."""
    workers = workers or workers_available()
    if workers <= 1 or total <= CHUNK or shutil.which("pdfunite") is None:
        return _render_serial(list(docs), progress)
    context = _process_context()
    parts: list[bytes] = []
    pages = done = 0
    with ProcessPoolExecutor(max_workers=min(workers, -(-total // CHUNK)), mp_context=context) as pool:
        futures = [(len(chunk), pool.submit(_render_chunk, chunk)) for chunk in _chunks(docs)]
        for size, future in futures:
            data, count = future.result()
            parts.append(data)
            pages += count
            done += size
            if progress is not None:
                progress(done)
    return join_pdfs(parts), pages


def _chunks(docs: Iterable[Doc]) -> Iterator[list[Doc]]:
    chunk: list[Doc] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
