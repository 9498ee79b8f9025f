"""The virtual patient: a simulated person who follows the station's cues as a patient would.

The station passes on what the therapist says (``instruct``, a code of the drills' instruction list)
and, once per control-loop tick, lets the patient look at the direction LEDs (``update``). Each
reaction comes after a reaction time drawn from the person's profile; an instruction takes a little
longer to carry out (INSTRUCTION_EXTRA_S): closing the eyes is quick, and getting onto or off the
foam pad or the balance disc is modelled as an immediate change of condition 1.5 s later, after
which the sway settles by itself. The LED protocol, which drill authors follow too:

- a direction LED lit (two adjacent ones: the diagonal between them): lean that way, toward the
  person's own limit of stability, at their lean speed;
- the centre LED lighting while a direction is lit: the target is reached, stop there and hold
  (a quicker reaction: HOLD_REACTION_FRACTION of one, the stop being expected);
- no direction LED lit: come back to the habitual posture;
- a change of the lit directions is a new cue with a new reaction time, and replaces a reaction
  to the lights not yet carried out; the centre LED going off alone changes nothing;
- a side lit straight after the opposite one (a rhythmic shift from side to side) is a brisk
  shift there at the full lean speed, planned as far as the patient has learnt the centre LED
  asks since the lights were last all off: SEEK_REACH of the way to the limit at first,
  SHIFT_MARGIN beyond where the centre lit on that side last, SHIFT_STEP of the way further
  after a shift that ended short of it, at most SHIFT_MOST of the way; once such cues have come
  RHYTHM_BEATS times at a steady interval (alternating sides, the intervals within
  RHYTHM_TOLERANCE of each other), the patient keeps time with them rather than reacting to
  each: the next shift is planned for the next beat, give or take the spread of their reaction
  times, and may start before its light (sensorimotor synchronisation, docs/clinical.md).

After "keep the board level" or "stand upright" (CORRECTING_INSTRUCTIONS) the lights mean the
opposite, as those drills tell the patient: a lit direction shows where the board or the trunk is
tipping, so the patient shifts the other way by CORRECTION_MM, again after every reaction time
while the light stays on, and holds the corrected posture once it goes off. After "find the
targets" (``find-targets``) the lights guide the patient to a target: the first lit direction
after all were off starts a deliberate lean that way, SEEK_REACH of the way to their limit at
SEEK_PACE of the lean speed (they expect the middle light before long); the centre LED says
hold; while a direction stays lit after a move has ended, or when the lit side changes on the
way (the target passed, or drifting off it), the patient nudges: the held posture shifts by
SEEK_STEP_MM toward the lit side, again each reaction time. Any other instruction restores the
leaning protocol. After "offload" (``offload``, partial weight bearing) a lit side asks for
nudges that way, one each reaction time while it stays lit, and the posture is held once it
goes off. Told a stance (feet together, semi-tandem, tandem: ``Person.place_feet``; on one
leg), the patient takes it; after "get back into the position" (``return-to-position``, as BESS
asks) a stance lost is taken again a reaction time and RETAKE_S later, until "both feet". Told
to step forward (``step-forward-left``/``-right``), the patient initiates gait after a reaction
time: the anticipatory COP shift back and toward the swing leg, the swing foot unloading, the
swing, and off the platform; "step back on" brings them back.

Everything perceived and done is kept in ``log`` with its time.
"""

import heapq
from collections import deque

import numpy as np

from hw.cues import CuePins
from hw.sim.person import Person

SURFACE_ACTIONS = ("firm-surface", "foam-surface", "disc-surface")
"""Instructions that move the patient onto a surface: the plate itself, the foam pad, the disc."""
INSTRUCTION_EXTRA_S = {
    "eyes-open": 0.2,
    "eyes-closed": 0.2,
    "firm-surface": 1.5,  # stepping off the foam pad, modelled as an immediate change
    "foam-surface": 1.5,  # stepping onto it, likewise
    "disc-surface": 1.5,  # stepping onto the balance disc, likewise
    "feet-together": 0.5,  # then placing the foot takes hw.sim.person.PLACE_FEET_S
    "semi-tandem": 0.5,
    "tandem": 0.5,
    "stand-on-left": 0.3,
    "stand-on-right": 0.3,
    "both-feet": 0.0,
    "return-to-position": 0.0,
    "step-forward-left": 0.0,  # the reaction time is the gait-initiation response time
    "step-forward-right": 0.0,
    "step-back-on": 1.0,
    "hold-level": 0.0,
    "stand-upright": 0.0,
    "find-targets": 0.0,
    "offload": 0.0,
}
"""Time to carry out each instruction the patient understands, s, after the reaction time."""

