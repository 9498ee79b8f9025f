"""The live view's messages: every ~50 ms the frames since the last message and what the live
view shows beside them (drill state, cue lights, instruction, someone on the platform), as the
JSON text of one server-sent event.

The core encodes each message once and sends it to the panel, which hands the same text to
every open live view; a Station serving its panel in the same process (tests, ``run
--single-process``) makes them per stream from its own live feed.
"""

import json
import math
import time

LIVE_BATCH_S = 0.05


def frame_row(frame) -> list:
    """[t_s, live COP ML mm, live COP AP mm, total N, load left %, pitch deg, roll deg]; the
    live view shows the low-passed COP (null when nobody stands on the platform)."""
    return [
        round(frame.t_s, 3),
        _rounded(frame.cop_ml_live_mm, 2),
        _rounded(frame.cop_ap_live_mm, 2),
        round(frame.total_n, 1),
        _rounded(frame.load_left_pct, 1),
        _rounded(frame.pitch_deg, 2),
        _rounded(frame.roll_deg, 2),
    ]


def _rounded(value: float, digits: int):
    return None if math.isnan(value) else round(value, digits)


def live_message(frames: list, state: dict) -> str:
    """One message: ``{"frames": [row, ...], **state}`` (state from ``Station.live_state``)."""
    return json.dumps({"frames": [frame_row(f) for f in frames], **state})


def live_messages(subscription, live_state, batch_s: float = LIVE_BATCH_S):
    """Yield a message every ``batch_s`` or so (empty frames when none came) until
    ``subscription`` (of the station's live feed of Frames) closes. The newest frame of each
    message is the one just published; the oldest waits up to a batch."""
    while not subscription.closed:
        frames = subscription.wait(batch_s)
        time.sleep(batch_s)  # batch: ~20 messages a second whatever the loop rate
        frames += subscription.wait(0)
        yield live_message(frames, live_state())
