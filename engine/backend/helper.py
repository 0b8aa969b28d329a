"""Opening and saving a Keras model file in a short-lived process of its own.

Reading a model needs Keras; the window never imports TensorFlow, and the engine process is
busy with the live output. These calls are rare (a teacher opens a model, saves it), so each
one gets a fresh ``spawn``ed process that imports Keras, does the one job and ends: a
damaged or hostile file that crashes or hangs Keras ends only that process, and the window
reports it in one line. Works in a PyInstaller bundle like the engine process does.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable

from engine.model.loaded import ModelFileError
from engine.storage.atomic import SaveError

#: How long a helper may take (TensorFlow's import is part of it).
HELPER_TIMEOUT_S = 180.0


def _serve(connection, job: str, args: tuple) -> None:
    """In the helper process: run one job, send back ("ok", result) or (error kind, text)."""
    try:
        from engine.backend import keras_files

        function = {"load": keras_files.load_model_file,
                    "save": keras_files.save_model_file}[job]
        connection.send(("ok", function(*args)))
    except ModelFileError as exc:
        connection.send(("model", str(exc)))
    except SaveError as exc:
        connection.send(("save", str(exc)))
    except BaseException as exc:  # reported, never raised in the window
        connection.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


class HelperCall:
    """One job in its own process. ``done()`` says whether it has answered (poll it from
    the window's event loop); ``result()`` returns it or raises ModelFileError / SaveError."""

    def __init__(self, job: str, *args) -> None:
        self.job = job
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(child_end, job, args),
                                        name=f"convscope-{job}", daemon=True)
        self._started = time.monotonic()
        self._process.start()
        child_end.close()
        self._answer: tuple | None = None

    def done(self) -> bool:
        if self._answer is None:
            try:
                if self._pipe.poll(0):
                    self._answer = self._pipe.recv()
            except (EOFError, OSError):
                self._answer = ("crashed", None)
            if self._answer is None and not self._process.is_alive():
                self._answer = ("crashed", None)
            if self._answer is None and time.monotonic() - self._started > HELPER_TIMEOUT_S:
                self._process.kill()
                self._answer = ("timeout", None)
        return self._answer is not None

    def result(self):
        while not self.done():
            time.sleep(0.02)
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
        kind, value = self._answer
        error = ModelFileError if self.job == "load" else SaveError
        if kind == "ok":
            return value
        if kind == "model":
            raise ModelFileError(value)
        if kind == "save":
            raise SaveError(value)
        if kind == "crashed":
            raise error(f"Keras stopped while {self._doing()} (exit code "
                        f"{self._process.exitcode}); the file is probably damaged.")
        if kind == "timeout":
            raise error(f"Keras took more than {HELPER_TIMEOUT_S:.0f} s {self._doing()}; it "
                        f"was stopped.")
        raise error(f"Keras failed {self._doing()} ({value}).")

    def _doing(self) -> str:
        return "reading the model file" if self.job == "load" else "writing the model file"

    def cancel(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5)


def run_helper(job: str, *args, wait: Callable[[HelperCall], None] | None = None):
    """Run ``job`` ("load" or "save") with ``args`` in a helper process and return its result;
    ``wait(call)`` (the window's event loop) waits for it instead of a plain sleep."""
    call = HelperCall(job, *args)
    if wait is not None:
        wait(call)
    return call.result()
