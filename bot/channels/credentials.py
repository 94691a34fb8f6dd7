"""Write the credentials file Rasa is started with, from ``credentials.yml`` and the environment.

``credentials.yml`` names every channel and takes its secrets from environment variables:
``${NAME}`` (required) or ``${NAME:-default}`` (optional). Rasa itself substitutes only
``${NAME}`` and refuses to start when one is unset, so a channel that needs a secret would
break ``make run`` on every machine that does not use it. Here a channel whose required
variables are not all set is left out (and reported), optional ones take their defaults,
and the result is written owner-only to ``var/credentials.yml`` (it may hold tokens).
Variables come from the environment and ``.env``, like every other setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _PlainLoader(yaml.SafeLoader):
    """A YAML loader that leaves ``${…}`` alone: importing Rasa registers a global
    ``!env_var`` resolver that would expand (and fail on) placeholders while loading."""


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class MissingVariable(KeyError):
    """A required variable of a channel is not set."""


@dataclass
class ChannelReport:
    """Which channels are on, and for the others the variables they are waiting for."""

    enabled: list[str] = field(default_factory=list)
    disabled: dict[str, list[str]] = field(default_factory=dict)


def substitute(value: Any, environ: Mapping[str, str], missing: list[str]) -> Any:
    """``value`` with placeholders replaced; unset required names are added to ``missing``."""
    if isinstance(value, dict):
        return {key: substitute(item, environ, missing) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, environ, missing) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = environ.get(name)
        if found:
            if "${" in found:  # Rasa would try to expand it again when loading the file
                raise ValueError(f"{name} must not contain '${{'")
            return found
        if default is not None:
            return default
        missing.append(name)
        return ""

    return PLACEHOLDER.sub(replace, value)


def resolve_channels(
    template: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], ChannelReport]:
    """The channels of ``template`` whose required variables are set, with values filled in."""
    channels: dict[str, Any] = {}
    report = ChannelReport()
    for name, section in template.items():
        missing: list[str] = []
        resolved = substitute(section, environ, missing)
        if missing:
            report.disabled[name] = sorted(set(missing))
        else:
            channels[name] = resolved
            report.enabled.append(name)
    return channels, report


def write_config(template_path: Path, target: Path, environ: Mapping[str, str]) -> ChannelReport:
    """Generate ``target`` from the YAML template ``template_path``, section by section.

    Used for ``credentials.yml`` (sections are channels) and ``endpoints.yml`` (sections
    are the action endpoint, tracker store and lock store): a section whose required
    variables are not set is left out. Written owner-only: it may hold secrets.
    """
    template = yaml.load(template_path.read_text(encoding="utf-8"), Loader=_PlainLoader) or {}
    if not isinstance(template, dict):
        raise ValueError(f"{template_path}: expected a mapping of section names to settings")
    sections, report = resolve_channels(template, environ)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600, exist_ok=True)
    target.chmod(0o600)
    header = (
        f"# Generated from {template_path.name} by `python -m bot`; "
        "do not edit (may hold secrets).\n"
    )
    target.write_text(header + yaml.safe_dump(sections, sort_keys=False), encoding="utf-8")
    return report


def write_credentials(
    template_path: Path, target: Path, environ: Mapping[str, str]
) -> ChannelReport:
    """Generate ``target`` from ``template_path``; returns which channels are on."""
    return write_config(template_path, target, environ)
