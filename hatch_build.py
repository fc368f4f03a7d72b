"""Build hook: validate the packaged guidance and ship it in compact form in the wheel.

``kneeguide.load()`` of the packaged guidance then reads the compact form
(``kneeguide.compact``) instead of parsing YAML with positions and running
the schemas again.  The whole pipeline runs here, the one ``kneeguide
validate`` runs (review dates aside, as for ``load``: a build does not depend
on the day it runs), and any problem fails the build naming every one.  An
editable install gets no compact form: it validates on first use and keeps
the result in the user's cache (``kneeguide.store``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompactGuidanceHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        sys.path.insert(0, str(root / "src"))
        try:
            from kneeguide.compact import dumps
            from kneeguide.loader import check, find_guidelines
        finally:
            sys.path.pop(0)
        self._out = Path(tempfile.mkdtemp(prefix="kneeguide-compiled-"))
        for folder in find_guidelines(root / "guidance"):
            result = check(folder, review_dates=False)
            if not result.ok or result.guidance is None:
                problems = "\n".join(f"  {d.location}: {d.message}" for d in result.errors)
                raise RuntimeError(f"the packaged guidance {folder.name} is invalid:\n{problems}")
            target = self._out / f"{folder.name}.json"
            target.write_bytes(dumps(result.guidance))
            build_data["force_include"][str(target)] = f"kneeguide/_data/compiled/{folder.name}.json"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
