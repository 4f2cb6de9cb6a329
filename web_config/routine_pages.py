"""The Routines pages: list, edit, duplicate, delete, activate, import, export, preview."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from routines.errors import RoutineError
from routines.store import StoredRoutine, VersionConflict
from routines.validation import parse_routine, routine_from_yaml, routine_to_yaml
from web_config.auth import login_required
from web_config.context import control, store
from web_config.parsing import is_whole_number
from web_config.routine_form import RoutineDraft, describe_errors, field_errors

bp = Blueprint("routines", __name__, url_prefix="/routines")


def _stored_or_404(routine_id: str) -> StoredRoutine:
    stored = store().get_routine(routine_id)
    if stored is None:
        abort(404)
    return stored


def _editor(
    draft: RoutineDraft,
    stored: StoredRoutine | None,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        "routine_edit.html",
        draft=draft,
        stored=stored,
        field_errors=field_errors(errors or {}),
        summary=describe_errors(errors or {}),
        notice=notice,
        default_rest=store().settings().default_rest_seconds,
    )
    return page, status


def _edit(stored: StoredRoutine | None) -> ResponseReturnValue:
    """The editor for a new routine (``stored`` is None) or a stored one."""
    if request.method == "GET":
        draft = (
            RoutineDraft()
            if stored is None
            else RoutineDraft.from_routine(stored.routine, stored.version)
        )
        return _editor(draft, stored)
    draft = RoutineDraft.from_form(request.form)
    op = request.form.get("op", "save")
    if op != "save":
        draft.apply(op)
        return _editor(draft, stored)
    data = draft.to_data()
    if stored is not None:
        data["id"] = stored.routine.id
    try:
        routine = parse_routine(data)
    except RoutineError as err:
        return _editor(draft, stored, errors=err.errors, status=422)
    if stored is None:
        try:
            saved = store().create_routine(routine)
        except RoutineError as full:
            return _editor(draft, stored, errors=full.errors, status=422)
    else:
        expected = int(draft.version) if is_whole_number(draft.version) else None
        try:
            saved = store().save_routine(routine, expected_version=expected)
        except VersionConflict as conflict:
            # Keep this phone's edits on screen; saving again now replaces the newer copy.
            draft.version = str(conflict.current.version)
            return _editor(
                draft,
                conflict.current,
                notice="This routine was changed somewhere else after you opened it. "
                "Save again to replace that version with yours, or open the routine "
                "again to see it.",
                status=409,
            )
    flash(f"Saved {saved.routine.name}.", "ok")
    return redirect(url_for("routines.index"))


@bp.route("/")
def index() -> str:
    """Every routine, the active one marked."""
    active = store().active_routine()
    return render_template(
        "routines.html",
        # One at a time: the page lists up to a hundred routines.
        routines=store().each_routine(),
        active_id=active.routine.id if active is not None else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Write a new routine."""
    return _edit(None)


@bp.route("/<routine_id>/edit", methods=["GET", "POST"])
@login_required
def edit(routine_id: str) -> ResponseReturnValue:
    """Change any field of a routine."""
    return _edit(_stored_or_404(routine_id))


@bp.route("/<routine_id>/duplicate", methods=["POST"])
def duplicate(routine_id: str) -> ResponseReturnValue:
    """Store a copy under a new id and open it in the editor."""
    original = _stored_or_404(routine_id).routine
    name = f"{original.name} (copy)"
    try:
        copy = parse_routine({**original.to_dict(), "id": None, "name": name})
    except RoutineError:
        # The name was already as long as a name may be; the new id still tells them apart.
        copy = original
    try:
        saved = store().create_routine(copy)
    except RoutineError as full:
        flash(" ".join(full.errors.values()), "error")
        return redirect(url_for("routines.index"))
    flash(f"Copied as {saved.routine.name}.", "ok")
    return redirect(url_for("routines.edit", routine_id=saved.routine.id))


@bp.route("/<routine_id>/delete", methods=["GET", "POST"])
@login_required
def delete(routine_id: str) -> ResponseReturnValue:
    """Ask first; delete on the confirming post."""
    stored = _stored_or_404(routine_id)
    if request.method == "GET":
        return render_template("routine_delete.html", routine=stored.routine)
    store().delete_routine(routine_id)
    flash(f"Deleted {stored.routine.name}.", "ok")
    return redirect(url_for("routines.index"))


@bp.route("/<routine_id>/activate", methods=["POST"])
def activate(routine_id: str) -> ResponseReturnValue:
    """Make this the routine that a press starts."""
    stored = _stored_or_404(routine_id)
    store().set_active_routine(routine_id)
    flash(f"{stored.routine.name} is now the active routine.", "ok")
    back = "now.page" if request.form.get("back") == "now" else "routines.index"
    return redirect(url_for(back))


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_file() -> ResponseReturnValue:
    """Add a routine from an uploaded YAML routine file."""
    if request.method == "GET":
        return render_template("routine_import.html", errors=[])
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""
    if not data:
        return render_template("routine_import.html", errors=["Choose a routine file first."]), 400
    try:
        routine = routine_from_yaml(data)
        saved = store().create_routine(routine)
    except RoutineError as err:
        return render_template("routine_import.html", errors=describe_errors(err.errors)), 422
    if request.form.get("activate"):
        store().set_active_routine(saved.routine.id)
    flash(f"Imported {saved.routine.name}.", "ok")
    return redirect(url_for("routines.index"))


@bp.route("/<routine_id>/export")
def export(routine_id: str) -> Response:
    """The routine as a YAML routine file to download."""
    routine = _stored_or_404(routine_id).routine
    response = Response(routine_to_yaml(routine), mimetype="application/yaml")
    response.headers.set("Content-Disposition", "attachment", filename=f"{routine.id}.yaml")
    return response


@bp.route("/<routine_id>/preview")
def preview(routine_id: str) -> str:
    """Everything Spotter would say, as if each press came at once."""
    routine = _stored_or_404(routine_id).routine
    lines = control().preview(routine)
    return render_template("routine_preview.html", routine=routine, lines=lines)
