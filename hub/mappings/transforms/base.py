"""What every transform shares: errors, the step and transform types, and the argument syntax.

Argument syntax, the same for every transform::

    name                      no arguments, e.g. 'trim'
    name: value               one value, e.g. 'phone: DE'
    name: value; key=value    arguments separated by ';', e.g. 'datetime: %d.%m.%Y %H:%M; tz=Europe/Berlin'

Spaces around arguments are ignored. Put a value in quotes ('...' or "...") to keep spaces at its
ends or to use ';' or '=' inside it: "split: sep=' '", "template: '{street}; {city}'".
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ApplyFn = Callable[[Any, Mapping[str, Any]], Any]

QUOTES = "'\""


class TransformSyntaxError(ValueError):
    """A step cannot be understood. ``index`` is the step's position in the chain, from 0."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


class TransformError(ValueError):
    """A value could not be transformed. ``step_index`` is the failing step's position, from 0."""

    def __init__(self, step_index: int, message: str) -> None:
        super().__init__(message)
        self.step_index = step_index
        self.message = message


class ArgumentError(ValueError):
    """Raised by a transform's builder; ``parse_step`` adds which step and what is expected."""

    def __init__(self, message: str, expected: str = "") -> None:
        super().__init__(message)
        self.expected = expected


class StepFailed(ValueError):
    """Raised by a transform for one value; ``apply_chain`` adds which step failed."""


@dataclass(frozen=True)
class Argument:
    key: str | None
    value: str


@dataclass(frozen=True)
class Arguments:
    """The parsed arguments of one step, with the checks builders need."""

    items: tuple[Argument, ...] = ()

    def none(self) -> None:
        if self.items:
            raise ArgumentError("this transform takes no arguments", expected="the name alone")

    def positional(self, *, required: bool, allowed: frozenset[str] = frozenset()) -> str | None:
        """The one value without a key (or None), after checking keys against ``allowed``."""
        values = [item.value for item in self.items if item.key is None]
        self._check_keys(allowed)
        if len(values) > 1:
            raise ArgumentError(f"expected one value, got {len(values)} separated by ';'")
        if required and not values:
            raise ArgumentError("a value is missing after the ':'")
        return values[0] if values else None

    def options(self, allowed: frozenset[str], *, after_value: bool = False) -> dict[str, str]:
        """The key=value options; a value without a key is refused unless ``after_value``."""
        self._check_keys(allowed)
        for item in self.items:
            if item.key is None and not after_value:
                raise ArgumentError(f"'{item.value}' is not an option; write it as name=value")
        return {item.key: item.value for item in self.items if item.key is not None}

    def pairs(self) -> list[tuple[str, str]]:
        """All arguments as key=value pairs, in order (for value maps)."""
        for item in self.items:
            if item.key is None:
                raise ArgumentError(f"'{item.value}' is not a pair; write it as key=value")
        return [(item.key, item.value) for item in self.items if item.key is not None]

    def _check_keys(self, allowed: frozenset[str]) -> None:
        seen: set[str] = set()
        for item in self.items:
            if item.key is None:
                continue
            if item.key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise ArgumentError(
                    f"unknown option '{item.key}' (known options: {known}; "
                    "put text containing ';' or '=' in quotes)"
                )
            if item.key in seen:
                raise ArgumentError(f"the option '{item.key}' is given twice")
            seen.add(item.key)


@dataclass(frozen=True)
class TransformInfo:
    """One transform as the admin shows it: a label, help for people, and what its argument looks like."""

    name: str
    label: str
    help: str
    argument_hint: str
    expected: str = field(repr=False)
    build: Callable[[Arguments], ApplyFn] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Step:
    """One parsed step of a chain, ready to apply to many values."""

    name: str
    text: str
    apply: ApplyFn = field(repr=False, compare=False)


def split_arguments(text: str) -> Arguments:
    """Split the text after ``name:`` into arguments (see the module docstring)."""
    scanner = _Scanner(text)
    return Arguments(tuple(scanner.scan()))


class _Scanner:
    """Reads ``a; key=value; 'quoted; text'``. A quote only opens at the start of a key or value."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found: list[Argument] = []

    def scan(self) -> list[Argument]:
        while self.pos <= len(self.text):
            self._argument()
        return self.found

    def _argument(self) -> None:
        first, quoted_first, stop = self._field(stop_at="=;")
        if stop == "=":
            if not first and not quoted_first:
                raise ArgumentError(f"there is nothing before the '=' at position {self.pos}")
            value, _, _ = self._field(stop_at=";")
            self.found.append(Argument(first, value))
        elif first or quoted_first:
            self.found.append(Argument(None, first))

    def _field(self, stop_at: str) -> tuple[str, bool, str]:
        """Read one key or value; return it, whether it was quoted, and the character that ended it."""
        self._skip_spaces()
        if self.pos < len(self.text) and self.text[self.pos] in QUOTES:
            return self._quoted(stop_at)
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in stop_at:
            self.pos += 1
        stop = self.text[self.pos] if self.pos < len(self.text) else ""
        value = self.text[start : self.pos].strip()
        self.pos += 1
        return value, False, stop

    def _quoted(self, stop_at: str) -> tuple[str, bool, str]:
        quote = self.text[self.pos]
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            raise ArgumentError(f"the quote {quote} at position {self.pos + 1} is not closed")
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        self._skip_spaces()
        stop = self.text[self.pos] if self.pos < len(self.text) else ""
        if stop and stop not in stop_at:
            raise ArgumentError(f"unexpected text after the closing quote at position {end + 1}")
        self.pos += 1
        return value, True, stop

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1


def text_only(function: Callable[[str], Any]) -> ApplyFn:
    """Apply ``function`` to text; let every other value (None, numbers, lists) pass unchanged."""

    def apply(value: Any, record: Mapping[str, Any]) -> Any:
        return function(value) if isinstance(value, str) else value

    return apply


def parsing(function: Callable[[Any], Any]) -> ApplyFn:
    """For transforms that read a value: None and empty or blank text become None, the rest is parsed."""

    def apply(value: Any, record: Mapping[str, Any]) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return function(value)

    return apply
