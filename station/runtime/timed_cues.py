"""The cue board as the control loop drives it, noting when every cue last went off."""


class TimedCues:
    """Passes every call to ``board`` (a ``hw.cues.CueBoard``) and keeps ``off_at_s``: the time
    on ``clock`` when ``all_off`` last ran, i.e. when a stop took effect for the patient (a
    STOP's latency is measured to it; ``Station.status()`` reports it)."""

    def __init__(self, board, clock):
        self.board = board
        self.clock = clock
        self.off_at_s: float | None = None

    def all_off(self) -> None:
        self.board.all_off()
        self.off_at_s = self.clock.now()

    def set_light(self, name: str, on: bool) -> None:
        self.board.set_light(name, on)

    def set_status(self, colour: str) -> None:
        self.board.set_status(colour)

    def play(self, pattern: str, now_s: float) -> None:
        self.board.play(pattern, now_s)

    def update(self, now_s: float) -> None:
        self.board.update(now_s)
