"""What the station says during a drill: the instructions, the countdown's last seconds and
the end, in the patient's language; STOP cuts the words; speaking never holds the loop up."""

import logging
import threading
import time
from pathlib import Path

import pytest

from drills.cues import INSTRUCTIONS, TONES, Instruct, Light, Status, Tone
from hw.speech import EspeakRenderer, FileSink, Voice
from station.clock import MonotonicClock, VirtualClock
from station.config import ConfigError
from station.runtime.core_config import parse_config
from station.runtime.hardware import build_hardware
from station.runtime.spoken import all_phrases, phrase, phrases
from station.runtime.station import Station


class Said:
    """A voice that writes down what it is asked to say, in order."""

    def __init__(self):
        self.phrases: list[tuple[str, str]] = []
        self.interrupts = 0

    def say(self, text, language):
        self.phrases.append((text, language))

    def interrupt(self):
        self.interrupts += 1
        self.phrases.append(("<interrupt>", ""))

    def status(self):
        return {"spoken": len(self.phrases)}

    def close(self):
        pass


@pytest.fixture
def station():
    config = parse_config({"sim": {"step_on_at_s": 0.5, "seed": 3}})
    st = Station(config, clock=VirtualClock(), db_path=":memory:")
    yield st
    st.close()


def patient(station, language):
    return station.records.create_patient(
        {"name": "P", "height_cm": 165, "weight_kg": 68, "language": language}
    )


def run_quiet_stance(station, language, **params):
    voice = Said()
    station.speaker.voice = voice
    trial = station.start_drill(
        patient(station, language)["id"], "quiet-stance", {"duration_s": 5, **params}
    )
    station.run_virtual(max_s=60)
    station.storage.flush()
    return voice, station.results.get_trial(trial["trial_id"])


def test_a_spanish_speaking_patient_hears_the_drill_in_spanish(station):
    voice, trial = run_quiet_stance(station, "es", eyes="closed")
    assert trial["result"]["state"] == "completed"
    said = [text for text, language in voice.phrases if language == "es"]
    assert len(said) == len(voice.phrases)  # every phrase in the patient's language
    # the conditions as the countdown starts, its last three seconds, the start, the end, and
    # back to the everyday condition the next drill expects
    assert said == [
        "Cierre los ojos.",
        "Párese directamente sobre la plataforma (quite el cojín de espuma o el disco de "
        "equilibrio).",
        "Tres",
        "Dos",
        "Uno",
        "Comience.",
        "Muy bien.",
        "Mantenga los ojos abiertos, mirando un punto al frente.",
    ]


def test_an_english_speaking_patient_hears_english_and_sees_it_on_the_panel(station):
    voice = Said()
    station.speaker.voice = voice
    station.start_drill(patient(station, "en")["id"], "quiet-stance", {"duration_s": 5})
    shown = None
    for _ in range(100):
        station.run_virtual(max_s=0.1, until_trial_ends=False)
        if shown := station.live_state()["instruction"]:
            break
    assert shown["language"] == "en" and shown["text"].startswith("Keep your eyes open")
    station.run_virtual(max_s=60)
    assert [t for t, _ in voice.phrases][-2:] == ["Begin.", "Well done."]


def test_the_patient_display_shows_the_instruction_in_the_patients_language(station):
    station.speaker.voice = Said()
    station.start_drill(patient(station, "es")["id"], "quiet-stance", {"duration_s": 5})
    for _ in range(100):
        station.run_virtual(max_s=0.1, until_trial_ends=False)
        if shown := station.live_state()["instruction"]:
            break
    assert shown == {**shown, "language": "es", "codes": ["eyes-open", "firm-surface"]}
    assert shown["text"].startswith("Mantenga los ojos abiertos")


def test_stop_cuts_what_is_being_said_then_says_stop(station):
    voice = Said()
    station.speaker.voice = voice
    station.start_drill(patient(station, "es")["id"], "quiet-stance", {"duration_s": 30})
    station.run_virtual(max_s=8, until_trial_ends=False)
    station.stop_drill()
    station.run_virtual(max_s=1)
    assert voice.phrases[-2:] == [("<interrupt>", ""), ("Deténgase. Bájese con cuidado.", "es")]


