"""Plain-language explanation of every metric key, for the therapist's panel and reports.

``METRIC_DOCS[key] = (label, unit, meaning)``: a short label, the unit as shown to people, and
one sentence a therapist can read without a biomechanics background. "Centre of pressure" (COP)
is the point under the feet where the body's weight acts; it moves as the patient sways.
Labels and meanings are English marked with ``N_`` for the gettext catalog, each one whole so
a language orders its own words; ``drills.catalog.result_doc`` says them in a language.
"""

from sensing.words import N_

SWAY_DOCS = {
    "n_samples": (N_("Samples"), "", N_("Number of centre-of-pressure readings that were scored.")),
    "duration_s": (N_("Recorded time"), "s", N_("Length of the scored recording.")),
    "distance_mean_cm": (
        N_("Mean distance from centre"),
        "cm",
        N_(
            "Average distance of the centre of pressure from its mean position; smaller is "
            "steadier."
        ),
    ),
    "distance_mean_ap_cm": (
        N_("Mean front-back distance"),
        "cm",
        N_("Average front-back distance of the centre of pressure from its mean position."),
    ),
    "distance_mean_ml_cm": (
        N_("Mean side-to-side distance"),
        "cm",
        N_("Average left-right distance of the centre of pressure from its mean position."),
    ),
    "rms_cm": (
        N_("Overall sway (RMS)"),
        "cm",
        N_("Typical displacement in any direction (root mean square of both directions together)."),
    ),
    "rms_ap_cm": (N_("Front-back sway (RMS)"), "cm", N_("Typical front-back displacement.")),
    "rms_ml_cm": (N_("Side-to-side sway (RMS)"), "cm", N_("Typical left-right displacement.")),
    "range_cm": (
        N_("Overall range"),
        "cm",
        N_("Largest distance between any two positions of the centre of pressure in the trial."),
    ),
    "range_ap_cm": (N_("Front-back range"), "cm", N_("Largest front-back excursion.")),
    "range_ml_cm": (N_("Side-to-side range"), "cm", N_("Largest left-right excursion.")),
    "path_length_cm": (
        N_("Sway path length"),
        "cm",
        N_("Total distance the centre of pressure travelled; more path means more corrections."),
    ),
    "path_length_ap_cm": (
        N_("Front-back path length"),
        "cm",
        N_("Total front-back distance travelled by the centre of pressure."),
    ),
    "path_length_ml_cm": (
        N_("Side-to-side path length"),
        "cm",
        N_("Total left-right distance travelled by the centre of pressure."),
    ),
    "velocity_mean_cm_s": (
        N_("Mean sway speed"),
        "cm/s",
        N_("How fast the centre of pressure moves on average (path length over time)."),
    ),
    "velocity_mean_ap_cm_s": (
        N_("Front-back sway speed"),
        "cm/s",
        N_("Average front-back speed of the centre of pressure."),
    ),
    "velocity_mean_ml_cm_s": (
        N_("Side-to-side sway speed"),
        "cm/s",
        N_("Average left-right speed of the centre of pressure."),
    ),
    "area_sway_cm2_s": (
        N_("Sway area per second"),
        "cm²/s",
        N_(
            "Area swept by the line from the mean position to the centre of pressure, per second "
            "(Prieto 1996); combines how far and how fast the patient sways."
        ),
    ),
    "area_ellipse95_cm2": (
        N_("Sway area (ellipse, 95%)"),
        "cm²",
        N_(
            "Area of the oval that holds nearly all sway positions (95%); smaller is steadier. "
            "Which of the three ellipse formulas it uses is named with the result."
        ),
    ),
    "area_ellipse95_prediction_cm2": (
        N_("Sway area, prediction ellipse"),
        "cm²",
        N_("Oval holding 95%, by Duarte's prediction formula, the one of the published values."),
    ),
    "area_ellipse95_confidence_cm2": (
        N_("Sway area, confidence ellipse"),
        "cm²",
        N_("Oval holding 95%, by the formula of Prieto et al. (1996); smaller for short trials."),
    ),
    "area_ellipse95_chi2_cm2": (
        N_("Sway area, chi-square ellipse"),
        "cm²",
        N_("Oval holding 95%, by the chi-square formula, used by some commercial platforms."),
    ),
    "frequency_mean_hz": (
        N_("Mean sway frequency"),
        "Hz",
        N_(
            "Average rhythm of the sway, both directions together, weighted by how much each "
            "direction sways (as published with the public data set)."
        ),
    ),
    "frequency_mean_prieto_hz": (
        N_("Sway turns per second"),
        "Hz",
        N_(
            "How many times per second the centre of pressure would circle its mean distance to "
            "cover its path (Prieto 1996); higher means quicker, smaller corrections."
        ),
    ),
}

