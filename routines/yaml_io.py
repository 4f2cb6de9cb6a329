"""Reading and writing YAML documents safely: size cap, line-numbered errors, no duplicates."""

from __future__ import annotations

import re
from typing import Any

import yaml

from routines.errors import ValidationError
from routines.fields import holds_lone_surrogate

MAX_DOCUMENT_BYTES = 256 * 1024


_INT_TAG = "tag:yaml.org,2002:int"
# YAML 1.2's whole numbers. PyYAML follows YAML 1.1, where 010 is eight, 1:30 is ninety
# and 1_0 is ten: a routine file means none of those.
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_MAX_DIGITS = 18


class _StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (plain data only) that reads whole numbers by YAML 1.2's rules
    and refuses a key given twice, which the stock loader would silently settle by
    keeping the last value."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML reads this class attribute
        first: [(tag, rx) for tag, rx in resolvers if tag != _INT_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        if len(text) > _MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"the number {text[:20]}... is too long", node.start_mark
            )
        try:
            # An explicit !!int tag reaches here with any text at all.
            return int(text, 0) if text.startswith(("0o", "0x")) else int(text, 10)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"{text[:20]!r} is not a whole number", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictSafeLoader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
_StrictSafeLoader.add_constructor(_INT_TAG, _StrictSafeLoader.construct_yaml_int)


def load_document(
    text: str | bytes, *, error: type[ValidationError], source: str | None = None
) -> object:
    """Parse one YAML document into plain data; problems raise ``error`` under ``file``."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        raise error({"file": f"is too large ({size} bytes; the limit is 256 KiB)"}, source=source)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise error(
                {"file": f"is not UTF-8 text (bad byte at offset {err.start})"}, source=source
            ) from None
    try:
        # The subclass of SafeLoader builds plain data only, like yaml.safe_load.
        data = yaml.load(text, Loader=_StrictSafeLoader)  # noqa: S506
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = err.problem or err.context or "not valid YAML"
        raise error({"file": f"{where}{problem}"}, source=source) from None
    except yaml.YAMLError as err:
        raise error({"file": f"not valid YAML ({err})"}, source=source) from None
    except RecursionError:
        raise error({"file": "is nested too deeply"}, source=source) from None
    if data is None:
        raise error({"file": "is empty"}, source=source)
    if holds_lone_surrogate(data):
        raise error(
            {"file": "holds a \\u escape that is half of a character, which cannot be kept"},
            source=source,
        )
    return data


def dump_document(data: object) -> str:
    """Plain data as block-style YAML, keys in the given order."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
