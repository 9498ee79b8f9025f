"""The home exercises a therapist can prescribe: twenty common balance and leg-strength
exercises after the Otago Exercise Programme (Campbell 1997; Robertson & Campbell 2003) and the
NHS patient leaflets built on it, each with what to do in a few plain words, the usual dose,
the levels of support to progress through and its safety note (docs/clinical.md, "Home
exercise program").

Support progresses the Otago way: two hands on something that cannot move, then one, then a
fingertip, then none; balance holds start at about 10 s; strength starts at one set of 5-10.
The drawing of each is ``webpanel/static/exercises/<key>.svg``, made for the project.
"""

from dataclasses import dataclass

UNITS = {
    "reps": ("times", 1, 30),
    "hold_s": ("seconds", 5, 120),
    "steps": ("steps", 5, 50),
    "laps": ("laps", 1, 20),
}
"""How an exercise is dosed: unit key -> (word on the handout, smallest, largest amount)."""

SUPPORT_LEVELS = (
    "Hold on with both hands",
    "Hold on with one hand",
    "Touch with one fingertip",
    "No hands: the counter within reach",
)
"""The Otago support progression, level 1 to 4, for exercises done at a counter."""

GENERAL_SAFETY = (
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
        "Side leg raises",
        "Stand tall beside the counter. Lift one leg out to the side, toes forward, hold 3 "
        "seconds, lower slowly. Then the other leg.",
        "reps",
        (1, 10, 1, 3),
        ("Hold on with both hands", "Hold on with one hand", "Add a 1 kg ankle weight"),
        "Keep your body upright: do not lean away from the leg.",
    ),
    "heel-raises": Exercise(
        "Heel raises",
        "Stand facing the counter, feet apart. Rise up onto your toes, hold 2 seconds, lower "
        "slowly.",
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        "Lower your heels slowly; stop if your calf cramps.",
    ),
    "toe-raises": Exercise(
        "Toe raises",
        "Stand facing the counter. Lift your toes and the front of your feet, staying on your "
        "heels, then lower them.",
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        "Keep your hips over your feet so you do not fall backward.",
    ),
    "mini-squats": Exercise(
        "Knee bends",
        "Stand facing the counter, feet apart. Bend your knees a little, hips back as if to "
        "sit, then straighten up.",
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        "Bend only as far as is comfortable; knees stay over your toes.",
    ),
    "sit-to-stand": Exercise(
        "Sit to stand",
        "Sit near the front of a firm chair with arms, feet back. Lean forward and stand up, "
        "then sit down slowly.",
        "reps",
        (1, 10, 1, 3),
        (
            "Push up with both hands",
            "Push up with one hand",
            "Arms crossed over your chest",
            "Arms crossed, from a lower chair",
        ),
        "Use a chair that cannot slide, its back against a wall.",
    ),
    "feet-together": Exercise(
        "Feet together stand",
        "Stand facing the counter with your feet side by side, touching. Stand tall and hold.",
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        "Have the counter right in front of you; hold on again as soon as you sway.",
    ),
    "semi-tandem-stance": Exercise(
        "Half-step stand",
        "At the counter, put the heel of one foot beside the big toe of the other. Hold, then "
        "swap feet.",
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        "Have the counter right in front of you; hold on again as soon as you sway.",
    ),
    "tandem-stance": Exercise(
        "Heel-to-toe stand",
        "At the counter, put one foot right in front of the other, heel touching toes. Hold, "
        "then swap feet.",
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        "Have the counter right in front of you; hold on again as soon as you sway.",
    ),
    "single-leg-stance": Exercise(
        "Stand on one leg",
        "At the counter, lift one foot a little off the floor and hold. Then the other leg.",
        "hold_s",
        (1, 10, 2, 3),
        SUPPORT_LEVELS,
        "Put the foot down at once if you start to fall; never lift the foot high.",
    ),
    "tandem-walk": Exercise(
        "Heel-to-toe walking",
        "Walk along the counter putting each heel right in front of the other foot's toes. "
        "Turn around and walk back.",
        "steps",
        (2, 10, 1, 3),
        ("One hand on the counter", "Touch with one fingertip", "No hands: counter beside you"),
        "Look ahead, not at your feet; keep the counter on one side.",
    ),
    "backward-walking": Exercise(
        "Walking backward",
        "Walk backward along the counter, one hand on it, then walk forward back to the start.",
        "laps",
        (1, 4, 1, 3),
        ("One hand on the counter", "Touch with one fingertip", "No hands: counter beside you"),
        "Check behind you first: nothing on the floor, no pets about.",
    ),
    "sideways-walking": Exercise(
        "Walking sideways",
        "Face the counter and take big steps sideways along it, feet pointing forward. Come "
        "back the other way.",
        "steps",
        (2, 10, 1, 3),
        ("Both hands on the counter", "One hand on the counter", "No hands: counter in front"),
        "Do not cross your feet.",
    ),
    "figure-eight-walk": Exercise(
        "Walk a figure of eight",
        "Put two chairs about two metres apart and walk a figure of eight around them at "
        "your normal pace.",
        "laps",
        (1, 3, 1, 3),
        ("With your walking aid", "Slowly, without your aid", "At your normal pace"),
        "Walk it without your aid only once your therapist agrees.",
    ),
    "stair-walking": Exercise(
        "Stairs",
        "Walk up and down the stairs at home, holding the rail. Step up with the stronger leg, "
        "down with the weaker one.",
        "laps",
        (1, 5, 1, 3),
        ("Up and down one step", "Up and down three steps", "A whole flight"),
        "Always hold the rail; no carrying things on the stairs.",
    ),
    "weight-shift-side": Exercise(
        "Side-to-side sway",
        "Stand facing the counter, feet apart. Slowly move your weight over one foot, then the "
        "other, without lifting your feet.",
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        "Move slowly and only as far as you can come back.",
    ),
    "weight-shift-forward": Exercise(
        "Forward and back sway",
        "Stand facing the counter. Lean forward from your ankles, body straight, then back "
        "to the middle. Do not lift your heels.",
        "reps",
        (1, 10, 1, 3),
        SUPPORT_LEVELS,
        "Move slowly and only as far as you can come back.",
    ),
    "marching": Exercise(
        "Marching on the spot",
        "Stand beside the counter and march on the spot, lifting your knees as high as is "
        "comfortable.",
        "reps",
        (1, 20, 1, 3),
        SUPPORT_LEVELS,
        "Stand tall; slow down if you get out of breath.",
    ),
    "foam-stance": Exercise(
        "Standing on a cushion",
        "Put a firm cushion on the floor in front of the counter. Stand on it, feet apart, "
        "and hold.",
        "hold_s",
        (1, 20, 2, 3),
        SUPPORT_LEVELS,
        "Use a firm cushion that does not slide; step off it at the counter, not away from it.",
    ),
    "head-turns": Exercise(
        "Head turns",
        "Stand tall, feet apart, at the counter. Turn your head slowly to look right, then left.",
        "reps",
        (1, 5, 1, 3),
        ("Sitting down", "Standing, holding the counter", "Standing, no hands"),
        "Stop and hold the counter if the room spins; tell your therapist.",
    ),
    "eyes-closed-stance": Exercise(
        "Stand with eyes closed",
        "Stand in a corner with a chair in front of you, feet apart. Close your eyes and hold.",
        "hold_s",
        (1, 10, 2, 3),
        ("Feet apart", "Feet closer together", "Feet together"),
        "Open your eyes and hold the chair as soon as you sway.",
    ),
}
"""Every exercise the station offers, by key; adding one here (and its drawing) is all it
takes to offer it."""
