"""Plain-language explanation of every metric key, for the therapist's panel and reports.

``METRIC_DOCS[key] = (label, unit, meaning)``: a short label, the unit as shown to people, and
one sentence a therapist can read without a biomechanics background. "Centre of pressure" (COP)
is the point under the feet where the body's weight acts; it moves as the patient sways.
"""


def _spectral_docs(axis: str, words: str) -> dict[str, tuple[str, str, str]]:
    """The five spectral keys of one axis (``ap`` front-back or ``ml`` side-to-side)."""
    return {
        f"frequency_mean_{axis}_hz": (
            f"Mean {words} frequency",
            "Hz",
            f"Average rhythm of the {words} sway, weighted by how much sway each rhythm carries.",
        ),
        f"frequency_f50_{axis}_hz": (
            f"Median {words} frequency",
            "Hz",
            f"Half of the {words} sway happens at rhythms slower than this.",
        ),
        f"frequency_f95_{axis}_hz": (
            f"95% {words} frequency",
            "Hz",
            f"95% of the {words} sway happens at rhythms slower than this; fast tremor raises it.",
        ),
        f"frequency_centroid_{axis}_hz": (
            f"Centroid {words} frequency",
            "Hz",
            f"Typical rhythm of the {words} sway, giving more weight to fast rhythms.",
        ),
        f"frequency_dispersion_{axis}": (
            f"Spread of {words} rhythms",
            "",
            f"0 when the {words} sway has one steady rhythm, towards 1 when it mixes many.",
        ),
    }


SWAY_DOCS = {
    "n_samples": ("Samples", "", "Number of centre-of-pressure readings that were scored."),
    "duration_s": ("Recorded time", "s", "Length of the scored recording."),
    "distance_mean_cm": (
        "Mean distance from centre",
        "cm",
        "Average distance of the centre of pressure from its mean position; smaller is steadier.",
    ),
    "distance_mean_ap_cm": (
        "Mean front-back distance",
        "cm",
        "Average front-back distance of the centre of pressure from its mean position.",
    ),
    "distance_mean_ml_cm": (
        "Mean side-to-side distance",
        "cm",
        "Average left-right distance of the centre of pressure from its mean position.",
    ),
    "rms_cm": (
        "Overall sway (RMS)",
        "cm",
        "Typical displacement in any direction (root mean square of both directions together).",
    ),
    "rms_ap_cm": ("Front-back sway (RMS)", "cm", "Typical front-back displacement."),
    "rms_ml_cm": ("Side-to-side sway (RMS)", "cm", "Typical left-right displacement."),
    "range_cm": (
        "Overall range",
        "cm",
        "Largest distance between any two positions of the centre of pressure in the trial.",
    ),
    "range_ap_cm": ("Front-back range", "cm", "Largest front-back excursion."),
    "range_ml_cm": ("Side-to-side range", "cm", "Largest left-right excursion."),
    "path_length_cm": (
        "Sway path length",
        "cm",
        "Total distance the centre of pressure travelled; more path means more corrections.",
    ),
    "path_length_ap_cm": (
        "Front-back path length",
        "cm",
        "Total front-back distance travelled by the centre of pressure.",
    ),
    "path_length_ml_cm": (
        "Side-to-side path length",
        "cm",
        "Total left-right distance travelled by the centre of pressure.",
    ),
    "velocity_mean_cm_s": (
        "Mean sway speed",
        "cm/s",
        "How fast the centre of pressure moves on average (path length over time).",
    ),
    "velocity_mean_ap_cm_s": (
        "Front-back sway speed",
        "cm/s",
        "Average front-back speed of the centre of pressure.",
    ),
    "velocity_mean_ml_cm_s": (
        "Side-to-side sway speed",
        "cm/s",
        "Average left-right speed of the centre of pressure.",
    ),
    "area_sway_cm2_s": (
        "Sway area per second",
        "cm²/s",
        "Area swept by the line from the mean position to the centre of pressure, per second "
        "(Prieto 1996); combines how far and how fast the patient sways.",
    ),
    "area_ellipse95_cm2": (
        "Sway area (95% ellipse)",
        "cm²",
        "Area of the oval that holds 95% of the sway positions; smaller is steadier. Which of "
        "the three ellipse formulas it uses is named with the result.",
    ),
    "area_ellipse95_prediction_cm2": (
        "Sway area, prediction ellipse",
        "cm²",
        "95% oval by Duarte's prediction formula, the one of the published normal values.",
    ),
    "area_ellipse95_confidence_cm2": (
        "Sway area, confidence ellipse",
        "cm²",
        "95% oval by the formula of Prieto et al. (1996); slightly smaller for short trials.",
    ),
    "area_ellipse95_chi2_cm2": (
        "Sway area, chi-square ellipse",
        "cm²",
        "95% oval by the chi-square formula, used by some commercial platforms.",
    ),
    "frequency_mean_hz": (
        "Mean sway frequency",
        "Hz",
        "Average rhythm of the sway, both directions together, weighted by how much each "
        "direction sways (as published with the public data set).",
    ),
    "frequency_mean_prieto_hz": (
        "Sway turns per second",
        "Hz",
        "How many times per second the centre of pressure would circle its mean distance to "
        "cover its path (Prieto 1996); higher means quicker, smaller corrections.",
    ),
}

