"""Generate the JSON Schemas in ``schemas/`` from the pydantic models.

The committed schemas let editors validate guidance as authors type and let
other tools check the files without Python.  They are generated, never edited
by hand: ``kneeguide schemas --write schemas`` regenerates them, and a test
fails when the committed copies drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import FILES, SCHEMA_NAMES

__all__ = ["generate", "write"]

SCHEMA_BASE = "https://kneeguide.example.org/schemas/"


def generate() -> dict[str, str]:
    """Every schema file's name and its exact text."""
    out: dict[str, str] = {}
    for fname, model in FILES.items():
        name = SCHEMA_NAMES[fname]
        if name in out:
            continue
        schema: dict[str, Any] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_BASE + name,
            **model.model_json_schema(mode="validation"),
        }
        schema.setdefault("description", f"A kneeguide guidance file ({fname}). Generated from the models.")
        out[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write(folder: Path) -> list[Path]:
    """Write every schema into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
