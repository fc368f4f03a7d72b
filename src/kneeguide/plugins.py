"""Find, load and isolate exporter plugins.

Each entry point in the group ``kneeguide.exporters`` is loaded on its own, and
each plugin's hook is called on its own, so one broken plugin is named (with
its distribution and version) and every other format keeps working.  Plugins
can be switched off by name with ``KNEEGUIDE_DISABLED_PLUGINS=name,other``.
A new ``PluginHost`` comes from ``PluginHost.discover()``: there is no
import-time global, so tests build their own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

import pluggy

from . import hookspecs
from .hookspecs import ExportFormat

__all__ = ["DISABLE_ENV", "ENTRY_POINT_GROUP", "PluginFailure", "PluginHost", "Provided"]

ENTRY_POINT_GROUP = "kneeguide.exporters"
DISABLE_ENV = "KNEEGUIDE_DISABLED_PLUGINS"
BUILTIN_DISTRIBUTION = "kneeguide"
_FORMAT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, and why."""

    plugin: str
    distribution: str
    version: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} ({self.distribution} {self.version}) failed: {self.message}"


@dataclass(frozen=True)
class Provided:
    """An export format and the plugin that provides it."""

    format: ExportFormat
    plugin: str
    distribution: str
    version: str


@dataclass
class PluginHost:
    """The plugin manager plus what was found: formats by name, and failures."""

    pm: pluggy.PluginManager
    formats: dict[str, Provided] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def discover(
        cls,
        entry_points_: Iterable[EntryPoint] | None = None,
        *,
        disabled: Iterable[str] | None = None,
    ) -> PluginHost:
        """Load every installed exporter plugin that is not disabled."""
        pm = pluggy.PluginManager("kneeguide")
        pm.add_hookspecs(hookspecs)
        host = cls(pm)
        off = set(disabled if disabled is not None else _disabled_from_env())
        eps = entry_points_ if entry_points_ is not None else entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(eps, key=lambda e: e.name):
            if ep.name in off:
                continue
            dist, version = _origin(ep)
            try:
                module = ep.load()
            except (Exception, SystemExit) as exc:  # a third party's import may raise anything, even exit
                host.failures.append(
                    PluginFailure(ep.name, dist, version, f"cannot be imported: {_describe(exc)}")
                )
                continue
            host.add(module, ep.name, dist, version)
        host.collect()
        return host

    def add(self, module: ModuleType | object, name: str, dist: str = "(local)", version: str = "") -> None:
        """Register one plugin object; a plugin with a hook typo is refused and named."""
        try:
            self.pm.register(module, name=name)
        except Exception as exc:
            self.failures.append(
                PluginFailure(name, dist, version, f"cannot be registered: {_describe(exc)}")
            )
            return
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            self.failures.append(PluginFailure(name, dist, version, f"implements an unknown hook: {exc}"))
            return
        self.origins[name] = (dist, version)

    def collect(self) -> None:
        """Call each plugin's hook separately and gather the formats it returns."""
        self.formats.clear()
        impls = self.pm.hook.kneeguide_formats.get_hookimpls()
        # Built-in formats are claimed first, so a third party cannot take over
        # "fhir" by sorting earlier: its duplicate is the one reported.
        impls = sorted(
            impls,
            key=lambda i: (self.origins.get(i.plugin_name, ("",))[0] != BUILTIN_DISTRIBUTION, i.plugin_name),
        )
        hooked = {i.plugin_name for i in impls}
        for name, (dist, version) in sorted(self.origins.items()):
            if name not in hooked:
                self.failures.append(PluginFailure(name, dist, version, "implements no kneeguide hook"))
        for impl in impls:
            name = impl.plugin_name
            dist, version = self.origins.get(name, ("(local)", ""))
            try:
                result = impl.function()
            except (Exception, SystemExit) as exc:
                self.failures.append(
                    PluginFailure(name, dist, version, f"kneeguide_formats raised {_describe(exc)}")
                )
                continue
            problem = _check_result(result)
            if problem:
                self.failures.append(PluginFailure(name, dist, version, problem))
                continue
            assert isinstance(result, Sequence)
            for fmt in result:
                if fmt.name in self.formats:
                    other = self.formats[fmt.name]
                    self.failures.append(
                        PluginFailure(
                            name,
                            dist,
                            version,
                            f"format {fmt.name!r} is already provided by plugin {other.plugin!r}",
                        )
                    )
                    continue
                self.formats[fmt.name] = Provided(fmt, name, dist, version)

    def failure_of(self, plugin: str) -> PluginFailure | None:
        return next((f for f in self.failures if f.plugin == plugin), None)


def _check_result(result: object) -> str | None:
    if not isinstance(result, Sequence) or isinstance(result, str | bytes):
        return f"kneeguide_formats returned {type(result).__name__}, expected a list of ExportFormat"
    for item in result:
        if not isinstance(item, ExportFormat):
            return f"kneeguide_formats returned a {type(item).__name__}, expected ExportFormat"
        if not _FORMAT_NAME.match(item.name):
            return f"format name {item.name!r} is not valid (lower case letters, digits, '-')"
        if not callable(item.render):
            return f"format {item.name!r} has no callable render"
    return None


def _origin(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return ("(unknown distribution)", "")
    return (dist.metadata["Name"] or "(unknown distribution)", dist.version or "")


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _disabled_from_env() -> list[str]:
    return [n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()]
