"""Spoken instructions: every phrase rendered by the real espeak-ng in each language is audible
and about as long as its words take to say (measured with sox); phrases come from the cache
the second time; a phrase said late is skipped; STOP cuts the one playing; a missing engine is
a clear error that costs nothing but the words."""

import logging
import re
import subprocess
import threading
import time

import pytest

from hw.speech import AplayPlayer, EspeakRenderer, FileSink, SpeechError, Voice
from station.runtime.spoken import all_phrases


def sox_stat(path) -> dict:
    """sox's own measures of a sound file: its length (s) and RMS and peak amplitude (0-1)."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr

    def figure(name):
        return float(re.search(rf"{name}:\s+(-?[\d.]+)", out.stderr)[1])

    return {
        "seconds": figure(r"Length \(seconds\)"),
        "rms": figure(r"RMS\s+amplitude"),
        "peak": figure(r"Maximum amplitude"),
    }


def wait_for(condition, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class RecordingPlayer(FileSink):
    """Logs like the simulator's sink and notes the thread each phrase is played on."""

    def __init__(self):
        super().__init__()
        self.threads = []

    def play(self, path, text, language):
        self.threads.append(threading.current_thread().name)
        super().play(path, text, language)


def test_every_phrase_in_each_language_is_audible_and_takes_as_long_as_its_words(tmp_path):
    voice = Voice(EspeakRenderer(), FileSink(), tmp_path)
    try:
        phrases = all_phrases()
        assert {language for _, language in phrases} == {"en", "es"}
        for text, language in phrases:
            stat = sox_stat(voice.cached(text, language))
            words = len(text.split())
            # espeak-ng at 140 words a minute is 0.43 s a word; short words and the lead-in
            # and trailing silence of each file give the slack
            assert 0.25 * words <= stat["seconds"] <= 0.6 * words + 1.0, (text, stat)
            assert stat["rms"] > 0.03 and stat["peak"] > 0.3, (text, stat)  # not silence
    finally:
        voice.close()
    # the two languages are different words, not English read twice
    spanish = dict(all_phrases())
    assert "Cierre los ojos." in spanish and spanish["Cierre los ojos."] == "es"


def test_a_phrase_is_rendered_once_then_played_from_the_cache(tmp_path):
    player = RecordingPlayer()
    voice = Voice(EspeakRenderer(volume_pct=50), player, tmp_path)
    try:
        voice.say("Cierre los ojos.", "es")
        wait_for(lambda: len(player.played) == 1)
        files = sorted(tmp_path.iterdir())
        voice.say("Cierre los ojos.", "es")
        wait_for(lambda: len(player.played) == 2)
        assert sorted(tmp_path.iterdir()) == files and voice.rendered == 1
        assert voice.status()["cache_files"] == 1 and voice.status()["spoken"] == 2
        assert player.played[0][3] == player.played[1][3] == files[0]
        assert player.threads == ["voice", "voice"]  # never the caller's thread
        # another volume is another sound: rendered anew, beside the first
        louder = Voice(EspeakRenderer(volume_pct=100), FileSink(), tmp_path)
        assert louder.cached("Cierre los ojos.", "es") != files[0]
        louder.close()
        quiet, loud = (sox_stat(p)["rms"] for p in sorted(tmp_path.iterdir(), key=_mtime))
        assert loud > 1.5 * quiet
    finally:
        voice.close()


def _mtime(path):
    return path.stat().st_mtime_ns


