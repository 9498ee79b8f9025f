"""Spoken instructions: phrases rendered once by a local speech engine, cached as WAV files and
played from the cache by a worker thread, so that speaking never costs the caller (the control
loop) any time.

``Voice.say(text, language)`` only queues the phrase. The worker renders it on first use
(``EspeakRenderer``: Debian's espeak-ng, a few tens of milliseconds a phrase on a Pi 4) into
``cache_dir`` under a name that hashes everything that shapes the sound, then plays it
(``AplayPlayer`` on the Pi's audio output; ``FileSink`` on simulated hardware, which only logs
what would have been heard). A phrase that could start only more than ``max_delay_s`` after it
was asked for is skipped and counted: a countdown number said late misleads more than silence.
``interrupt()`` (STOP) cuts the phrase playing and drops the queued ones. An engine or player
that fails is logged once (until speech works again) and counted; the drill goes on with its
tones. ``prerender()`` fills the cache ahead, at install or start-up, off the control loop.
"""

import contextlib
import hashlib
import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from hw.errors import HardwareError

log = logging.getLogger(__name__)

VOICES = {"en": "en-us", "es": "es-419"}
"""espeak-ng voice of each language: American English, Latin-American Spanish."""

MAX_DELAY_S = 1.0
RENDER_TIMEOUT_S = 10.0


class SpeechError(HardwareError, RuntimeError):
    """The speech engine or the audio player is missing or failed: what to install or check."""