def test_a_sensor_fault_cuts_the_words_and_tells_the_patient_to_stay_put(station):
    voice = Said()
    station.speaker.voice = voice
    trial_id = station.start_drill(
        patient(station, "es")["id"], "quiet-stance", {"duration_s": 30}
    )["trial_id"]
    station.run_virtual(max_s=8, until_trial_ends=False)
    station.hardware.emulated["loadcells"][0].unplug()
    station.run_virtual(max_s=2, until_trial_ends=False)
    station.storage.flush()
    assert station.results.get_trial(trial_id)["state"] == "aborted"
    assert voice.phrases[-2:] == [
        ("<interrupt>", ""),
        ("Deténgase. Quédese donde está y sujétese si lo necesita.", "es"),
    ]


class BlockedEngine(EspeakRenderer):
    """An engine that hangs until released, noting the thread that called it."""

    def __init__(self):
        super().__init__()
        object.__setattr__(self, "release", threading.Event())
        object.__setattr__(self, "threads", [])

    def render(self, text, language, path):
        self.threads.append(threading.current_thread().name)
        self.release.wait(30)
        super().render(text, language, path)


def test_speaking_never_holds_the_control_loop_up(station, tmp_path):
    engine = BlockedEngine()
    player = FileSink()
    voice = Voice(engine, player, tmp_path, clock=station.clock.now)
    station.speaker.voice = voice
    try:
        trial_id = station.start_drill(
            patient(station, "en")["id"], "quiet-stance", {"duration_s": 5}
        )["trial_id"]
        loop_thread = threading.current_thread().name  # run_virtual ticks on this thread
        station.run_virtual(max_s=60)  # the whole drill while the engine hangs
        station.storage.flush()
        assert station.results.get_trial(trial_id)["result"]["state"] == "completed"
        assert station.loop.late_ticks == 0
        assert engine.threads == ["voice"] and loop_thread != "voice"
        # the engine comes back: the six phrases asked seconds ago are skipped as late, the
        # "Well done." asked as the drill ended (no time has passed since) is said
        engine.release.set()
        wait_until(lambda: voice.skipped + len(player.played) == 7)
        assert voice.skipped == 6 and [p[0] for p in player.played] == ["Well done."]
    finally:
        voice.close()


def wait_until(condition, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("volume_pct", 150, "[speech] volume_pct = 150 is above the maximum 100"),
        ("rate_wpm", 20, "[speech] rate_wpm = 20 is below the minimum 80"),
        ("enabled", "yes", "[speech] enabled must be of type bool"),
    ],
)
def test_a_speech_setting_out_of_range_is_refused_naming_it(option, value, words):
    with pytest.raises(ConfigError) as caught:
        parse_config({"speech": {option: value}})
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("volume_pct", -1, "[speech] volume_pct = -1 is below the minimum 0"),
        ("volume_pct", 101, "[speech] volume_pct = 101 is above the maximum 100"),
        ("cache_dir", "  ", "[speech] cache_dir is empty"),
        ("cache_dir", 3, "[speech] cache_dir must be of type str"),
        ("voice", "en-gb", "unknown option [speech] voice"),
    ],
)
def test_more_speech_settings_are_checked_naming_them(option, value, words):
    with pytest.raises(ConfigError) as caught:
        parse_config({"speech": {option: value}})
    assert words in str(caught.value)


def test_the_speech_settings_default_to_clear_speech_cached_beside_the_database():
    speech = parse_config({}).speech
    assert (speech.enabled, speech.volume_pct, speech.rate_wpm) == (True, 80, 140)
    assert speech.cache_dir is None  # speech/ beside the database
    assert parse_config({"speech": {"volume_pct": 0}}).speech.volume_pct == 0
    assert parse_config({"speech": {"cache_dir": "~/words"}}).speech.cache_dir == (
        Path.home() / "words"
    )