LEAN_DIRECTIONS = {
    "front": (0.0, 1.0),
    "back": (0.0, -1.0),
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
}
"""(ML, AP) unit vector of each direction LED."""

NARROW_STANCES = {"feet-together": "together", "semi-tandem": "semi-tandem", "tandem": "tandem"}
"""Instruction code -> the narrow stance the person takes (``Person.place_feet``)."""

HOLD_REACTION_FRACTION = 0.5  # stopping at an expected target takes half a reaction time
MIN_REACTION_S = 0.1  # shortest reaction time drawn, s
LOG_ENTRIES = 1000  # newest entries kept in the log
CORRECTING_INSTRUCTIONS = ("hold-level", "stand-upright")
CORRECTION_MM = 4.0  # how far the patient shifts the held posture per correction, mm
BACK_ON_S = 4.0  # after a fall, helped back onto the platform this long after the light asks
SEEKING_INSTRUCTION = "find-targets"
OFFLOADING_INSTRUCTION = "offload"
SEEK_PACE = 0.6  # a lean toward a target the lights will stop is slower than one to the limit
SEEK_REACH = 0.5  # ... and aims halfway to the limit, where targets usually are
SEEK_STEP_MM = 8.0  # how far a nudge toward a target shifts the held posture, mm
GAIT_SWING_S = 0.35  # gait initiation: the swing foot off, the body over the stance foot, s
GAIT_FORWARD_MM = 60.0  # ... the COP moving forward under the stance foot as it goes, mm
RETAKING_INSTRUCTION = "return-to-position"
RETAKE_S = 1.0  # getting back into a stance after losing it, beyond the reaction time, s
RHYTHM_BEATS = 3  # side-to-side cues at a steady interval before the patient keeps time
RHYTHM_TOLERANCE = 0.1  # ... steady: the two intervals between them within 10% of each other
SHIFT_MARGIN = 0.2  # a shift aims this share beyond where the centre LED lit on its side last
SHIFT_STEP = 0.1  # ... and this share of the reach further after one that ended short of it
SHIFT_MOST = 0.8  # ... but never further than this share: a rhythmic shift is no lean to the limit