SPECTRAL_DOCS = {
    "frequency_mean_ap_hz": (
        N_("Mean front-back frequency"),
        "Hz",
        N_("Average rhythm of the front-back sway, weighted by how much sway each rhythm carries."),
    ),
    "frequency_f50_ap_hz": (
        N_("Median front-back frequency"),
        "Hz",
        N_("Half of the front-back sway happens at rhythms slower than this."),
    ),
    "frequency_f95_ap_hz": (
        N_("Front-back F95 frequency"),
        "Hz",
        N_(
            "Of the front-back sway, 95% happens at rhythms slower than this; fast tremor "
            "raises it."
        ),
    ),
    "frequency_centroid_ap_hz": (
        N_("Centroid front-back frequency"),
        "Hz",
        N_("Typical rhythm of the front-back sway, giving more weight to fast rhythms."),
    ),
    "frequency_dispersion_ap": (
        N_("Spread of front-back rhythms"),
        "",
        N_("0 when the front-back sway has one steady rhythm, towards 1 when it mixes many."),
    ),
    "frequency_mean_ml_hz": (
        N_("Mean side-to-side frequency"),
        "Hz",
        N_(
            "Average rhythm of the side-to-side sway, weighted by how much sway each rhythm "
            "carries."
        ),
    ),
    "frequency_f50_ml_hz": (
        N_("Median side-to-side frequency"),
        "Hz",
        N_("Half of the side-to-side sway happens at rhythms slower than this."),
    ),
    "frequency_f95_ml_hz": (
        N_("Side-to-side F95 frequency"),
        "Hz",
        N_(
            "Of the side-to-side sway, 95% happens at rhythms slower than this; fast tremor "
            "raises it."
        ),
    ),
    "frequency_centroid_ml_hz": (
        N_("Centroid side-to-side frequency"),
        "Hz",
        N_("Typical rhythm of the side-to-side sway, giving more weight to fast rhythms."),
    ),
    "frequency_dispersion_ml": (
        N_("Spread of side-to-side rhythms"),
        "",
        N_("0 when the side-to-side sway has one steady rhythm, towards 1 when it mixes many."),
    ),
}
"""The rhythm of the sway on each axis, every message whole so each language orders its words."""

WEIGHT_BEARING_DOCS = {
    "load_left_pct": (
        N_("Load on the left"),
        "%",
        N_("Share of the load on the platform's left half."),
    ),
    "load_right_pct": (
        N_("Load on the right"),
        "%",
        N_("Share of the load on the platform's right half."),
    ),
    "load_front_pct": (
        N_("Load at the front"),
        "%",
        N_("Share of the load on the front half (toes)."),
    ),
    "load_back_pct": (
        N_("Load at the back"),
        "%",
        N_("Share of the load on the back half (heels)."),
    ),
    "symmetry_index_lr_pct": (
        N_("Left-right symmetry index"),
        "%",
        N_(
            "0 when both sides carry the same; positive when the right carries more, negative when "
            "the left does (difference over the average of both sides)."
        ),
    ),
    "asymmetry_pct": (
        N_("Left-right asymmetry"),
        "%",
        N_(
            "How unevenly the two sides carry the load, whichever carries more: the size of the "
            "symmetry index, 0 when even, 200 when one side carries it all."
        ),
    ),
    "load_left_bw_pct": (
        N_("Left load"),
        "% body weight",
        N_("Load on the left as a percentage of body weight."),
    ),
    "load_right_bw_pct": (
        N_("Right load"),
        "% body weight",
        N_("Load on the right as a percentage of body weight."),
    ),
    "load_total_bw_pct": (
        N_("Load on the platform"),
        "% body weight",
        N_("Below 100% when crutches, a cane or a rail take part of the weight."),
    ),
    "in_zone_fraction": (
        N_("Time in target"),
        "fraction",
        N_("Share of the time spent in the target."),
    ),
    "in_zone_s": (N_("Time in target"), "s", N_("Total time spent in the target.")),
    "longest_in_zone_s": (
        N_("Longest stay in target"),
        "s",
        N_("Longest time the patient stayed in the target without leaving it."),
    ),
    "over_limit_fraction": (
        N_("Time over the limit"),
        "fraction",
        N_("Share of the time the chosen side carried more than the prescribed weight."),
    ),
    "over_limit_s": (
        N_("Time over the limit"),
        "s",
        N_("Total time the chosen side carried more than the prescribed weight."),
    ),
    "longest_over_limit_s": (
        N_("Longest time over the limit"),
        "s",
        N_("Longest single stretch above the prescribed weight."),
    ),
    "over_limit_episodes": (
        N_("Times over the limit"),
        "",
        N_("How many separate times the load went above the prescribed weight."),
    ),
    "peak_load_bw_pct": (
        N_("Peak load"),
        "% body weight",
        N_("Highest load the chosen side carried, as a percentage of body weight."),
    ),
    "single_leg_start_s": (
        N_("Single-leg start"),
        "s",
        N_("When the patient first stood on one leg, from the start of the recording."),
    ),
    "touch_down_s": (
        N_("Touch-down"),
        "s",
        N_("When the lifted foot (or a hand) took weight again; empty if it never did."),
    ),
    "stance_time_s": (
        N_("Single-leg stance time"),
        "s",
        N_("How long the patient stood on one leg before touching down."),
    ),
    "touched_down": (
        N_("Touched down"),
        "",
        N_("Whether the lifted foot touched down before the end."),
    ),
}

