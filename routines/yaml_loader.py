"""PyYAML's safe loader, made strict: YAML 1.2's whole numbers and no key given twice."""

from __future__ import annotations

import re
from typing import Any

import yaml

_INT_TAG = "tag:yaml.org,2002:int"
# YAML 1.2's whole numbers. PyYAML follows YAML 1.1, where 010 is eight, 1:30 is ninety
# and 1_0 is ten: a routine file means none of those.
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_MAX_DIGITS = 18


class StrictSafeLoader(yaml.SafeLoader):
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


StrictSafeLoader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
StrictSafeLoader.add_constructor(_INT_TAG, StrictSafeLoader.construct_yaml_int)
