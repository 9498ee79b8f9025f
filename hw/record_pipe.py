"""Fixed-size records read from a non-blocking pipe: what two processes of the station pass
each other (load-cell samples to the core, in simulation forces to the load-cell process)."""

import os


class RecordReader:
    """Reads whole records of ``size`` bytes from the non-blocking pipe end ``fd``; a record
    the writer's last write has not completed waits for its rest."""

    def __init__(self, fd: int, size: int):
        os.set_blocking(fd, False)
        self.fd = fd
        self.size = size
        self._partial = b""

    def read(self) -> bytes:
        """The whole records written since the last call (b"" when none)."""
        chunks = [self._partial]
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            if not data:  # the writer is gone
                break
            chunks.append(data)
        data = b"".join(chunks)
        whole = len(data) - len(data) % self.size
        self._partial = data[whole:]
        return data[:whole]