SPECTRAL_DOCS = _spectral_docs("ap", "front-back") | _spectral_docs("ml", "side-to-side")

WEIGHT_BEARING_DOCS = {
    "load_left_pct": ("Load on the left", "%", "Share of the load on the platform's left half."),
    "load_right_pct": ("Load on the right", "%", "Share of the load on the platform's right half."),
    "load_front_pct": ("Load at the front", "%", "Share of the load on the front half (toes)."),
    "load_back_pct": ("Load at the back", "%", "Share of the load on the back half (heels)."),
    "symmetry_index_lr_pct": (
        "Left-right symmetry index",
        "%",
        "0 when both sides carry the same; positive when the right carries more, negative when "
        "the left does (difference over the average of both sides).",
    ),
    "load_left_bw_pct": ("Left load", "% body weight", "Load on the left as % of body weight."),
    "load_right_bw_pct": ("Right load", "% body weight", "Load on the right as % of body weight."),
    "load_total_bw_pct": (
        "Load on the platform",
        "% body weight",
        "Below 100% when crutches, a cane or a rail take part of the weight.",
    ),
    "in_zone_fraction": ("Time in target", "fraction", "Share of the time spent in the target."),
    "in_zone_s": ("Time in target", "s", "Total time spent in the target."),
    "longest_in_zone_s": (
        "Longest stay in target",
        "s",
        "Longest time the patient stayed in the target without leaving it.",
    ),
    "over_limit_fraction": (
        "Time over the limit",
        "fraction",
        "Share of the time the chosen side carried more than the prescribed weight.",
    ),
    "over_limit_s": (
        "Time over the limit",
        "s",
        "Total time the chosen side carried more than the prescribed weight.",
    ),
    "longest_over_limit_s": (
        "Longest time over the limit",
        "s",
        "Longest single stretch above the prescribed weight.",
    ),
    "over_limit_episodes": (
        "Times over the limit",
        "",
        "How many separate times the load went above the prescribed weight.",
    ),
    "peak_load_bw_pct": (
        "Peak load",
        "% body weight",
        "Highest load the chosen side carried, as % of body weight.",
    ),
    "single_leg_start_s": (
        "Single-leg start",
        "s",
        "When the patient first stood on one leg, from the start of the recording.",
    ),
    "touch_down_s": (
        "Touch-down",
        "s",
        "When the lifted foot (or a hand) took weight again; empty if it never did.",
    ),
    "stance_time_s": (
        "Single-leg stance time",
        "s",
        "How long the patient stood on one leg before touching down.",
    ),
    "touched_down": ("Touched down", "", "Whether the lifted foot touched down before the end."),
}

LOS_DOCS = {
    "moved": ("Moved", "", "Whether the patient leaned at least a quarter of the way to target."),
    "movement_onset_s": (
        "Movement start",
        "s",
        "When the lean toward the target began, from the start of the recording.",
    ),
    "endpoint_s": (
        "First lean ends",
        "s",
        "When the first lean toward the target stopped, from the start of the recording.",
    ),
    "reaction_time_s": (
        "Reaction time",
        "s",
        "Time from the go signal to the start of the body's lean toward the target (its centre "
        "of gravity, not the first shift under the feet); a start sooner than 0.1 s is an "
        "anticipation and is not counted.",
    ),
    "movement_velocity_deg_s": (
        "Movement speed",
        "°/s",
        "Average speed of the body's lean toward the target, in degrees of lean per second.",
    ),
    "endpoint_excursion_pct": (
        "First-lean reach",
        "% of limit",
        "How far the first lean went, as % of the theoretical limit of stability that way "
        "(8° forward and sideways, 4.5° back).",
    ),
    "max_excursion_pct": (
        "Maximum reach",
        "% of limit",
        "Farthest lean that way at any time in the direction, as % of the theoretical limit.",
    ),
    "anticipated": (
        "Anticipated",
        "",
        "The lean began before the go signal or within 0.1 s of it: a guess, not a reaction.",
    ),
    "repeated": ("Cued again", "", "An anticipated direction, cued again at the end."),
    "anticipations": ("Anticipations", "", "Leans that began before or just after the signal."),
    "target_ml_deg": ("Target, side to side", "°", "Where the target was, in degrees of lean."),
    "target_ap_deg": ("Target, front-back", "°", "Where the target was, in degrees of lean."),
    "limit_ml_deg": (
        "Limit, side to side",
        "°",
        "The theoretical limit of stability that way: the 100% of the reach.",
    ),
    "limit_ap_deg": (
        "Limit, front-back",
        "°",
        "The theoretical limit of stability that way: the 100% of the reach.",
    ),
    "cue_s": ("Go signal", "s", "When the light came on, from the start of the recording."),
    "reached_target": ("Target reached", "", "Whether the centre light came on."),
    "directional_control_pct": (
        "Directional control",
        "%",
        "How much of the movement went the cued way: 100% when all of it did; movement across "
        "or the wrong way lowers it.",
    ),
}

