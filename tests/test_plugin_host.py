"""The plugin host's own rules: built-ins keep their names, hookless plugins are named."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

from kneeguide import hookimpl
from kneeguide.export import write_files
from kneeguide.hookspecs import ExportFormat
from kneeguide.plugins import PluginHost


def _plugin(fmt_name: str) -> object:
    @hookimpl
    def kneeguide_formats() -> list[ExportFormat]:
        return [ExportFormat(name=fmt_name, media_type="text/plain", render=lambda g: {"x.txt": b"x"})]

    return SimpleNamespace(kneeguide_formats=kneeguide_formats)


def test_a_third_party_cannot_take_over_a_builtin_format() -> None:
    host = PluginHost.discover(entry_points_=[])
    host.add(_plugin("fhir"), "aaa", "evil-exporters", "1.0")
    host.add(_plugin("fhir"), "fhir", "kneeguide", "1.0.0")
    host.collect()
    assert host.formats["fhir"].distribution == "kneeguide"
    failure = host.failure_of("aaa")
    assert failure is not None and "already provided by plugin 'fhir'" in failure.message


def test_a_plugin_without_hooks_is_reported() -> None:
    host = PluginHost.discover(entry_points_=[])
    host.add(SimpleNamespace(unrelated=lambda: None), "empty", "empty-dist", "0.1")
    host.collect()
    failure = host.failure_of("empty")
    assert failure is not None and failure.message == "implements no kneeguide hook"
    assert str(failure).startswith("plugin 'empty' (empty-dist 0.1) failed")


def test_exports_are_readable_by_others(tmp_path: Path) -> None:
    (path,) = write_files(tmp_path / "out", {"leaflet.html": b"<p>hi</p>"})
    assert path.read_bytes() == b"<p>hi</p>"
    assert path.stat().st_mode & stat.S_IROTH
