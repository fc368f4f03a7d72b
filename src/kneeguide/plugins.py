"""Find, load and isolate exporter plugins.

Each entry point in the group ``kneeguide.exporters`` is loaded on its own, and
each plugin's hook is called on its own, so one broken plugin is named (with
its distribution and version) and every other format keeps working.  Plugins
can be switched off by name with ``KNEEGUIDE_DISABLED_PLUGINS=name,other``.
A new ``PluginHost`` comes from ``PluginHost.discover()``: there is no
import-time global, so tests build their own.

Containment, because a host runs third parties' code next to its own:

* the built-in exporters are registered first, and the names ``fhir``,
  ``html`` and ``pdf`` are theirs: a third party's entry point of that name
  is refused and named, and the built-in is still used;
* every import, hook call and render runs in its own thread under a time
  limit (``--timeout``, ``KNEEGUIDE_EXPORT_TIMEOUT``).  A plugin that has
  not finished is abandoned (the thread is a daemon, so it ends with the
  process) and reported; whatever it raises, ``SystemExit`` and other
  ``BaseException`` subclasses included, is caught in its thread and
  reported, so it can neither end nor hang the command.  A Ctrl-C by the
  user still reaches the main thread and stops the run;
* each render gets its own deep copy of the guidance, so a plugin that
  changes what it is given cannot change what another format writes.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from . import hookspecs
from .errors import KneeguideError, PluginError
from .hookspecs import ExportFormat

if TYPE_CHECKING:
    from .guidance import Guidance

__all__ = [
    "BUILTIN_FORMATS",
    "DEFAULT_TIMEOUT",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "TIMEOUT_ENV",
    "PluginFailure",
    "PluginHost",
    "Provided",
    "check_options",
    "render_contained",
    "resolve_timeout",
]

ENTRY_POINT_GROUP = "kneeguide.exporters"
DISABLE_ENV = "KNEEGUIDE_DISABLED_PLUGINS"
TIMEOUT_ENV = "KNEEGUIDE_EXPORT_TIMEOUT"
DEFAULT_TIMEOUT = 60.0
"""Seconds an import, a hook or a render may take; the PDF, the slowest built-in, takes about 2."""
BUILTIN_DISTRIBUTION = "kneeguide"
BUILTIN_FORMATS = {
    "fhir": "kneeguide_exporters.fhir",
    "html": "kneeguide_exporters.html",
    "pdf": "kneeguide_exporters.pdf",
}
"""The built-in exporters' entry point names and modules; no third party may use these names."""
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

    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def discover(
        cls,
        entry_points_: Iterable[EntryPoint] | None = None,
        *,
        disabled: Iterable[str] | None = None,
        timeout: float | None = None,
    ) -> PluginHost:
        """Load every installed exporter plugin that is not disabled, built-ins first."""
        pm = pluggy.PluginManager("kneeguide")
        pm.add_hookspecs(hookspecs)
        host = cls(pm, timeout=timeout if timeout is not None else resolve_timeout(None))
        off = set(disabled if disabled is not None else _disabled_from_env())
        eps = entry_points_ if entry_points_ is not None else entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(eps, key=lambda e: (not _is_builtin(e), e.name)):
            if ep.name in off:
                continue
            dist, version = _origin(ep)
            if ep.name in BUILTIN_FORMATS and not _is_builtin(ep):
                host.failures.append(
                    PluginFailure(
                        ep.name,
                        dist,
                        version,
                        f"is refused: the name {ep.name!r} belongs to kneeguide's built-in exporter, "
                        "which is used instead; give the entry point another name",
                    )
                )
                continue
            outcome = _contained(ep.load, (), host.timeout)
            if outcome.problem is not None:
                problem = outcome.problem.removeprefix("raised ").replace("did not", "its import did not")
                host.failures.append(PluginFailure(ep.name, dist, version, f"cannot be imported: {problem}"))
                continue
            host.add(outcome.value, ep.name, dist, version)
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
            outcome = _contained(_formats_of, (impl.function,), self.timeout)
            if outcome.problem is not None:
                self.failures.append(
                    PluginFailure(name, dist, version, f"kneeguide_formats {outcome.problem}")
                )
                continue
            problem = outcome.value if isinstance(outcome.value, str) else None
            if problem:
                self.failures.append(PluginFailure(name, dist, version, problem))
                continue
            for fmt in outcome.value:
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


def _formats_of(hook: Callable[[], object]) -> list[ExportFormat] | str:
    """Call a plugin's hook and check what it returns: the formats, or what is wrong.

    Runs in the plugin's thread: even walking the result runs the plugin's
    code (a list subclass, a property), so it is contained with the call.
    Each format is rebuilt from plain strings, so nothing the plugin keeps a
    hand on can change a descriptor later.
    """
    result = hook()
    if not isinstance(result, Sequence) or isinstance(result, str | bytes):
        return f"kneeguide_formats returned {type(result).__name__}, expected a list of ExportFormat"
    formats = []
    for item in list(result):
        if not isinstance(item, ExportFormat):
            return f"kneeguide_formats returned a {type(item).__name__}, expected ExportFormat"
        name, media_type, description = item.name, item.media_type, item.description
        if type(name) is not str or not _FORMAT_NAME.match(name):
            return f"format name {_short(name)} is not valid (lower case letters, digits, '-')"
        for what, value in (("media_type", media_type), ("description", description)):
            if type(value) is not str or len(value) > 200 or not value.isprintable():
                return f"format {name!r} has a {what} that is not one line of text: {_short(value)}"
        if not callable(item.render):
            return f"format {name!r} has no callable render"
        options = _options_of(item.options)
        if isinstance(options, str):
            return f"format {name!r} has {options}"
        formats.append(ExportFormat(str(name), str(media_type), item.render, str(description), options))
    return formats