QUALITY_DOCS = {
    "effective_rate_hz": (
        "Reading rate",
        "per s",
        "New load-cell readings per second actually received.",
    ),
    "longest_stall_s": (
        "Longest sensor stall",
        "s",
        "Longest time without a new load-cell reading; the frames in between repeat old data.",
    ),
    "jitter_p99_ms": (
        "Timing wobble",
        "ms",
        "How far the recorded time between readings strays from the ideal (99th percentile); "
        "the station records on the sensors' own clock, so only a fault shows here.",
    ),
    "dropped_samples": (
        "Missing readings",
        "",
        "Load-cell conversions the station lost during the recording (readings missing from "
        "the timeline, for a recording that does not count them).",
    ),
    "dropped_pct": ("Missing readings", "%", "Share of the readings that went missing."),
    "full_scale_samples": (
        "Overloaded readings",
        "",
        "Readings where a load cell was at the end of its range (force unknown).",
    ),
    "non_finite_samples": ("Empty readings", "", "Readings without a force value."),
    "off_platform_samples": (
        "Off-platform readings",
        "",
        "Readings taken while nobody stood on the platform.",
    ),
    "corner_share_pct": (
        "Load per corner",
        "%",
        "Share of the load on each corner: front-left, front-right, back-left, back-right.",
    ),
    "corner_share_min_pct": (
        "Least-loaded corner",
        "%",
        "Share of the load on the corner carrying least; near 0 suggests a cell problem.",
    ),
    "load_drift_pct": (
        "Load drift",
        "%",
        "How much the total load crept up or down over the trial; a person's weight does not.",
    ),
    "start_load_change_pct": (
        "Load change at start",
        "%",
        "How much the total load varied in the first second.",
    ),
    "start_share_range_pct": (
        "Weight shift at start",
        "points",
        "Largest change of a corner's share of the load in the first second.",
    ),
    "settled_at_start": (
        "Settled at start",
        "",
        "Whether the patient stood still when the trial started.",
    ),
}

