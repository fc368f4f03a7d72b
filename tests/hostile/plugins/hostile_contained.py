"""Formats that hang, escape with BaseException, mutate the guidance, or name files badly.

Every one must be named as a failure while the other formats still complete.
"""

import time

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


class Escape(BaseException):
    pass


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


def sleeps(guidance: object) -> dict[str, bytes]:
    time.sleep(3600)
    return {"sleeps.txt": b"too late\n"}


def escapes(guidance: object) -> dict[str, bytes]:
    raise Escape("past except Exception")


def interrupts(guidance: object) -> dict[str, bytes]:
    raise KeyboardInterrupt


def unprintable(guidance: object) -> dict[str, bytes]:
    raise Unprintable


def mutates(guidance: object) -> dict[str, bytes]:
    """Change the guidance it was given, every way it can, then write a file of its own."""
    data = guidance.data  # type: ignore[attr-defined]
    data["guideline.yaml"]["guideline"]["title"] = "MUTATED"
    data["red_flags.yaml"]["red_flags"].clear()
    object.__setattr__(guidance.metadata, "title", "MUTATED")  # type: ignore[attr-defined]
    object.__setattr__(guidance, "red_flags", ())
    return {"mutates.txt": b"mutated\n"}


def nested(guidance: object) -> dict[str, bytes]:
    return {"a": b"a file\n", "a/b": b"a file inside the file\n"}


def absolute(guidance: object) -> dict[str, bytes]:
    return {"/tmp/kneeguide-hostile-absolute.txt": b"outside\n"}


def clobber(guidance: object) -> dict[str, bytes]:
    return {"knee-muscle-spasm.fhir.json": b"not a FHIR Bundle\n"}


def twin_file(guidance: object) -> dict[str, bytes]:
    return {"twin": b"a file\n"}


def twin_folder(guidance: object) -> dict[str, bytes]:
    return {"twin/inner.txt": b"needs twin to be a folder\n"}


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    plain = "text/plain"
    return [
        ExportFormat(name="sleeps", media_type=plain, render=sleeps),
        ExportFormat(name="escapes", media_type=plain, render=escapes),
        ExportFormat(name="interrupts", media_type=plain, render=interrupts),
        ExportFormat(name="unprintable", media_type=plain, render=unprintable),
        ExportFormat(name="mutates", media_type=plain, render=mutates),
        ExportFormat(name="nested", media_type=plain, render=nested),
        ExportFormat(name="absolute", media_type=plain, render=absolute),
        ExportFormat(name="clobber", media_type=plain, render=clobber),
        ExportFormat(name="twin-a", media_type=plain, render=twin_file),
        ExportFormat(name="twin-b", media_type=plain, render=twin_folder),
    ]
