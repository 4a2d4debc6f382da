"""Checking an untrusted PDF within bounds: in a child process with CPU-time and memory
limits, after a cheap look at the raw bytes.

A PDF can hold hundreds of thousands of objects or form fields, and parsing them costs
seconds of CPU and hundreds of megabytes (260,000 fields: 31 s, ~200 MB). The public
/verify page must answer "too complex to check" for such a file rather than let it occupy
anything for long: the worker checks it here, never the web request.

The child comes from a fork server (multiprocessing "forkserver") that has pyHanko loaded
already, so a check starts in milliseconds; it sets its own rlimits before touching the
file. This needs the worker's thread pool (huey's default `-k thread`): huey's process
workers are daemonic and may not start children.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import re
import resource

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from coordapp.signing.verify import VerificationReport, verify_pdf

# Bounds on the raw file, checked before any parsing. A minutes PDF has a few hundred
# objects and one revision per chair plus two.
MAX_OBJECTS = 10_000
MAX_REVISIONS = 50
OBJECT_HEADER = re.compile(rb"\d{1,10}\s+\d{1,5}\s+obj\b")
EOF_MARKER = re.compile(rb"%%EOF")

DEFAULT_CPU_SECONDS = 10
DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024


class TooComplex(Exception):
    """The check went over a bound (CPU time, memory, wall-clock time): not checked."""


def too_many_parts(pdf: bytes) -> bool:
    """More objects or revisions than a minutes PDF ever has (one pass, stops early)."""
    return _more_than(OBJECT_HEADER, pdf, MAX_OBJECTS) or _more_than(EOF_MARKER, pdf, MAX_REVISIONS)


def _more_than(pattern: re.Pattern, data: bytes, limit: int) -> bool:
    for count, _ in enumerate(pattern.finditer(data), 1):
        if count > limit:
            return True
    return False


def verify_pdf_bounded(
    pdf: bytes,
    trust_roots: list[x509.Certificate],
    *,
    cpu_seconds: int = DEFAULT_CPU_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
) -> VerificationReport:
    """verify_pdf, refusing (report.error "too_complex") a file over the bounds."""
    if too_many_parts(pdf):
        return _too_complex(pdf)
    roots = [root.public_bytes(serialization.Encoding.DER) for root in trust_roots]
    try:
        return run_bounded(
            _verify_with_der_roots,
            pdf,
            roots,
            cpu_seconds=cpu_seconds,
            memory_bytes=memory_bytes,
        )
    except TooComplex:
        return _too_complex(pdf)


def _too_complex(pdf: bytes) -> VerificationReport:
    report = VerificationReport(file_sha256=hashlib.sha256(pdf).hexdigest())
    report.error = "too_complex"
    return report


def _verify_with_der_roots(pdf: bytes, roots: list[bytes]) -> VerificationReport:
    return verify_pdf(pdf, [x509.load_der_x509_certificate(der) for der in roots])


def run_bounded(fn, *args, cpu_seconds: int, memory_bytes: int, wall_seconds: float = 0):
    """fn(*args) in a child process limited to `cpu_seconds` of CPU and `memory_bytes` of
    address space, and to `wall_seconds` (default: twice the CPU time plus 5 s) of waiting.
    Returns its result; raises TooComplex when a limit stopped it."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["coordapp.signing.bounded"])
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, fn, args, cpu_seconds, memory_bytes), daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(wall_seconds or cpu_seconds * 2 + 5):
            raise TooComplex("time")
        finished, value = receiver.recv()
    except EOFError as error:  # killed by RLIMIT_CPU (SIGXCPU) or the OOM killer
        raise TooComplex("killed") from error
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if not finished:
        raise TooComplex(value)
    return value


def _child(sender, fn, args, cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        result = (True, fn(*args))
    except MemoryError:
        result = (False, "memory")
    sender.send(result)
    sender.close()