LOS_DOCS = {
    "moved": (
        N_("Moved"),
        "",
        N_("Whether the patient leaned at least a quarter of the way to target."),
    ),
    "movement_onset_s": (
        N_("Movement start"),
        "s",
        N_("When the lean toward the target began, from the start of the recording."),
    ),
    "endpoint_s": (
        N_("First lean ends"),
        "s",
        N_("When the first lean toward the target stopped, from the start of the recording."),
    ),
    "reaction_time_s": (
        N_("Reaction time"),
        "s",
        N_(
            "Time from the go signal to the start of the body's lean toward the target (its centre "
            "of gravity, not the first shift under the feet); a start sooner than 0.1 s is an "
            "anticipation and is not counted."
        ),
    ),
    "movement_velocity_deg_s": (
        N_("Movement speed"),
        "°/s",
        N_("Average speed of the body's lean toward the target, in degrees of lean per second."),
    ),
    "endpoint_excursion_pct": (
        N_("First-lean reach"),
        "% of limit",
        N_(
            "How far the first lean went, as a percentage of the theoretical limit of stability "
            "that way (8° forward and sideways, 4.5° back)."
        ),
    ),
    "max_excursion_pct": (
        N_("Maximum reach"),
        "% of limit",
        N_(
            "Farthest lean that way at any time in the direction, as a percentage of the "
            "theoretical limit."
        ),
    ),
    "anticipated": (
        N_("Anticipated"),
        "",
        N_("The lean began before the go signal or within 0.1 s of it: a guess, not a reaction."),
    ),
    "repeated": (N_("Cued again"), "", N_("An anticipated direction, cued again at the end.")),
    "anticipations": (
        N_("Anticipations"),
        "",
        N_("Leans that began before or just after the signal."),
    ),
    "target_ml_deg": (
        N_("Target, side to side"),
        "°",
        N_("Where the target was, in degrees of lean."),
    ),
    "target_ap_deg": (
        N_("Target, front-back"),
        "°",
        N_("Where the target was, in degrees of lean."),
    ),
    "limit_ml_deg": (
        N_("Limit, side to side"),
        "°",
        N_("The theoretical limit of stability that way: the reach's 100%."),
    ),
    "limit_ap_deg": (
        N_("Limit, front-back"),
        "°",
        N_("The theoretical limit of stability that way: the reach's 100%."),
    ),
    "cue_s": (N_("Go signal"), "s", N_("When the light came on, from the start of the recording.")),
    "reached_target": (N_("Target reached"), "", N_("Whether the centre light came on.")),
    "directional_control_pct": (
        N_("Directional control"),
        "%",
        N_(
            "How much of the movement went the cued way: 100% when all of it did; movement across "
            "or the wrong way lowers it."
        ),
    ),
}

