"""Formats whose render returns the wrong type, exits, or names files badly."""

import sys

from kneeguide import hookimpl
from kneeguide.hookspecs import ExportFormat


def returns_text(guidance: object) -> str:
    return "not a dict of files"


def returns_text_values(guidance: object) -> dict[str, str]:
    return {"a.txt": "text, not bytes"}


def exits(guidance: object) -> dict[str, bytes]:
    sys.exit(3)


def nul_name(guidance: object) -> dict[str, bytes]:
    return {"a.txt": b"new a\n", "b\x00.txt": b"new b\n"}


def onto_folder(guidance: object) -> dict[str, bytes]:
    return {"a.txt": b"new a\n", "sub": b"a file where a folder is\n"}


@hookimpl
def kneeguide_formats() -> list[ExportFormat]:
    return [
        ExportFormat(name="text", media_type="text/plain", render=returns_text),  # type: ignore[arg-type]
        ExportFormat(name="textvalues", media_type="text/plain", render=returns_text_values),  # type: ignore[arg-type]
        ExportFormat(name="exits", media_type="text/plain", render=exits),
        ExportFormat(name="nulname", media_type="text/plain", render=nul_name),
        ExportFormat(name="ontofolder", media_type="text/plain", render=onto_folder),
    ]