def test_each_cue_has_its_words_in_each_language_and_silent_cues_have_none():
    for language in ("en", "es"):
        assert phrase(Light("front", True), language) is None
        assert phrase(Status("green"), language) is None
        assert phrase(Tone("metronome"), language) is None
        assert phrase(Tone("countdown"), language, countdown_left_s=5) is None
        assert phrase(Tone("countdown"), language) is None
    assert [phrase(Tone("countdown"), "es", n) for n in (3, 2, 1)] == ["Tres", "Dos", "Uno"]
    assert [phrase(Tone("countdown"), "en", n) for n in (3, 2, 1)] == ["Three", "Two", "One"]
    assert phrase(Tone("start"), "es") == "Comience."
    assert phrase(Tone("success"), "en") == "Well done."
    # a warning's words only when it ends the drill: weight bearing over its limit warns
    # each second, and a failed attempt that is repeated warns, without "stop"
    assert phrase(Tone("warning"), "es") is None
    assert phrase(Tone("warning"), "es", stopping=True).startswith("Deténgase. Quédese")
    assert phrase(Instruct("eyes-closed"), "es") == "Cierre los ojos."
    assert phrase(Instruct("eyes-closed"), "en") == INSTRUCTIONS["eyes-closed"]
    spoken_tones = {p for p in TONES if phrase(Tone(p), "en", 3, stopping=True) is not None}
    assert spoken_tones == {"countdown", "start", "success", "stop", "warning"}


def test_every_phrase_is_translated_and_listed_for_prerendering():
    english, spanish = phrases("en"), phrases("es")
    assert len(english) == len(spanish) == len(INSTRUCTIONS) + 3 + 4  # + counts + tone words
    untranslated = [
        text for text, translated in zip(english, spanish, strict=True) if text == translated
    ]
    assert untranslated == []
    for code in INSTRUCTIONS:
        for language in ("en", "es"):
            assert (phrase(Instruct(code), language), language) in all_phrases()


def test_without_a_speech_engine_the_drill_completes_with_its_tones(station, tmp_path, caplog):
    voice = Voice(
        EspeakRenderer(executable="espeak-ng-not-installed"),
        FileSink(),
        tmp_path,
        clock=station.clock.now,
    )
    station.speaker.voice = voice
    try:
        trial_id = station.start_drill(
            patient(station, "es")["id"], "quiet-stance", {"duration_s": 5}
        )["trial_id"]
        station.run_virtual(max_s=60)
        station.storage.flush()
        trial = station.results.get_trial(trial_id)
        assert trial["result"]["state"] == "completed"
        tones = [c["cue"] for c in trial["cues"] if c["cue"].startswith("tone:")]
        assert tones[-2:] == ["tone:start", "tone:success"] and "tone:countdown" in tones
        wait_until(lambda: voice.errors + voice.skipped == 7)  # each phrase: failed or late
        assert voice.errors >= 1 and voice.spoken == 0
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "apt-get install espeak-ng" in errors[0]
        assert "apt-get install espeak-ng" in station.status()["speech"]["last_error"]
    finally:
        voice.close()


def test_the_voice_is_built_and_closed_with_the_hardware(tmp_path):
    config = parse_config({"sim": {"step_on_at_s": 1e6}, "imu": {"enabled": False}})
    hardware = build_hardware(config, MonotonicClock(), speech_cache=tmp_path)
    voice = hardware.voice
    assert voice.status()["state"] == "ready" and voice.cache_dir == tmp_path
    hardware.close()
    assert voice.status()["state"] == "closed"
    assert not [t for t in threading.enumerate() if t.name == "voice" and t.is_alive()]
    # under a virtual clock (minutes in seconds) or without a cache: phrases only logged
    hardware = build_hardware(config, VirtualClock(), speech_cache=tmp_path)
    assert hardware.voice.status()["state"] == "log-only"
    hardware.close()
    off = parse_config({"speech": {"enabled": False}, "imu": {"enabled": False}})
    hardware = build_hardware(off, MonotonicClock(), speech_cache=tmp_path)
    assert hardware.voice.status()["state"] == "log-only"
    hardware.close()