def _options_of(options: object) -> dict[str, tuple[str, ...]] | str:
    """A plugin's declared options, rebuilt from plain strings; or what is wrong with them."""
    if not isinstance(options, Mapping):
        return "options that are not a mapping of name to allowed values"
    out: dict[str, tuple[str, ...]] = {}
    for key, values in list(options.items()):
        allowed = tuple(values) if isinstance(values, tuple | list) else ()
        if type(key) is not str or not _FORMAT_NAME.match(key) or not allowed:
            return f"an option {_short(key)} that is not a name with allowed values"
        if not all(type(v) is str and v.isprintable() and len(v) <= 64 for v in allowed):
            return f"option {key!r} with a value that is not a short line of text"
        out[str(key)] = tuple(str(v) for v in allowed)
    return out


def _short(value: object) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class _Outcome:
    value: Any = None
    problem: str | None = None
    """What went wrong, for a message: ``raised X: ...`` or ``did not finish within N s``."""
    error: BaseException | None = None


def _contained(fn: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> _Outcome:
    """Run a plugin's ``fn(*args)`` in a daemon thread with a deadline; never raise for it.

    Whatever it raises (``SystemExit``, ``KeyboardInterrupt`` from its own
    code, any ``BaseException``) is caught in its thread.  If it has not
    finished by the deadline it is abandoned: Python cannot stop a thread,
    but a daemon thread ends with the process and its result is never used.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # a plugin may raise anything, even exit
            box["error"] = exc

    thread = threading.Thread(target=target, name="kneeguide-plugin", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return _Outcome(problem=f"did not finish within {timeout:g} s and was stopped")
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, KneeguideError):  # says what is wrong in its own words
            return _Outcome(problem=str(exc), error=exc)
        return _Outcome(problem=f"raised {_describe(exc)}", error=exc)
    return _Outcome(value=box.get("value"))


def render_contained(
    provided: Provided,
    guidance: Guidance,
    timeout: float,
    check: Callable[[object], dict[str, bytes]],
    options: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """Render one format from its own copy of ``guidance``, within ``timeout`` seconds.

    ``check`` turns what the render returned into plain file name -> bytes,
    or raises saying what is wrong; it runs in the plugin's thread too.
    ``options`` are passed to the render as keyword arguments (only those
    the format declares, checked by ``check_options``).
    Raises ``PluginError`` naming the format, plugin, distribution and version.
    """
    view = copy.deepcopy(guidance)
    render: Callable[..., object] = provided.format.render
    chosen = dict(options or {})
    outcome = _contained(lambda g: check(render(g, **chosen)), (view,), timeout)
    if outcome.problem is not None:
        who = f"format {provided.format.name!r} from plugin {provided.plugin!r}"
        problem = outcome.problem.removeprefix("raised ")
        if "did not finish" in problem:
            problem += f" (raise the limit with --timeout or {TIMEOUT_ENV})"
        raise PluginError(f"{who} ({provided.distribution} {provided.version}) failed: {problem}")
    files: dict[str, bytes] = outcome.value
    return files


def check_options(provided: Provided, options: Mapping[str, str]) -> list[str]:
    """What is wrong with ``options`` for this format: an unknown name or a value not allowed."""
    declared = provided.format.options
    problems = []
    for key, value in options.items():
        allowed = declared.get(key)
        if allowed is None:
            problems.append(f"format {provided.format.name!r} has no option {key!r}")
        elif value not in allowed:
            problems.append(
                f"option {key!r} of format {provided.format.name!r} must be one of {', '.join(allowed)}, "
                f"not {value!r}"
            )
    return problems


def resolve_timeout(value: float | None) -> float:
    """The time limit in seconds: ``value``, else ``KNEEGUIDE_EXPORT_TIMEOUT``, else the default."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    source = "--timeout" if value is not None else TIMEOUT_ENV
    if value is None and not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value if value is not None else text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 24 * 3600:  # also refuses NaN
        raise ValueError(f"{source} must be a number of seconds from 0 to 86400, not {value or text!r}")
    return seconds


def _is_builtin(ep: EntryPoint) -> bool:
    return BUILTIN_FORMATS.get(ep.name) == ep.value and _origin(ep)[0] == BUILTIN_DISTRIBUTION


def _origin(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return ("(unknown distribution)", "")
    return (dist.metadata["Name"] or "(unknown distribution)", dist.version or "")


def _describe(exc: BaseException) -> str:
    """``Type: first line of the message``; a message that cannot be made is left out."""
    try:
        text = str(exc).strip().splitlines()
    except Exception:  # a hostile __str__
        text = []
    first = text[0][:300] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _disabled_from_env() -> list[str]:
    return [n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()]
