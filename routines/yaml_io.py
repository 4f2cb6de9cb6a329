"""Reading and writing YAML documents safely: size cap, line-numbered errors, no duplicates.

PyYAML is imported on the first document, not with this module: the daemon reads its
routines from the store as JSON and starts without it."""

from __future__ import annotations

from routines.errors import ValidationError
from routines.fields import holds_lone_surrogate

MAX_DOCUMENT_BYTES = 256 * 1024


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
    import yaml

    from routines.yaml_loader import StrictSafeLoader

    try:
        # The subclass of SafeLoader builds plain data only, like yaml.safe_load.
        data = yaml.load(text, Loader=StrictSafeLoader)  # noqa: S506
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
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
