"""The home exercises a therapist can prescribe: twenty common balance and leg-strength
exercises after the Otago Exercise Programme (Campbell 1997; Robertson & Campbell 2003) and the
NHS patient leaflets built on it, each with what to do in a few plain words, the usual dose,
the levels of support to progress through and its safety note (docs/clinical.md, "Home
exercise program").

Support progresses the Otago way: two hands on something that cannot move, then one, then a
fingertip, then none; balance holds start at about 10 s; strength starts at one set of 5-10.
The drawing of each is ``webpanel/static/exercises/<key>.svg``, made for the project. The
words are English marked for the catalog (``N_``): the panel shows them in the page's language
(``webpanel/home_program.py``), the handout in the patient's.
"""

from dataclasses import dataclass

from sensing.words import N_

UNITS = {
    "reps": ("times", 1, 30),
    "hold_s": ("seconds", 5, 120),
    "steps": ("steps", 5, 50),
    "laps": ("laps", 1, 20),
}
"""How an exercise is dosed: unit key -> (word on the handout, smallest, largest amount)."""

SUPPORT_LEVELS = (
    N_("Hold on with both hands"),
    N_("Hold on with one hand"),
    N_("Touch with one fingertip"),
    N_("No hands: the counter within reach"),
)
"""The Otago support progression, level 1 to 4, for exercises done at a counter."""

GENERAL_SAFETY = N_(
    "Exercise next to a kitchen counter or a heavy table that cannot move, never a chair on "
    "wheels or a walker that can roll. Wear flat shoes with a good grip. Stop and sit down if "
    "you feel dizzy, short of breath or pain in your chest, and call the clinic. Some muscle "
    "soreness the next day is normal; sharp pain in a joint is not: stop that exercise."
)
"""The stop rules printed on every handout (Otago; NHS patient leaflets)."""


@dataclass(frozen=True)
class Exercise:
    """One home exercise: its ``name``, ``how`` to do it (one or two short sentences for the
    patient), the ``unit`` it is dosed in (a key of UNITS), the usual ``dose`` (sets, amount,
    times a day, days a week), the ``levels`` to progress through, easiest first, and a
    ``safety`` note of its own."""

    name: str
    how: str
    unit: str
    dose: tuple[int, int, int, int]
    levels: tuple[str, ...]
    safety: str