QUALITY_DOCS = {
    "effective_rate_hz": (
        N_("Reading rate"),
        "per s",
        N_("New load-cell readings per second actually received."),
    ),
    "longest_stall_s": (
        N_("Longest sensor stall"),
        "s",
        N_("Longest time without a new load-cell reading; the frames in between repeat old data."),
    ),
    "jitter_p99_ms": (
        N_("Timing wobble"),
        "ms",
        N_(
            "How far the recorded time between readings strays from the ideal (99th percentile); "
            "the station records on the sensors' own clock, so only a fault shows here."
        ),
    ),
    "dropped_samples": (
        N_("Missing readings"),
        "",
        N_(
            "Load-cell conversions the station lost during the recording (readings missing from "
            "the timeline, for a recording that does not count them)."
        ),
    ),
    "dropped_pct": (N_("Missing readings"), "%", N_("Share of the readings that went missing.")),
    "full_scale_samples": (
        N_("Overloaded readings"),
        "",
        N_("Readings where a load cell was at the end of its range (force unknown)."),
    ),
    "non_finite_samples": (N_("Empty readings"), "", N_("Readings without a force value.")),
    "off_platform_samples": (
        N_("Off-platform readings"),
        "",
        N_("Readings taken while nobody stood on the platform."),
    ),
    "corner_share_pct": (
        N_("Load per corner"),
        "%",
        N_("Share of the load on each corner: front-left, front-right, back-left, back-right."),
    ),
    "corner_share_min_pct": (
        N_("Least-loaded corner"),
        "%",
        N_("Share of the load on the corner carrying least; near 0 suggests a cell problem."),
    ),
    "load_drift_pct": (
        N_("Load drift"),
        "%",
        N_("How much the total load crept up or down over the trial; a person's weight does not."),
    ),
    "start_load_change_pct": (
        N_("Load change at start"),
        "%",
        N_("How much the total load varied in the first second."),
    ),
    "start_share_range_pct": (
        N_("Weight shift at start"),
        "points",
        N_("Largest change of a corner's share of the load in the first second."),
    ),
    "settled_at_start": (
        N_("Settled at start"),
        "",
        N_("Whether the patient stood still when the trial started."),
    ),
}