class VirtualPatient:
    """Drives ``person`` from the cues: the direction LEDs of ``pins`` read through
    ``pin_factory`` and the instructions passed to ``instruct``; reaction times come from a
    generator seeded with ``seed`` (the person's seed will do: the streams differ). With a
    ``trunk`` (``hw.sim.trunk.TrunkMount``: the IMU on the trunk), "stand upright" corrections
    straighten the trunk instead of shifting the body's lean."""

    def __init__(self, person: Person, pin_factory, pins: CuePins, *, seed: int, trunk=None):
        self.person = person
        self._trunk = trunk
        self._factory = pin_factory
        self._pins = dict(pins.direction_leds)
        self._status_pins = pins.status_rgb
        self._seen_pins: tuple | None = None  # (direction, pin) and status pins, looked up once
        # a stream of its own: the person's model may be seeded with the same number
        self._rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
        self._seen: tuple[frozenset, bool] = (frozenset(), False)  # directions lit, centre lit
        self._due: list[tuple[float, int, str, str]] = []  # heap: (time, order, source, action)
        self._order = 0
        # {"t_s", "kind": "saw" | "heard" | "did", "what", "due_s"}, oldest first
        self.log: deque[dict] = deque(maxlen=LOG_ENTRIES)
        self._last_heard: str | None = None
        self._last_done: tuple[float, str] | None = None
        self._correcting = False  # the lights show a tilt to correct, not a way to lean
        self._upright = False  # ... of the trunk (stand upright), not of the board
        self._seeking = False  # the lights guide to a target: nudges after the first lean
        self._offloading = False  # a lit side asks for nudges that way until it goes off
        self._retaking = False  # a stance lost is taken again (BESS), until told both feet
        self._stance_code: str | None = None  # the latest stance instruction heard
        self._retakes = 0  # plans to retake a stance made: only the latest counts
        # (time, side) of the latest cues to lean or shift, while no light went off between
        self._beats: deque[tuple[float, str]] = deque(maxlen=RHYTHM_BEATS)
        self._kept: tuple[float, str] | None = None  # the latest shift made in time: (t, action)
        self._shift_share: dict[str, float] = {}  # side -> how far a shift there aims (of reach)
        self._lit_there = False  # the centre LED lit since the latest beat

    def _reaction_s(self) -> float:
        mean_s, std_s = self.person.profile.reaction_time_s
        return max(MIN_REACTION_S, mean_s + std_s * float(self._rng.standard_normal()))

    def _schedule(self, t_s: float, source: str, action: str) -> None:
        heapq.heappush(self._due, (t_s, self._order, source, action))
        self._order += 1

    def instruct(self, code: str, t_s: float) -> None:
        """Hear instruction ``code`` (a key of INSTRUCTION_EXTRA_S) at ``t_s``; it is carried out
        after a reaction time and the instruction's own time."""
        if code not in INSTRUCTION_EXTRA_S:
            raise ValueError(
                f"the virtual patient does not know the instruction {code!r}; "
                f"known: {', '.join(INSTRUCTION_EXTRA_S)}"
            )
        self._correcting = code in CORRECTING_INSTRUCTIONS
        self._upright = code == "stand-upright"
        self._seeking = code == SEEKING_INSTRUCTION
        self._offloading = code == OFFLOADING_INSTRUCTION
        if code == RETAKING_INSTRUCTION or code == "both-feet":
            self._retaking = code == RETAKING_INSTRUCTION
        if code in NARROW_STANCES or code.startswith("stand-on-"):
            self._stance_code = code
        due_s = t_s + self._reaction_s() + INSTRUCTION_EXTRA_S[code]
        self._schedule(due_s, "instruction", code)
        self._last_heard = code
        self.log.append({"t_s": t_s, "kind": "heard", "what": code, "due_s": due_s})

    def update(self, t_s: float) -> None:
        """Once per control-loop tick: carry out what is due by ``t_s``, then look at the
        lights: after a fall, a blue status light brings the patient back on (helped, after
        ``BACK_ON_S``); the direction LEDs say where to lean."""
        self._act_until(t_s)
        if self._fallen_and_asked_back(t_s):
            self._schedule(t_s + BACK_ON_S, "lights", "step-on")
            self.log.append({"t_s": t_s, "kind": "saw", "what": "blue", "due_s": None})
        directions, _ = self._cue_pins()
        lit = frozenset(n for n, pin in directions if pin.state > 0.5)
        seen = (lit - {"centre"}, "centre" in lit)
        if seen != self._seen:
            self._perceive(t_s, seen)
        elif seen[0] and not any(s == "lights" for *_, s, _ in self._due):
            if self._correcting:
                self._schedule(t_s + self._reaction_s(), "lights", _correction(seen[0]))
            elif (self._offloading or (self._seeking and not seen[1])) and self._move_ended(t_s):
                self._schedule(t_s + self._reaction_s(), "lights", _nudge(seen[0]))

    def _cue_pins(self) -> tuple:
        """((direction, pin), ...) and the status light's (red, green, blue) pins: looked up
        in the factory at the first tick (the cue board has claimed them by then), then kept,
        as the factory's look-up costs more than the rest of a tick's looking."""
        if self._seen_pins is None:
            pin = self._factory.pin
            self._seen_pins = (
                tuple((n, pin(spec)) for n, spec in self._pins.items()),
                tuple(pin(spec) for spec in self._status_pins),
            )
        return self._seen_pins

    def _fallen_and_asked_back(self, t_s: float) -> bool:
        """Off the platform after a loss of balance while the status light shows blue (step on
        and stand still), with no step-on planned yet."""
        if self.person.on_platform(t_s) or any(a == "step-on" for *_, a in self._due):
            return False
        red, green, blue = (pin.state for pin in self._cue_pins()[1])
        if not (blue > 0.5 and red < 0.5 and green < 0.5):
            return False
        return self.person.status()["lost_balance_at_s"] is not None

    def _perceive(self, t_s: float, seen: tuple[frozenset, bool]) -> None:
        seen_before, self._seen = self._seen, seen
        what = _lights(seen)
        reaction = self._seeking_reaction(seen, seen_before)
        if reaction is None:
            reaction = self._leaning_reaction(seen, seen_before)
        if reaction is None:
            self.log.append({"t_s": t_s, "kind": "saw", "what": what, "due_s": None})
            return
        action, delay_s = reaction
        timed_s = self._timed(t_s, action)
        # a new cue: any reaction to the lights not yet carried out is dropped, and a shift
        # planned in time with the beats unless the cue is that shift's or says hold
        dropped = ("lights",) if timed_s is not None or action == "hold" else ("lights", "rhythm")
        self._due = [item for item in self._due if item[2] not in dropped]
        heapq.heapify(self._due)
        self._count_beat(t_s, seen, seen_before)
        if timed_s is None:
            timed_s = t_s + delay_s
            self._schedule(timed_s, "lights", action)
        self.log.append({"t_s": t_s, "kind": "saw", "what": what, "due_s": timed_s})

    def _seeking_reaction(self, seen, seen_before) -> tuple[str, float] | None:
        """What a patient told to find targets does about a change of the lights: None when
        not seeking (or nothing changed)."""
        if not self._seeking or seen == seen_before:
            return None
        (directions, centre), (before, centre_before) = seen, seen_before
        if centre:
            return "hold", HOLD_REACTION_FRACTION * self._reaction_s()
        if not directions:
            return "come-back", self._reaction_s()
        if before or centre_before:  # on the way: the target passed, or drifted off it
            return _nudge(directions), self._reaction_s()
        return "seek:" + "+".join(sorted(directions)), self._reaction_s()

    def _timed(self, t_s: float, action: str) -> float | None:
        """When the shift the cue ``action`` seen at ``t_s`` asks for is or was due, if the
        patient planned it in time with the earlier beats (pending, or made within half a
        beat); None when they react to the cue."""
        for due_s, _, source, planned in self._due:
            if source == "rhythm" and planned == action:
                return due_s
        if self._kept is None or len(self._beats) < 2:
            return None
        made_s, made = self._kept
        half_beat_s = (self._beats[-1][0] - self._beats[-2][0]) / 2
        return made_s if made == action and t_s - made_s < half_beat_s else None

    def _count_beat(self, t_s: float, seen, seen_before) -> None:
        """Count a change of the lights seen at ``t_s`` under the leaning protocol: a new side
        lit is a beat of a rhythmic shift (lights off, or another protocol, end the rhythm and
        what was learnt of it), the centre LED lit says how far a shift to its side must go.
        Once RHYTHM_BEATS came at a steady interval, alternating sides, the next beat's shift is
        planned for the next beat, give or take the spread of the patient's reaction times."""
        (directions, centre), (before, _) = seen, seen_before
        if not directions or self._correcting or self._offloading or self._seeking:
            self._beats.clear()
            self._shift_share.clear()  # what one drill's lights asked says nothing of the next's
            return
        side = "+".join(sorted(directions))
        if centre:  # there: a shift to this side aims a little beyond it next time
            self._learn_there(t_s, side)
        if directions == before:
            return
        if self._beats and not self._lit_there and self._move_ended(t_s):
            # the last shift ended short of the centre LED (not cut short by this beat)
            last = self._beats[-1][1]
            share = self._shift_share.get(last, SEEK_REACH)
            self._shift_share[last] = min(SHIFT_MOST, share + SHIFT_STEP)
        self._lit_there = centre
        self._beats.append((t_s, side))
        if len(self._beats) < RHYTHM_BEATS:
            return
        (t0, side0), (t1, side1), (t2, side2) = self._beats
        if side0 == side2 != side1 and abs((t2 - t1) - (t1 - t0)) <= RHYTHM_TOLERANCE * (t2 - t1):
            spread_s = self.person.profile.reaction_time_s[1]
            due_s = t2 + (t2 - t1) + spread_s * float(self._rng.standard_normal())
            self._schedule(max(due_s, t_s), "rhythm", f"shift:{side1}")

    def _learn_there(self, t_s: float, side: str) -> None:
        """The centre LED lit at ``t_s`` on the way to ``side``: a shift there aims
        SHIFT_MARGIN beyond the share of the reach the posture had got to."""
        ml, ap = _direction(side)
        reach_ml, reach_ap = self.person.reach_mm(ml, ap)
        posture_ml, posture_ap = self.person.posture_mm(t_s)
        share = (posture_ml * reach_ml + posture_ap * reach_ap) / (reach_ml**2 + reach_ap**2)
        self._shift_share[side] = min(SHIFT_MOST, max(share, 0.0) * (1 + SHIFT_MARGIN))
        self._lit_there = True

    def _move_ended(self, t_s: float) -> bool:
        """Whether the held posture has arrived where the latest lean was going."""
        status = self.person.status()
        target = (status["lean_target_ml_mm"], status["lean_target_ap_mm"])
        posture = self.person.posture_mm(t_s)
        return abs(posture[0] - target[0]) + abs(posture[1] - target[1]) < 0.5

    def _leaning_reaction(self, seen, seen_before) -> tuple[str, float] | None:
        """What the lights ask under the leaning (or correcting) protocol; None when only the
        centre LED went off (that changes nothing)."""
        (directions, centre), (before, centre_before) = seen, seen_before
        if directions == before and not (centre and not centre_before and directions):
            return None
        if self._correcting:
            return (_correction(directions) if directions else "hold"), self._reaction_s()
        if self._offloading:
            return (_nudge(directions) if directions else "hold"), self._reaction_s()
        if not directions:
            return "come-back", self._reaction_s()
        if centre:
            return "hold", HOLD_REACTION_FRACTION * self._reaction_s()
        if before and not before & directions:  # straight from one side to the other
            return "shift:" + "+".join(sorted(directions)), self._reaction_s()
        return "lean:" + "+".join(sorted(directions)), self._reaction_s()

    def _act_until(self, t_s: float) -> None:
        while self._due and self._due[0][0] <= t_s:
            due_s, _, source, action = heapq.heappop(self._due)
            self._act(due_s, action)
            if source == "rhythm":
                self._kept = (due_s, action)
            self._last_done = (due_s, action)
            self.log.append({"t_s": due_s, "kind": "did", "what": action, "due_s": None})

    def _act(self, t_s: float, action: str) -> None:
        """Carry out ``action`` (an instruction code or a reaction to the lights) at ``t_s``."""
        person = self.person
        verb, _, lit = action.partition(":")
        if verb in ("lean", "seek", "nudge", "shift"):
            ml, ap = _direction(lit)
            if verb == "nudge":
                scale = SEEK_STEP_MM / (ml * ml + ap * ap) ** 0.5
                now_ml, now_ap = person.posture_mm(t_s)
                person.lean_to(t_s, now_ml + ml * scale, now_ap + ap * scale, SEEK_PACE)
            elif (ml, ap) == (0, 0):
                person.lean_to(t_s, 0.0, 0.0)
            elif verb in ("seek", "shift"):
                reach = person.reach_mm(ml, ap)
                share = SEEK_REACH if verb == "seek" else self._shift_share.get(lit, SEEK_REACH)
                person.lean_to(t_s, *(share * r for r in reach), SEEK_PACE if verb == "seek" else 1)
            else:
                person.lean_to(t_s, *person.reach_mm(ml, ap))
        elif verb == "correct" and self._trunk is not None and self._upright:
            ml, ap = _direction(lit)
            self._trunk.correct(t_s, -ml, -ap)
        elif verb == "correct":
            ml, ap = _direction(lit)
            scale = CORRECTION_MM / (ml * ml + ap * ap) ** 0.5
            status = person.status()
            person.lean_to(
                t_s,
                status["lean_target_ml_mm"] - ml * scale,
                status["lean_target_ap_mm"] - ap * scale,
            )
        elif action == "hold":
            person.hold(t_s)
        elif action in (
            "come-back",
            "hold-level",
            "stand-upright",
            SEEKING_INSTRUCTION,
            OFFLOADING_INSTRUCTION,
        ):
            person.lean_to(t_s, 0.0, 0.0)
        elif action in ("eyes-open", "eyes-closed", *SURFACE_ACTIONS):
            eyes_closed, surface = person.condition(t_s)
            if action.startswith("eyes"):
                eyes_closed = action == "eyes-closed"
            else:
                surface = action.removesuffix("-surface")
            person.set_condition(t_s, eyes_closed, surface)
            if self._retaking and self._stance_code:  # the stance now lasts another time
                self._plan_retake(self._stance_code)
        elif verb == "retake":  # a stance lost is taken again, while still asked for
            code, _, token = lit.partition("#")
            if self._retaking and self._stance_code == code and int(token) == self._retakes:
                lost_s = person.status()["touch_down_at_s"]
                if lost_s is not None and lost_s > t_s:  # not lost yet (a new condition
                    self._plan_retake(code)  # drew a new hold): look again then
                else:  # lost, or back on after a fall
                    self._take_stance(t_s, code)
        elif action in NARROW_STANCES or action.startswith("stand-on-"):
            self._take_stance(t_s, action)
        elif action == RETAKING_INSTRUCTION:
            pass  # heard: a stance lost from now on is taken again
        elif action.startswith("step-forward-"):
            self._initiate_gait(t_s, action.removeprefix("step-forward-"))
        elif verb == "gait-unload":  # the swing foot unloads: the COP under the stance foot
            *_, unload_s = person.profile.gait(lit)
            person.shift_cop(t_s, self._stance_foot_mm(lit), 0.0, unload_s)
            self._schedule(t_s + unload_s + GAIT_SWING_S, "gait", f"gait-off:{lit}")
        elif verb == "gait-off":  # the body over the stance foot and forward, off the platform
            person.shift_cop(t_s, self._stance_foot_mm(lit), GAIT_FORWARD_MM, GAIT_SWING_S)
            person.step_off(t_s, from_one_foot=True)
        elif action == "step-back-on":
            person.step_on(t_s)
        elif action == "both-feet":
            person.both_feet(t_s)
        elif action == "step-on":  # back on after a fall, with the therapist's help
            person.step_on(t_s)
            if self._retaking and self._stance_code:  # ... and into the stance again
                self._retakes += 1
                due_s = t_s + person.profile.step_on_s + self._reaction_s() + RETAKE_S
                self._schedule(due_s, "retake", f"retake:{self._stance_code}#{self._retakes}")

    def _initiate_gait(self, t_s: float, swing: str) -> None:
        """Step forward off the platform leading with ``swing``: the anticipatory adjustment
        (the COP back and toward the swing leg), then the swing foot unloads (the COP under the
        stance foot), then, after the swing, the stance foot leaves (Person.profile.gait)."""
        back_mm, side_mm, apa_s, _ = self.person.profile.gait(swing)
        toward = 1.0 if swing == "right" else -1.0
        self.person.shift_cop(t_s, toward * side_mm, -back_mm, apa_s)
        self._schedule(t_s + apa_s, "gait", f"gait-unload:{swing}")

    def _stance_foot_mm(self, swing: str) -> float:
        """ML of the stance foot's centre from the habitual COP when ``swing`` steps, mm."""
        p = self.person.profile
        stance = -1.0 if swing == "right" else 1.0
        return stance * p.foot_spacing_mm / 2 - p.neutral_ml_mm

    def _take_stance(self, t_s: float, code: str) -> None:
        """Take the stance of instruction ``code`` (a narrow one, or on one leg); told to get
        back into it when lost, plan to, a reaction time and RETAKE_S after it is lost."""
        if code in NARROW_STANCES:
            self.person.place_feet(t_s, NARROW_STANCES[code])
        else:
            self.person.stand_on(t_s, code.removeprefix("stand-on-"))
        if self._retaking:
            self._plan_retake(code)

    def _plan_retake(self, code: str) -> None:
        """Plan to take stance ``code`` again a reaction time and RETAKE_S after the person
        loses it; a plan made later replaces this one."""
        lost_s = self.person.status()["touch_down_at_s"]
        if lost_s is None:
            return
        self._retakes += 1
        due_s = lost_s + self._reaction_s() + RETAKE_S
        self._schedule(due_s, "retake", f"retake:{code}#{self._retakes}")

    def status(self) -> dict:
        """Plain-dict state: the lights last seen, what is pending and the last thing heard
        and done."""
        done_at_s, done = self._last_done or (None, None)
        return {
            "lights_seen": _lights(self._seen),
            "pending": len(self._due),
            "next_due_s": self._due[0][0] if self._due else None,
            "last_heard": self._last_heard,
            "last_done": done,
            "last_done_at_s": done_at_s,
        }


def _direction(lit: str) -> tuple[float, float]:
    """(ML, AP) of the lit directions 'front+right' (the sum of their unit vectors)."""
    vectors = [LEAN_DIRECTIONS[d] for d in lit.split("+")]
    return sum(v[0] for v in vectors), sum(v[1] for v in vectors)


def _correction(directions: frozenset) -> str:
    """The action that shifts away from the lit ``directions``."""
    return "correct:" + "+".join(sorted(directions))


def _nudge(directions: frozenset) -> str:
    """The action that shifts toward the lit ``directions`` on the way to a target."""
    return "nudge:" + "+".join(sorted(directions))


def _lights(seen: tuple[frozenset, bool]) -> str:
    """The lit LEDs as 'front+right', 'centre', 'none'."""
    directions, centre = seen
    return "+".join(sorted(directions | ({"centre"} if centre else set()))) or "none"