DRILL_DOCS = {
    "time_held_s": (
        "Time held",
        "s",
        "How long the patient kept the position, averaged over the condition's attempts.",
    ),
    "attempts": ("Attempts", "", "Trials needed for this condition (at most 3)."),
    "fell": ("Fell", "", "Every attempt at this condition failed: no sway score."),
    "romberg_ratio": (
        "Vision ratio (Romberg)",
        "",
        "Sway speed with eyes closed over eyes open, on firm ground: how much steadier sight "
        "makes the patient (1 = not at all).",
    ),
    "foam_ratio": (
        "Foam ratio",
        "",
        "Sway speed on foam over firm ground, eyes open: how much the patient relies on "
        "feeling the ground.",
    ),
    "vestibular_ratio": (
        "Foam, eyes closed ratio",
        "",
        "Sway speed on foam with eyes closed over firm ground with eyes open: left with the "
        "balance organs of the inner ear.",
    ),
    "passed": ("Passed", "", "Whether the condition was held for the whole trial."),
    "conditions_passed": ("Conditions passed", "of 4", "mCTSIB conditions held to the end."),
    "total_time_held_s": (
        "Total time held",
        "s",
        "Time held summed over the four conditions (120 s at best with 30 s trials).",
    ),
    "composite_velocity_cm_s": (
        "Mean sway speed, all conditions",
        "cm/s",
        "Sway speed averaged over the four conditions; lower is steadier.",
    ),
    "best_stance_time_s": (
        "Best single-leg time",
        "s",
        "Longest time on one leg of the trials, until the other foot touched down.",
    ),
    "max_reached": ("Reached the maximum", "", "Whether a trial lasted the full maximum time."),
    "exceedances": ("Times warned", "", "How often the load went over the prescribed limit."),
    "over_limit_s": ("Time over the limit", "s", "Time the operated leg carried too much."),
    "over_limit_pct": ("Time over the limit", "%", "Share of the time over the limit."),
    "limit_bw_pct": ("Prescribed limit", "% body weight", "Most the operated leg may carry."),
    "body_weight_n": ("Body weight", "N", "The patient's weight as the platform measured it."),
    "recorded_s": ("Recorded time", "s", "Length of the scored part of the drill."),
    "hits": ("Targets hit", "", "Targets held for the whole dwell time."),
    "misses": ("Missed", "", "Targets not reached or not held in time."),
    "hit_rate_pct": ("Hit rate", "%", "Share of the targets hit."),
    "time_to_reach_mean_s": (
        "Time to reach a target",
        "s",
        "Average time from a target lighting to first reaching it.",
    ),
    "time_to_target_s": (
        "Time to target",
        "s",
        "Average time from a target lighting to first reaching it.",
    ),
    "time_to_hit_s": ("Time to hit", "s", "From the target lighting to the end of the dwell."),
    "overshoot_mm": (
        "Overshoot",
        "mm",
        "How far past the target's centre the patient leaned before settling on it.",
    ),
    "exits": ("Times off the target", "", "How often the patient left the target once on it."),
    "in_zone_s": ("Time on target", "s", "Time spent inside the target circle."),
    "lost_balance": ("Lost balance", "", "The patient stepped off the platform during it."),
    "losses_of_balance": (
        "Losses of balance",
        "",
        "Times the patient stepped off the platform during the drill (a step to catch oneself).",
    ),
    "on_axis_path_mm": ("Path along the cued direction", "mm", "Movement the cues asked for."),
    "off_axis_path_mm": (
        "Path across the cued direction",
        "mm",
        "Movement the cues did not ask for.",
    ),
    "on_axis_velocity_mm_s": ("Shift speed", "mm/s", "Average speed of the cued shifts."),
    "beats": ("Beats", "", "Metronome beats during the drill."),
    "beats_reached": ("Beats reached", "", "Beats on which the patient reached the side in time."),
    "rhythm_pct": ("In time", "%", "Share of the beats reached before the next one."),
    "lag_mean_s": ("Delay after the beat", "s", "Average time from a beat to reaching the side."),
    "directions_failed": (
        "Directions failed",
        "",
        "Directions ended by a step or loss of balance.",
    ),
    "directions_reached": ("Targets reached", "", "Directions whose target was reached."),
    "cog_height_cm": (
        "Centre-of-gravity height",
        "cm",
        "0.55 times the body height, for lean angles.",
    ),
    "time_in_band_s": ("Time in the band", "s", "Time the tilt stayed within the band."),
    "time_in_band_pct": ("Time in the band", "%", "Share of the time within the band."),
    "longest_in_band_s": (
        "Longest spell in the band",
        "s",
        "Longest unbroken time within the band.",
    ),
    "excursions": ("Times out of the band", "", "How often the tilt left the band."),
    "losses_of_level": ("Times out of level", "", "How often the board left the band."),
    "mean_excursion_s": ("Average time out", "s", "Average length of a spell outside the band."),
    "mean_tilt_deg": ("Average tilt", "°", "Average tilt away from level (or upright)."),
    "rms_tilt_deg": ("Typical tilt (RMS)", "°", "Root mean square of the tilt."),
    "max_tilt_deg": ("Largest tilt", "°", "The farthest the tilt went."),
    "missing_tilt_s": ("Time without IMU data", "s", "Time the IMU sent no reading (not scored)."),
    "mean_angular_speed_deg_s": ("Average tilting speed", "°/s", "How fast the tilt changed."),
    "mean_reaction_time_s": (
        "Average reaction time",
        "s",
        "From a light coming on to the start of the body's movement (its centre of gravity).",
    ),
    "accuracy_pct": ("Accuracy", "%", "Movements that went toward the lit direction."),
    "trials_done": ("Trials done", "", "Go signals given before the drill ended."),
    "correct": ("Right way", "", "Whether the movement went toward the lit direction."),
    "reached": ("Reached", "", "Whether the lean reached the distance in time."),
    "movement_time_s": ("Movement time", "s", "From the movement's start to the distance."),
    "targets_reached": ("Targets reached", "", "Trials in which the lean reached the distance."),
    "mean_movement_time_s": (
        "Average movement time",
        "s",
        "From the first movement to reaching the distance.",
    ),
}

METRIC_DOCS = SWAY_DOCS | SPECTRAL_DOCS | WEIGHT_BEARING_DOCS | LOS_DOCS | QUALITY_DOCS | DRILL_DOCS