class BlockingPlayer(RecordingPlayer):
    """Plays until released, like a long phrase still sounding."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.stopped = 0

    def play(self, path, text, language):
        super().play(path, text, language)
        self.release.wait(10)

    def stop(self):
        self.stopped += 1
        self.release.set()


def test_a_phrase_that_could_only_start_late_is_skipped(tmp_path):
    now = [0.0]
    player = BlockingPlayer()
    voice = Voice(EspeakRenderer(), player, tmp_path, clock=lambda: now[0])
    try:
        voice.say("Close your eyes.", "en")
        wait_for(lambda: len(player.played) == 1)
        voice.say("Three", "en")  # asked at 0 s, while the instruction still sounds
        voice.say("Two", "en")
        now[0] = 1.5  # the instruction ends 1.5 s later: both numbers would come too late
        player.release.set()
        wait_for(lambda: voice.skipped == 2)
        voice.say("Begin.", "en")  # asked now: said
        wait_for(lambda: len(player.played) == 2)
        assert [p[0] for p in player.played] == ["Close your eyes.", "Begin."]
        assert voice.status()["skipped"] == 2
    finally:
        voice.close()


def test_stop_cuts_the_phrase_playing_and_drops_the_queued_ones(tmp_path):
    player = AplayPlayer(command=["sh", "-c", "sleep 30", "player"])  # a 30 s phrase
    voice = Voice(EspeakRenderer(), player, tmp_path)
    try:
        voice.say("Stand upright and hold that posture.", "en")
        wait_for(lambda: player.process is not None)
        process = player.process
        assert voice.status()["state"] == "speaking"
        voice.say("Well done.", "en")
        started = time.monotonic()
        voice.interrupt()
        assert process.wait(timeout=5) != 0  # killed, not finished
        assert time.monotonic() - started < 5
        time.sleep(0.3)
        assert voice.status()["spoken"] == 1  # "Well done." was dropped
    finally:
        voice.close()


def test_a_missing_engine_is_a_clear_error_logged_once(tmp_path, caplog):
    renderer = EspeakRenderer(executable="espeak-ng-not-installed")
    with pytest.raises(SpeechError, match="apt-get install espeak-ng"):
        renderer.render("Close your eyes.", "en", tmp_path / "x.wav")
    voice = Voice(renderer, FileSink(), tmp_path)
    try:
        for _ in range(3):
            voice.say("Close your eyes.", "en")
        wait_for(lambda: voice.errors == 3)
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "espeak-ng" in errors[0].getMessage()
        assert "apt-get install espeak-ng" in voice.status()["last_error"]
    finally:
        voice.close()


def test_a_voice_that_renders_needs_a_cache_folder():
    with pytest.raises(ValueError, match="cache folder"):
        Voice(EspeakRenderer(), FileSink(), None)


class FailingEngine(EspeakRenderer):
    """espeak-ng as it fails when its voice data is broken: a non-zero exit, whatever the text."""

    def render(self, text, language, path):
        object.__setattr__(self, "executable", "false")  # found, runs, exits 1
        super().render(text, language, path)


def test_a_failing_engine_is_named_with_what_to_check_logged_once_until_it_works(tmp_path, caplog):
    voice = Voice(FailingEngine(), FileSink(), tmp_path)
    try:
        for text in ("Close your eyes.", "Three", "Two"):  # three different failures
            voice.say(text, "en")
        wait_for(lambda: voice.errors == 3)
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1, errors
        assert "espeak-ng -v en-us hello" in errors[0] and "tones" in errors[0]
        status = voice.status()
        assert status["state"] == "failing" and status["spoken"] == 0
        assert "espeak-ng-data" in status["last_error"]
        assert not list(tmp_path.iterdir())  # no half-rendered file left in the cache
    finally:
        voice.close()


def test_speech_that_works_again_logs_its_next_failure_again(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="hw.speech")
    renderer = EspeakRenderer(executable="espeak-ng-not-installed")
    voice = Voice(renderer, FileSink(), tmp_path)
    try:
        voice.say("Close your eyes.", "en")
        wait_for(lambda: voice.errors == 1)
        voice.renderer = EspeakRenderer()  # installed meanwhile
        voice.say("Close your eyes.", "en")
        wait_for(lambda: voice.spoken == 1)
        wait_for(lambda: voice.status()["state"] == "ready")
        voice.renderer = renderer  # removed again
        voice.say("Two", "en")
        wait_for(lambda: voice.errors == 2)
        errors = [r for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 2
        assert any(r.getMessage() == "speech works again" for r in caplog.records)
    finally:
        voice.close()


def test_prerendering_off_the_callers_thread_fills_the_cache_then_speaking_renders_nothing(
    tmp_path,
):
    class CountingEngine(EspeakRenderer):
        def render(self, text, language, path):
            threads.append(threading.current_thread().name)
            super().render(text, language, path)

    threads = []
    phrases = [("Tres", "es"), ("Dos", "es"), ("Three", "en")]
    player = RecordingPlayer()
    with Voice(CountingEngine(), player, tmp_path) as voice:
        voice.prerender(phrases, wait=False)  # returns at once
        wait_for(lambda: voice.status()["cache_files"] == 3)
        assert set(threads) == {"voice-prerender"}
        voice.say("Dos", "es")
        wait_for(lambda: len(player.played) == 1)
        assert len(threads) == 3 and voice.rendered == 3  # said from the cache
        voice.prerender(phrases)  # on the caller's thread (install): all there already
        assert len(threads) == 3
    assert voice.status()["state"] == "closed"


def test_closing_the_voice_cuts_the_player_and_ends_its_thread(tmp_path):
    player = AplayPlayer(command=["sh", "-c", "sleep 30", "player"])
    voice = Voice(EspeakRenderer(), player, tmp_path)
    voice.say("Well done.", "en")
    wait_for(lambda: player.process is not None)
    process = player.process
    started = time.monotonic()
    voice.close()
    voice.close()  # safe twice
    assert process.poll() is not None and time.monotonic() - started < 5
    assert not [t for t in threading.enumerate() if t.name == "voice"]
    voice.say("Well done.", "en")  # after close: nothing, no error
    assert voice.status()["spoken"] == 1


def test_a_player_that_cannot_start_names_what_to_install(tmp_path):
    wav = tmp_path / "x.wav"
    EspeakRenderer().render("One", "en", wav)
    player = AplayPlayer(command=["aplay-not-installed"])
    with pytest.raises(SpeechError, match="install alsa-utils"):
        player.play(wav, "One", "en")