EXERCISES: dict[str, Exercise] = {
    "side-hip-raise": Exercise(
        N_("Side leg raises"),
        N_(
            "Stand tall beside the counter. Lift one leg out to the side, toes forward, hold 3 "
            "seconds, lower slowly. Then the other leg."
        ),
        "reps",
        (1, 10, 1, 3),
        (N_("Hold on with both hands"), N_("Hold on with one hand"), N_("Add a 1 kg ankle weight")),
        N_("Keep your body upright: do not lean away from the leg."),
    ),
    "heel-raises": Exercise(
        N_("Heel raises"),
        N_(
            "Stand facing the counter, feet apart. Rise up onto your toes, hold 2 seconds, lower "
            "slowly."
        ),
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        N_("Lower your heels slowly; stop if your calf cramps."),
    ),
    "toe-raises": Exercise(
        N_("Toe raises"),
        N_(
            "Stand facing the counter. Lift your toes and the front of your feet, staying on your "
            "heels, then lower them."
        ),
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        N_("Keep your hips over your feet so you do not fall backward."),
    ),
    "mini-squats": Exercise(
        N_("Knee bends"),
        N_(
            "Stand facing the counter, feet apart. Bend your knees a little, hips back as if to "
            "sit, then straighten up."
        ),
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        N_("Bend only as far as is comfortable; knees stay over your toes."),
    ),
    "sit-to-stand": Exercise(
        N_("Sit to stand"),
        N_(
            "Sit near the front of a firm chair with arms, feet back. Lean forward and stand up, "
            "then sit down slowly."
        ),
        "reps",
        (1, 10, 1, 3),
        (
            N_("Push up with both hands"),
            N_("Push up with one hand"),
            N_("Arms crossed over your chest"),
            N_("Arms crossed, from a lower chair"),
        ),
        N_("Use a chair that cannot slide, its back against a wall."),
    ),
    "feet-together": Exercise(
        N_("Feet together stand"),
        N_("Stand facing the counter with your feet side by side, touching. Stand tall and hold."),
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        N_("Have the counter right in front of you; hold on again as soon as you sway."),
    ),
    "semi-tandem-stance": Exercise(
        N_("Half-step stand"),
        N_(
            "At the counter, put the heel of one foot beside the big toe of the other. Hold, then "
            "swap feet."
        ),
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        N_("Have the counter right in front of you; hold on again as soon as you sway."),
    ),
    "tandem-stance": Exercise(
        N_("Heel-to-toe stand"),
        N_(
            "At the counter, put one foot right in front of the other, heel touching toes. Hold, "
            "then swap feet."
        ),
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        N_("Have the counter right in front of you; hold on again as soon as you sway."),
    ),
    "single-leg-stance": Exercise(
        N_("Stand on one leg"),
        N_("At the counter, lift one foot a little off the floor and hold. Then the other leg."),
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        N_("Put the foot down at once if you start to fall; never lift the foot high."),
    ),
    "tandem-walk": Exercise(
        N_("Heel-to-toe walking"),
        N_(
            "Walk along the counter putting each heel right in front of the other foot's toes. "
            "Turn around and walk back."
        ),
        "steps",
        (2, 10, 1, 3),
        (
            N_("One hand on the counter"),
            N_("Touch with one fingertip"),
            N_("No hands: counter beside you"),
        ),
        N_("Look ahead, not at your feet; keep the counter on one side."),
    ),
    "backward-walking": Exercise(
        N_("Walking backward"),
        N_("Walk backward along the counter, one hand on it, then walk forward back to the start."),
        "laps",
        (1, 4, 1, 3),
        (
            N_("One hand on the counter"),
            N_("Touch with one fingertip"),
            N_("No hands: counter beside you"),
        ),
        N_("Check behind you first: nothing on the floor, no pets about."),
    ),
    "sideways-walking": Exercise(
        N_("Walking sideways"),
        N_(
            "Face the counter and take big steps sideways along it, feet pointing forward. Come "
            "back the other way."
        ),
        "steps",
        (2, 10, 1, 3),
        (
            N_("Both hands on the counter"),
            N_("One hand on the counter"),
            N_("No hands: counter in front"),
        ),
        N_("Do not cross your feet."),
    ),
    "figure-eight-walk": Exercise(
        N_("Walk a figure of eight"),
        N_(
            "Put two chairs about two metres apart and walk a figure of eight around them at "
            "your normal pace."
        ),
        "laps",
        (1, 3, 1, 3),
        (N_("With your walking aid"), N_("Slowly, without your aid"), N_("At your normal pace")),
        N_("Walk it without your aid only once your therapist agrees."),
    ),
    "stair-walking": Exercise(
        N_("Stairs"),
        N_(
            "Walk up and down the stairs at home, holding the rail. Step up with the stronger leg, "
            "down with the weaker one."
        ),
        "laps",
        (1, 5, 1, 3),
        (N_("Up and down one step"), N_("Up and down three steps"), N_("A whole flight")),
        N_("Always hold the rail; no carrying things on the stairs."),
    ),
    "weight-shift-side": Exercise(
        N_("Side-to-side sway"),
        N_(
            "Stand facing the counter, feet apart. Slowly move your weight over one foot, then the "
            "other, without lifting your feet."
        ),
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        N_("Move slowly and only as far as you can come back."),
    ),
    "weight-shift-forward": Exercise(
        N_("Forward and back sway"),
        N_(
            "Stand facing the counter. Lean forward from your ankles, body straight, then back "
            "to the middle. Do not lift your heels."
        ),
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        N_("Move slowly and only as far as you can come back."),
    ),
    "marching": Exercise(
        N_("Marching on the spot"),
        N_(
            "Stand beside the counter and march on the spot, lifting your knees as high as is "
            "comfortable."
        ),
        "reps",
        (1, 20, 1, 3),
        SUPPORT_LEVELS,
        N_("Stand tall; slow down if you get out of breath."),
    ),
    "foam-stance": Exercise(
        N_("Standing on a cushion"),
        N_(
            "Put a firm cushion on the floor in front of the counter. Stand on it, feet apart, "
            "and hold."
        ),
        "hold_s",
        (1, 20, 2, 3),
        SUPPORT_LEVELS,
        N_("Use a firm cushion that does not slide; step off it at the counter, not away from it."),
    ),
    "head-turns": Exercise(
        N_("Head turns"),
        N_(
            "Stand tall, feet apart, at the counter. Turn your head slowly to look right, "
            "then left."
        ),
        "reps",
        (1, 5, 1, 3),
        (N_("Sitting down"), N_("Standing, holding the counter"), N_("Standing, no hands")),
        N_("Stop and hold the counter if the room spins; tell your therapist."),
    ),
    "eyes-closed-stance": Exercise(
        N_("Stand with eyes closed"),
        N_("Stand in a corner with a chair in front of you, feet apart. Close your eyes and hold."),
        "hold_s",
        (1, 10, 2, 3),
        (N_("Feet apart"), N_("Feet closer together"), N_("Feet together")),
        N_("Open your eyes and hold the chair as soon as you sway."),
    ),
}
"""Every exercise the station offers, by key; adding one here (and its drawing) is all it
takes to offer it."""
