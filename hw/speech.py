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
that fails is logged once and counted; the drill goes on with its tones.
"""

import hashlib
import logging
import queue
import shutil
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
            detail = getattr(exc, "stderr", b"") or b""
            raise SpeechError(
                f"espeak-ng could not render {text!r} ({language}): {exc} "
                f"{detail.decode(errors='replace').strip()}".strip()
            ) from exc


class AplayPlayer:
    """Plays WAV files on the Pi's default ALSA output with ``aplay``; ``stop()`` cuts the one
    playing."""

    def __init__(self, command=("aplay", "-q")):
        self.command = tuple(command)
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def play(self, path: Path, text: str, language: str) -> None:
        """Play ``path`` to its end (or until ``stop()``); SpeechError when it cannot."""
        try:
            process = subprocess.Popen(
                [*self.command, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise SpeechError(
                f"cannot start the audio player {self.command[0]!r}: {exc}; install alsa-utils "
                "and check the Pi's audio output (raspi-config, System Options, Audio)"
            ) from exc
        with self._lock:
            self._process = process
        _, err = process.communicate()
        with self._lock:
            self._process = None
        if process.returncode > 0:
            raise SpeechError(
                f"{self.command[0]} failed on {path.name}: {err.decode(errors='replace').strip()}"
                "; check the audio output and its volume (alsamixer)"
            )

    def stop(self) -> None:
        """Cut the phrase playing now, if any."""
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.kill()

    def close(self) -> None:
        self.stop()


class FileSink:
    """Simulated hardware has no loudspeaker: each phrase "played" is logged with its file and
    length, and listed in ``played`` (the newest ``keep``)."""

    def __init__(self, keep: int = 100):
        self.played: list[tuple[str, str, float, Path]] = []
        self._keep = keep

    def play(self, path: Path, text: str, language: str) -> None:
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
    """Says phrases without ever making the caller wait; owns its worker thread and player
    and releases them in ``close()``.

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
        self.spoken = self.skipped = self.rendered = self.errors = 0
        self.last: dict | None = None
        self._last_error: str | None = None
        self._thread: threading.Thread | None = None
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
        self._generation += 1
        self.player.stop()

    def prerender(self, phrases) -> None:
        """Render each (text, language) of ``phrases`` into the cache now, on the caller's
        thread (at install or start-up, never from the control loop)."""
        for text, language in phrases:
            self.cached(text, language)

    def cached(self, text: str, language: str) -> Path:
        """The cached WAV of ``text`` in ``language``, rendered first if missing."""
        key = self.renderer.key(text, language)
        path = self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.wav"
        if not path.exists():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            self.renderer.render(text, language, partial)
            partial.replace(path)  # atomic: a crash never leaves half a phrase in the cache
            self.rendered += 1
        return path

    def status(self) -> dict:
        """Plain-dict state: phrases said, skipped as late, rendered, failures and the last."""
        return {
            "state": "closed" if self._closed else "ready" if self._thread else "log-only",
            "spoken": self.spoken,
            "skipped_late": self.skipped,
            "rendered": self.rendered,
            "errors": self.errors,
            "last_error": self._last_error,
            "last": self.last,
        }

    def close(self) -> None:
        """Stop speaking and end the worker; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.interrupt()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=RENDER_TIMEOUT_S + 1)
        self.player.close()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            generation, asked_s, text, language = item
            if generation != self._generation:
                continue  # queued before a STOP
            try:
                if self._late(asked_s):
                    continue
                path = self.cached(text, language)
                if generation != self._generation or self._late(asked_s):
                    continue
                self.last = {"text": text, "language": language}
                self.spoken += 1
                self.player.play(path, text, language)
            except (SpeechError, OSError, wave.Error) as exc:
                self._failed(str(exc))

    def _late(self, asked_s: float) -> bool:
        if self._clock() - asked_s <= self.max_delay_s:
            return False
        self.skipped += 1
        return True

    def _failed(self, message: str) -> None:
        self.errors += 1
        if message != self._last_error:  # once per distinct failure, not once per phrase
            log.error("speech: %s", message)
        self._last_error = message
