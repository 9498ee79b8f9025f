"""The words the panel's page scripts show (``webpanel/static/*.js``), in the page's language.

Each message is English marked for the station's gettext catalog (``N_``; ``ngettext`` for one
with plural forms, ``pgettext`` for one whose English is ambiguous), keyed by a short stable
key. A page renders them for its language (``webpanel.language.page_language``) into
``<script type="application/json" id="messages">`` (templates/script_messages.html), and
``static/messages.js`` shows them: ``t(key, values)``.

Placeholders are written as the catalog's other messages are, ``%(name)s`` (a literal percent
sign ``%%``), so the catalog's checks cover them; the scripts get them as ``{name}``. A plural
message reaches the scripts as its form for each plural category of the page's language
(CLDR's ``one``, ``many``, ``other``: what the browser's ``Intl.PluralRules`` answers).
"""

import re

from babel import Locale
from flask import Flask
from flask_babel import get_locale, get_translations
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from station.i18n.catalog import N_, InContext, Plural, ngettext, pgettext

MESSAGES: dict[str, str | Plural | InContext] = {
    # panel.js: a request that failed
    "panel.no_answer": N_("the station did not answer"),
    "panel.answered": N_("the station answered %(status)s"),
    # health.js: the badge in the header
    "health.core_unreachable": N_("Core unreachable since %(time)s"),
    "health.ok": N_("Station OK"),
    "health.check": N_("Check station"),
    "health.core_restarted": N_("core restarted at %(time)s"),
    "health.unreachable": N_("Station unreachable"),
    # livefeed.js: the live picture's labels (the panel's and the patient display's)
    "livefeed.front": N_("FRONT"),
    "livefeed.left": N_("L"),
    "livefeed.right": N_("R"),
    # patients.js: the patient list (the same messages as patients.html)
    "patients.years": ngettext("%(num)d year", "%(num)d years"),
    "patients.affected_side": N_("affected side: %(side)s"),
    "patients.side_left": N_("left"),
    "patients.side_right": N_("right"),
    "patients.side_both": N_("both sides"),
    "patients.no_match": N_("No patient matches “%(query)s”."),
    "patients.none_yet": N_("No patients yet: add the first one below."),
    # visit.js
    "visit.whole_minutes": N_("Enter whole minutes."),
    # progress.js
    "progress.date": N_("Date"),
    "progress.not_good": N_("%(name)s (not scored as good)"),
    # trial.js: the trial's charts
    "trial.time": N_("Time"),
    "trial.ml": N_("Side to side (ML)"),
    "trial.ap": N_("Front-back (AP)"),
    "trial.time_axis": N_("Time (s)"),
    "trial.position_axis": N_("Position (cm)"),
    "trial.cop_path": N_("COP path"),
    "trial.ellipse": N_("%(pct)s ellipse"),
    "trial.ml_axis": N_("Side to side, ML (cm) — right →"),
    "trial.ap_axis": N_("Front-back, AP (cm) — front ↑"),
    "trial.prediction": N_("prediction"),
    "trial.ellipse_summary": N_(
        "%(pct)s ellipse (%(convention)s): %(area)s cm², half-axes %(major)s × %(minor)s cm, "  # noqa: RUF001
        "long axis at %(angle)s° from side to side."
    ),
    "trial.stabilogram": N_("Stabilogram"),
    "trial.statokinesigram": N_("Statokinesigram"),
    "trial.no_data": N_("No centre-of-pressure data was recorded in this trial."),
    "trial.charts_failed": N_("The charts could not be loaded (%(error)s): reload the page."),
    # live.js: starting a drill
    "live.enter_value": N_("Enter a value: %(range)s"),
    "live.enter_number": N_("Enter a number: %(range)s"),
    "live.enter_whole": N_("Enter a whole number: %(range)s"),
    "live.outside": N_("%(value)s is outside %(range)s"),
    # live.js: the live view
    "live.status_off": N_("off"),
    "live.status_blue": N_("blue: step on, stand still"),
    "live.status_amber": N_("amber: get ready"),
    "live.status_green": N_("green: recording"),
    "live.status_red": N_("red: over the limit"),
    "live.no_drill_empty": N_("No drill running · platform empty"),
    "live.no_drill_still": N_("No drill running · patient standing still"),
    "live.no_drill_on": N_("No drill running · someone on"),
    "live.other_patient": N_("Another patient's drill"),
    "live.program_step": N_("Program step %(step)s"),
    "live.condition": N_("Condition %(condition)s of %(total)s: %(eyes)s, %(surface)s"),
    "live.eyes_open": N_("eyes open"),
    "live.eyes_closed": N_("eyes closed"),
    "live.surface_firm": N_("firm surface"),
    "live.surface_foam": N_("foam surface"),
    "live.attempt": N_("attempt %(attempt)s of %(max)s"),
    "live.leg_trial": N_("Trial %(trial)s of %(trials)s: %(leg)s, %(eyes)s"),
    "live.leg_left": N_("left leg"),
    "live.leg_right": N_("right leg"),
    "live.gait_left": N_("Trial %(trial)s of %(trials)s: the left foot steps first"),
    "live.gait_right": N_("Trial %(trial)s of %(trials)s: the right foot steps first"),
    "live.stage": N_("Stage %(number)s of %(total)s: %(stance)s"),
    "live.stages_held": ngettext("%(count)d held", "%(count)d held"),
    "live.one_foot_left": N_("stage %(stage)s on the left leg"),
    "live.one_foot_right": N_("stage %(stage)s on the right leg"),
    "live.held": N_("held %(seconds)s s"),
    "live.errors": ngettext("%(count)d error", "%(count)d errors"),
    "live.out_of_position": N_("out of position"),
    "live.earlier_errors": N_("%(count)s in earlier conditions"),
    "live.best": N_("best %(seconds)s s"),
    "live.direction": N_("Direction %(direction)s, %(done)s of %(total)s done"),
    "live.target": N_("Target %(target)s of %(total)s: %(hits)s hit, %(misses)s missed"),
    "live.cue": N_("Cue %(trial)s of %(total)s"),
    "live.beat": N_("Beat %(beat)s of %(beats)s, %(reached)s reached, %(pace)s per minute"),
    "live.operated_left": ngettext(
        "Operated left leg: %(load)s of body weight (limit %(limit)s), over the limit %(count)d "
        "time",
        "Operated left leg: %(load)s of body weight (limit %(limit)s), over the limit %(count)d "
        "times",
    ),
    "live.operated_right": ngettext(
        "Operated right leg: %(load)s of body weight (limit %(limit)s), over the limit "
        "%(count)d time",
        "Operated right leg: %(load)s of body weight (limit %(limit)s), over the limit "
        "%(count)d times",
    ),
    "live.tilt": N_("Tilt %(degrees)s°"),
    "live.split_legs": N_("Load on each leg, %% of body weight"),
    "live.split_sides": N_("Load on the left / right side of the platform"),
    "live.left_share": N_("L %(pct)s"),
    "live.right_share": N_("R %(pct)s"),
    "live.limit_left": N_("Line: the left leg's limit, %(limit)s of body weight"),
    "live.limit_right": N_("Line: the right leg's limit, %(limit)s of body weight"),
    "live.core_down": N_(
        "The station's core is not answering since %(time)s: drills cannot start or be seen "
        "here until it is back (it restarts by itself). The stop button on the station always "
        "works."
    ),
    "live.tilt_forward": N_("forward %(degrees)s°"),
    "live.tilt_back": N_("back %(degrees)s°"),
    "live.tilt_left": N_("left %(degrees)s°"),
    "live.tilt_right": N_("right %(degrees)s°"),
    "live.no_imu": N_("no IMU reading"),
    "live.tell_patient": N_("Tell the patient: %(text)s"),
    "live.failed_attempt": N_("Failed attempt"),
    "live.drill_ended": N_("The drill has ended: open its result"),
    "live.stop_failed": N_(
        "Could not stop from the panel: %(error)s. Use the stop button on the station."
    ),
    "live.pain_not_saved": N_("Not saved: %(error)s"),
    "live.attempt_not_marked": N_("Could not mark the attempt: %(error)s"),
    # programs.js: the program editor
    "programs.drill": N_("Drill"),
    "programs.move_up": N_("Move this step up"),
    "programs.move_down": N_("Move this step down"),
    "programs.remove_step": N_("Remove this step"),
    "programs.step": N_("Step %(number)s"),
    "programs.step_drill": N_("Step %(number)s: %(drill)s"),
    "programs.after": N_("After"),
    "programs.when": N_("when the result"),
    "programs.is": N_("is"),
    "programs.above": N_("above"),
    "programs.below": N_("below"),
    "programs.this_value": N_("this value"),
    "programs.then": N_("then"),
    "programs.add": N_("add"),
    "programs.multiply": N_("multiply by"),
    "programs.amount": N_("amount"),
    "programs.to_setting": N_("to the setting"),
    "programs.metric_example": N_("e.g. %(metric)s"),
    "programs.remove_rule": N_("Remove this rule"),
    "programs.edit": N_("Edit “%(name)s”"),
    "programs.new": N_("New program"),
    # technician.js: diagnostics
    "tech.load_cells": N_("Load cells"),
    "tech.imu": N_("IMU"),
    "tech.cues": N_("Lights and buzzer"),
    "tech.stop_button": N_("Stop button"),
    "tech.rate_sps": N_("%(measured)s of %(rate)s samples/s"),
    "tech.rate_hz": N_("%(measured)s of %(rate)s Hz"),
    "tech.none": pgettext("no fault, error or drill", "none"),
    "tech.software": N_("Software"),
    "tech.hardware": N_("Hardware"),
    "tech.simulation": N_("simulation (emulated chips)"),
    "tech.cpu_temperature": N_("CPU temperature"),
    "tech.no_temperature": N_("not reported by this machine"),
    "tech.schema": N_("Database schema"),
    "tech.schema_current": N_("version %(version)s (current)"),
    "tech.schema_other": N_("version %(version)s (this software knows %(latest)s)"),
    "tech.config_file": N_("Config file"),
    "tech.no_config": N_("none (built-in defaults)"),
    "tech.running_drill": N_("Running drill"),
    "tech.held_by": N_("Platform held by"),
    "tech.nobody": N_("nobody (drills may start)"),
    "tech.python": N_("%(python)s on %(system)s"),
    "tech.rate": N_("Rate"),
    "tech.ticks": N_("Ticks"),
    "tech.late_ticks": N_("Late ticks"),
    "tech.resyncs": N_("Restarts of the schedule"),
    "tech.late_median": N_("Lateness, median"),
    "tech.late_p99": N_("Lateness, 99th percentile"),
    "tech.late_max": N_("Lateness, largest"),
    "tech.data_directory": N_("Data directory"),
    "tech.free_disk": N_("Free disk space"),
    "tech.disk_use": N_("%(free)s of %(total)s (%(used)s used)"),
    "tech.database": N_("Database"),
    "tech.database_size": N_("%(size)s + %(wal)s write-ahead log"),
    "tech.in_memory": N_("in memory (nothing kept)"),
    "tech.backups": N_("Backups"),
    "tech.backups_kept": N_("%(count)s (keeps %(keep)s); newest %(latest)s"),
    "tech.no_backups": N_("none yet (keeps %(keep)s)"),
    "tech.in_use": N_("In use"),
    "tech.largest_residual": N_("Largest residual"),
    "tech.of_largest_load": N_("%(pct)s of the largest load"),
    "tech.cop_correction": N_("COP correction"),
    "tech.cop_error": N_("yes (error %(error)s)"),
    "tech.no_cop": pgettext("no COP correction", "none"),
    "tech.paused": N_("Refreshing paused: touch the page to resume."),
    "tech.updated": N_("Updated %(time)s · every 3 s"),
    "tech.cannot_diagnose": N_("Cannot read the diagnostics: %(error)s"),
    # technician.js: the calibration wizard
    "cal.cannot_read": N_("Cannot read the wizard: %(error)s"),
    "cal.check_title": N_("Check the calibration"),
    "cal.title": N_("Calibration"),
    "cal.step": N_("Step %(number)s of %(total)s"),
    "cal.opened": N_("Opened by %(who)s at %(time)s"),
    "cal.saved_as": N_("saved as calibration #%(id)s"),
    "cal.then_measure": N_("%(instruction)s Then press %(button)s."),
    "cal.place_mass": N_("Place the mass (simulation)"),
    "cal.clear_platform": N_("Clear the platform (simulation)"),
    "cal.measured": N_("Measured %(step)s: %(result)s."),
    "cal.close": N_("Close"),
    "cal.close_unchecked": N_("Close without the check"),
    "cal.cancel": N_("Cancel the wizard"),
    "cal.corner_rose": N_("%(corner)s rose %(rise)s counts; the others %(others)s"),
    "cal.counts": N_("counts %(counts)s"),
    "cal.reads": N_("reads %(kg)s (%(newtons)s)"),
    "cal.conversions": N_("%(result)s (%(count)s+ conversions)"),
    "cal.now": N_("← now"),
    "cal.fit_failed": N_("%(error)s: cancel and calibrate again."),
    "cal.linear": N_("OK"),
    "cal.not_linear": N_("FAIL (limit %(limit)s)"),
    "cal.cop_fit": N_(
        "COP correction from %(positions)s positions: error %(before)s before, %(after)s after."
    ),
    "cal.save_anyway": N_("Save anyway as the active calibration"),
    "cal.save": N_("Save as the active calibration"),
    "cal.pass": N_("PASS"),
    "cal.fail": N_("FAIL"),
    "cal.check_reads": N_(
        "%(mass)s reads %(reads)s (%(newtons)s); the empty platform read %(empty)s."
    ),
    "cal.check_error": N_("Error %(newtons)s = %(pct)s = %(kg)s (tolerance ± %(tolerance)s)."),
    "cal.checked_with": N_("Checked with %(calibration)s."),
    "cal.check_advice": N_(
        "Check that nothing touches the plate and the mass is what it says; if the empty "
        "platform read far from 0 N the tare has drifted. Then calibrate again."
    ),
    "cal.active": N_("in use"),
    "cal.none_stored": N_("None stored: the station uses the config's or the factory values."),
    "cal.cannot_list": N_("Cannot list the calibrations: %(error)s"),
    "cal.drop": N_("Drop this calibration without saving it?"),
}
"""Key -> message, for every word a page script shows."""

PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]?\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
PLURAL_SAMPLES = (1, 0, 2, 3, 5, 7, 11, 21, 100, 101, 1000, 1000000)
"""Numbers tried until each plural category of a language has one."""


def for_scripts(text: str) -> str:
    """A translated message as the scripts read it: ``%(name)s`` -> ``{name}``, ``%%`` -> %."""
    return PLACEHOLDER.sub(r"{\1}", text).replace("%%", "%")


def plural_samples(language: str) -> dict[str, int]:
    """A number for each CLDR plural category of ``language`` ({"one": 1, "other": 0} ...)."""
    rule = Locale.parse(language).plural_form
    samples: dict[str, int] = {}
    for n in PLURAL_SAMPLES:
        samples.setdefault(rule(n), n)
    return samples


def script_messages() -> dict:
    """Every message in the page's language, keyed as ``MESSAGES``; a plural message as
    {category: form}."""
    translations = get_translations()
    samples = plural_samples(str(get_locale() or "en"))
    out: dict[str, str | dict] = {}
    for key, message in MESSAGES.items():
        if isinstance(message, Plural):
            out[key] = {
                category: for_scripts(translations.ngettext(*message, n))
                for category, n in samples.items()
            }
        elif isinstance(message, InContext):
            out[key] = for_scripts(translations.pgettext(*message))
        else:
            out[key] = for_scripts(translations.gettext(message))
    return out


def script_messages_json() -> Markup:
    """``script_messages()`` as JSON safe inside a ``<script>`` element."""
    return htmlsafe_json_dumps(script_messages())


def init_script_messages(app: Flask) -> None:
    """Let every template render the messages (templates/script_messages.html)."""
    app.jinja_env.globals["script_messages_json"] = script_messages_json