DRILL_DOCS = {
    "time_held_s": (
        N_("Time held"),
        "s",
        N_("How long the patient kept the position, averaged over the condition's attempts."),
    ),
    "attempts": (N_("Attempts"), "", N_("Trials needed for this condition (at most 3).")),
    "fell": (N_("Fell"), "", N_("Every attempt at this condition failed: no sway score.")),
    "romberg_ratio": (
        N_("Vision ratio (Romberg)"),
        "",
        N_(
            "Sway speed with eyes closed over eyes open, on firm ground: how much steadier sight "
            "makes the patient (1 = not at all)."
        ),
    ),
    "foam_ratio": (
        N_("Foam ratio"),
        "",
        N_(
            "Sway speed on foam over firm ground, eyes open: how much the patient relies on "
            "feeling the ground."
        ),
    ),
    "vestibular_ratio": (
        N_("Foam, eyes closed ratio"),
        "",
        N_(
            "Sway speed on foam with eyes closed over firm ground with eyes open: left with the "
            "balance organs of the inner ear."
        ),
    ),
    "passed": (N_("Passed"), "", N_("Whether the condition was held for the whole trial.")),
    "conditions_passed": (
        N_("Conditions passed"),
        "of 4",
        N_("mCTSIB conditions held to the end."),
    ),
    "total_time_held_s": (
        N_("Total time held"),
        "s",
        N_("Time held summed over the four conditions (120 s at best with 30 s trials)."),
    ),
    "composite_velocity_cm_s": (
        N_("Mean sway speed, all conditions"),
        "cm/s",
        N_("Sway speed averaged over the four conditions; lower is steadier."),
    ),
    "best_stance_time_s": (
        N_("Best single-leg time"),
        "s",
        N_("Longest time on one leg of the trials, until the other foot touched down."),
    ),
    "max_reached": (
        N_("Reached the maximum"),
        "",
        N_("Whether a trial lasted the full maximum time."),
    ),
    "exceedances": (
        N_("Times warned"),
        "",
        N_("How often the load went over the prescribed limit."),
    ),
    "over_limit_s": (N_("Time over the limit"), "s", N_("Time the operated leg carried too much.")),
    "over_limit_pct": (N_("Time over the limit"), "%", N_("Share of the time over the limit.")),
    "limit_bw_pct": (
        N_("Prescribed limit"),
        "% body weight",
        N_("Most the operated leg may carry."),
    ),
    "body_weight_n": (
        N_("Body weight"),
        "N",
        N_("The patient's weight as the platform measured it."),
    ),
    "recorded_s": (N_("Recorded time"), "s", N_("Length of the scored part of the drill.")),
    "hits": (N_("Targets hit"), "", N_("Targets held for the whole dwell time.")),
    "misses": (N_("Missed"), "", N_("Targets not reached or not held in time.")),
    "hit_rate_pct": (N_("Hit rate"), "%", N_("Share of the targets hit.")),
    "time_to_reach_mean_s": (
        N_("Time to reach a target"),
        "s",
        N_("Average time from a target lighting to first reaching it."),
    ),
    "time_to_target_s": (
        N_("Time to target"),
        "s",
        N_("Average time from a target lighting to first reaching it."),
    ),
    "time_to_hit_s": (
        N_("Time to hit"),
        "s",
        N_("From the target lighting to the end of the dwell."),
    ),
    "overshoot_mm": (
        N_("Overshoot"),
        "mm",
        N_("How far past the target's centre the patient leaned before settling on it."),
    ),
    "exits": (
        N_("Times off the target"),
        "",
        N_("How often the patient left the target once on it."),
    ),
    "in_zone_s": (N_("Time on target"), "s", N_("Time spent inside the target circle.")),
    "lost_balance": (N_("Lost balance"), "", N_("The patient stepped off the platform during it.")),
    "losses_of_balance": (
        N_("Losses of balance"),
        "",
        N_(
            "Times the patient stepped off the platform during the drill (a step to catch oneself)."
        ),
    ),
    "on_axis_path_mm": (
        N_("Path along the cued direction"),
        "mm",
        N_("Movement the cues asked for."),
    ),
    "off_axis_path_mm": (
        N_("Path across the cued direction"),
        "mm",
        N_("Movement the cues did not ask for."),
    ),
    "on_axis_velocity_mm_s": (N_("Shift speed"), "mm/s", N_("Average speed of the cued shifts.")),
    "beats": (N_("Beats"), "", N_("Metronome beats during the drill.")),
    "beats_reached": (
        N_("Beats reached"),
        "",
        N_("Beats on which the patient shifted over to the lit side before the next beat."),
    ),
    "rhythm_pct": (N_("In time"), "%", N_("Share of the beats reached before the next one.")),
    "lag_mean_s": (
        N_("Delay after the beat"),
        "s",
        N_("Average time from a beat to reaching the side."),
    ),
    "directions_failed": (
        N_("Directions failed"),
        "",
        N_("Directions ended by a step or loss of balance."),
    ),
    "directions_reached": (N_("Targets reached"), "", N_("Directions whose target was reached.")),
    "cog_height_cm": (
        N_("Centre-of-gravity height"),
        "cm",
        N_("0.55 times the body height, for lean angles."),
    ),
    "time_in_band_s": (N_("Time in the band"), "s", N_("Time the tilt stayed within the band.")),
    "time_in_band_pct": (N_("Time in the band"), "%", N_("Share of the time within the band.")),
    "longest_in_band_s": (
        N_("Longest spell in the band"),
        "s",
        N_("Longest unbroken time within the band."),
    ),
    "excursions": (N_("Times out of the band"), "", N_("How often the tilt left the band.")),
    "losses_of_level": (N_("Times out of level"), "", N_("How often the board left the band.")),
    "mean_excursion_s": (
        N_("Average time out"),
        "s",
        N_("Average length of a spell outside the band."),
    ),
    "mean_tilt_deg": (N_("Average tilt"), "°", N_("Average tilt away from level (or upright).")),
    "rms_tilt_deg": (N_("Typical tilt (RMS)"), "°", N_("Root mean square of the tilt.")),
    "max_tilt_deg": (N_("Largest tilt"), "°", N_("The farthest the tilt went.")),
    "missing_tilt_s": (
        N_("Time without IMU data"),
        "s",
        N_("Time the IMU sent no reading (not scored)."),
    ),
    "mean_angular_speed_deg_s": (
        N_("Average tilting speed"),
        "°/s",
        N_("How fast the tilt changed."),
    ),
    "mean_reaction_time_s": (
        N_("Average reaction time"),
        "s",
        N_("From a light coming on to the start of the body's movement (its centre of gravity)."),
    ),
    "accuracy_pct": (N_("Accuracy"), "%", N_("Movements that went toward the lit direction.")),
    "trials_done": (N_("Trials done"), "", N_("Go signals given before the drill ended.")),
    "correct": (N_("Right way"), "", N_("Whether the movement went toward the lit direction.")),
    "reached": (N_("Reached"), "", N_("Whether the lean reached the distance in time.")),
    "movement_time_s": (N_("Movement time"), "s", N_("From the movement's start to the distance.")),
    "targets_reached": (
        N_("Targets reached"),
        "",
        N_("Trials in which the lean reached the distance."),
    ),
    "mean_movement_time_s": (
        N_("Average movement time"),
        "s",
        N_("From the first movement to reaching the distance."),
    ),
}

METRIC_DOCS = SWAY_DOCS | SPECTRAL_DOCS | WEIGHT_BEARING_DOCS | LOS_DOCS | QUALITY_DOCS | DRILL_DOCS