@dataclass(frozen=True)
class EspeakRenderer:
    """Renders text to a WAV file with espeak-ng at ``rate_wpm`` words a minute and
    ``volume_pct`` of the engine's full amplitude."""

    rate_wpm: int = 140
    volume_pct: int = 80
    executable: str = "espeak-ng"

    def key(self, text: str, language: str) -> str:
        """What makes two renderings sound the same: the cache's key."""
        return f"espeak-ng|{VOICES[language]}|{self.rate_wpm}|{self.volume_pct}|{text}"

    def render(self, text: str, language: str, path: Path) -> None:
        """Write ``text`` spoken in ``language`` to ``path`` (SpeechError when it fails)."""
        found = shutil.which(self.executable)
        if found is None:
            raise SpeechError(
                f"the speech engine {self.executable!r} is not installed: run "
                "'apt-get install espeak-ng' (the station keeps cueing with tones meanwhile)"
            )
        amplitude = str(round(self.volume_pct * 2))  # espeak-ng: 0-200, 100 its default
        command = [found, "-v", VOICES[language], "-s", str(self.rate_wpm), "-a", amplitude]
        try:
            subprocess.run(
                [*command, "-w", str(path), "--", text],
                check=True,
                capture_output=True,
                timeout=RENDER_TIMEOUT_S,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip()
            raise SpeechError(
                f"espeak-ng could not render {text!r} ({language}): {exc}"
                f"{': ' + detail if detail else ''}; check that 'espeak-ng -v {VOICES[language]} "
                "hello' speaks (packages espeak-ng and espeak-ng-data) and that the speech cache "
                "folder has free space"
            ) from exc


class AplayPlayer:
    """Plays WAV files on the Pi's default ALSA output with ``aplay``; ``stop()`` cuts the one
    playing."""

    def __init__(self, command=("aplay", "-q")):
        self.command = tuple(command)
        self._process: subprocess.Popen | None = None
        self._starting = self._cancelled = False  # a stop() while aplay starts cuts it at once
        self._lock = threading.Lock()

    @property
    def process(self) -> subprocess.Popen | None:
        """The player's process sounding now, if any."""
        return self._process

    def play(self, path: Path, text: str, language: str) -> None:
        """Play ``path`` to its end (or until ``stop()``); SpeechError when it cannot."""
        with self._lock:
            self._starting, self._cancelled = True, False
        try:
            process = subprocess.Popen(
                [*self.command, str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a group of its own: stop() ends it with any children
            )
        except OSError as exc:
            raise SpeechError(
                f"cannot start the audio player {self.command[0]!r}: {exc}; install alsa-utils "
                "and check the Pi's audio output (raspi-config, System Options, Audio)"
            ) from exc
        finally:
            with self._lock:
                self._starting = False
        with self._lock:
            self._process = process
            if self._cancelled:
                _kill_group(process)
        _, err = process.communicate()
        with self._lock:
            self._process = None
        if process.returncode > 0:
            raise SpeechError(
                f"{self.command[0]} failed on {path.name}: {err.decode(errors='replace').strip()}"
                "; check the audio output and its volume (alsamixer)"
            )

    def stop(self) -> None:
        """Cut the phrase playing now, if any (also one whose player is still starting)."""
        with self._lock:
            self._cancelled = self._starting
            if self._process is not None and self._process.poll() is None:
                _kill_group(self._process)

    def close(self) -> None:
        """Cut the phrase playing: no player process outlives the station."""
        self.stop()


def _kill_group(process: subprocess.Popen) -> None:
    """End ``process`` and whatever it started (a shell's children would keep its pipe open)."""
    with contextlib.suppress(ProcessLookupError):  # ended meanwhile
        os.killpg(process.pid, signal.SIGKILL)


class FileSink:
    """Simulated hardware has no loudspeaker: each phrase "played" is logged with its file and
    length, and listed in ``played`` (the newest ``keep``)."""

    def __init__(self, keep: int = 100):
        self.played: list[tuple[str, str, float, Path]] = []
        self._keep = keep

    def play(self, path: Path, text: str, language: str) -> None:
        """Log ``text`` as said, with its length in s, instead of sounding ``path``."""
        seconds = wav_seconds(path)
        log.info("said %r (%s, %.2f s, %s)", text, language, seconds, path.name)
        self.played = [*self.played[-(self._keep - 1) :], (text, language, seconds, path)]

    def stop(self) -> None:
        """Nothing plays: nothing to cut."""

    def close(self) -> None:
        """Nothing to release."""


def wav_seconds(path: Path) -> float:
    """Length of a WAV file, s."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


class Voice:
    """Says phrases without ever making the caller wait; owns its worker thread, its
    prerendering thread and its player and releases them in ``close()`` (a context manager).

    ``renderer`` None makes a voice that only logs what it would say (a station on a virtual
    clock: simulated minutes pass in seconds, nothing could be heard). ``clock`` gives
    seconds on the monotonic clock (injected by tests)."""

    def __init__(
        self,
        renderer: EspeakRenderer | None,
        player,
        cache_dir: Path | None,
        *,
        max_delay_s: float = MAX_DELAY_S,
        clock=time.monotonic,
    ):
        if renderer is not None and cache_dir is None:
            raise ValueError("a voice that renders needs a cache folder")
        self.renderer, self.player, self.cache_dir = renderer, player, cache_dir
        self.max_delay_s = max_delay_s
        self._clock = clock
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._generation = 0  # bumped by interrupt(): phrases queued before it are dropped
        # held while a phrase is checked against STOP and handed to the player, and by
        # interrupt(): a STOP never slips between the check and the start of the sound
        self._lock = threading.Lock()
        self.spoken = self.skipped = self.rendered = self.errors = 0
        self.last: dict | None = None
        self._last_error: str | None = None
        self._failing = False  # the last render or play failed: the next failure is not logged
        self._playing = False
        self._thread: threading.Thread | None = None
        self._prerenderer: threading.Thread | None = None
        self._closed = False
        if renderer is not None:
            self._thread = threading.Thread(target=self._work, name="voice", daemon=True)
            self._thread.start()

    def say(self, text: str, language: str) -> None:
        """Queue ``text`` (already in ``language``) to be said now; returns at once."""
        if self._closed:
            return
        if self._thread is None:
            log.debug("would say %r (%s)", text, language)
            self.spoken += 1
            self.last = {"text": text, "language": language}
            return
        self._queue.put((self._generation, self._clock(), text, language))

    def interrupt(self) -> None:
        """Cut the phrase playing and forget the queued ones (a STOP)."""
        with self._lock:
            self._generation += 1
            self.player.stop()

    def prerender(self, phrases, *, wait: bool = True) -> None:
        """Render each (text, language) of ``phrases`` into the cache ahead of use: on the
        caller's thread (install), or with ``wait`` False on a thread of the voice's own
        (start-up), failures logged and counted as when speaking. Never from the control loop.
        """
        if self.renderer is None or self._closed:
            return
        if wait:
            for text, language in phrases:
                self.cached(text, language)
            return
        if self._prerenderer is not None and self._prerenderer.is_alive():
            return  # already at it
        self._prerenderer = threading.Thread(
            target=self._prerender, args=(list(phrases),), name="voice-prerender", daemon=True
        )
        self._prerenderer.start()

    def cached(self, text: str, language: str) -> Path:
        """The cached WAV of ``text`` in ``language``, rendered first if missing."""
        path = self._cache_path(text, language)
        if not path.exists():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            # a name of its own per process and thread: the worker and the prerenderer may
            # render the same phrase at once
            partial = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.part")
            try:
                self.renderer.render(text, language, partial)
                partial.replace(path)  # atomic: a crash never leaves half a phrase in the cache
            finally:
                partial.unlink(missing_ok=True)
            self.rendered += 1
        return path

    def status(self) -> dict:
        """Plain-dict state: phrases said, skipped as late, rendered, failures, the last
        phrase and how many phrases the cache holds."""
        if self._closed:
            state = "closed"
        elif self._thread is None:
            state = "log-only"
        else:
            state = "failing" if self._failing else "speaking" if self._playing else "ready"
        return {
            "state": state,
            "spoken": self.spoken,
            "skipped": self.skipped,
            "rendered": self.rendered,
            "errors": self.errors,
            "last_error": self._last_error,
            "last": self.last,
            "cache_files": self._cache_files(),
        }

    def close(self) -> None:
        """Stop speaking and end the worker and prerendering threads; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.interrupt()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=RENDER_TIMEOUT_S + 1)
        if self._prerenderer is not None:
            self._prerenderer.join(timeout=RENDER_TIMEOUT_S + 1)
        for thread in (self._thread, self._prerenderer):
            if thread is not None and thread.is_alive():
                log.warning("speech: the %s thread did not end within its timeout", thread.name)
        self.player.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _cache_path(self, text: str, language: str) -> Path:
        key = self.renderer.key(text, language)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.wav"

    def _cache_files(self) -> int:
        if self.cache_dir is None or not self.cache_dir.is_dir():
            return 0
        return sum(1 for _ in self.cache_dir.glob("*.wav"))

    def _prerender(self, phrases) -> None:
        for text, language in phrases:
            if self._closed:
                return
            try:
                self.cached(text, language)
            except (SpeechError, OSError) as exc:
                self._failed(str(exc))
                return  # the same engine fails the next phrase the same way
        log.info("speech: %d phrases ready in %s", len(phrases), self.cache_dir)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            generation, asked_s, text, language = item
            if generation != self._generation:
                continue  # queued before a STOP
            try:
                if self._late(asked_s):
                    continue
                path = self.cached(text, language)
                with self._lock:
                    if generation != self._generation or self._late(asked_s):
                        continue
                    self.last = {"text": text, "language": language}
                    self.spoken += 1
                    self._playing = True
                try:
                    self.player.play(path, text, language)
                finally:
                    self._playing = False
                self._recovered()
            except (SpeechError, OSError, wave.Error) as exc:
                self._failed(str(exc))

    def _late(self, asked_s: float) -> bool:
        if self._clock() - asked_s <= self.max_delay_s:
            return False
        self.skipped += 1
        return True

    def _failed(self, message: str) -> None:
        """Count a failure; log it if speech worked until now (once, not once per phrase)."""
        self.errors += 1
        if not self._failing:
            log.error("speech: %s (the drills go on with their tones)", message)
        else:
            log.debug("speech: %s", message)
        self._failing, self._last_error = True, message

    def _recovered(self) -> None:
        if self._failing:
            log.info("speech works again")
        self._failing = False
