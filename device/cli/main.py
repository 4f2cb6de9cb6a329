"""The ``spotter`` command line."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from device.cli.journal import configure_logging
from device.service.errors import CommandError
from routines.errors import ValidationError

if TYPE_CHECKING:
    # Loaded by the commands that use them: ``spotter run`` sets up the button before
    # anything heavy is imported, and ``--help`` needs none of it.
    from routines.model import Routine
    from routines.store import Store

if TYPE_CHECKING:
    from device.voice.tts import Renderer, VoiceSettings

# The engines `say --engine` accepts (device.voice.engines.ENGINES, without importing it).
ENGINE_NAMES = ("classic", "natural")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line and a pointer to --help instead of argparse's usage dump.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


class _Version(argparse.Action):
    """``--version``, read only when asked for (see ``device.__getattr__``)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from device import __version__

        print(f"spotter {__version__}")  # to standard output, as argparse's own action does
        parser.exit()


def _print_line(text: str) -> None:
    print(f"» {text}", flush=True)


def _data_dir(args: argparse.Namespace) -> Path:
    # The same precedence as the daemon (--data-dir, SPOTTER_DATA_DIR, the config file's
    # data_dir, the XDG default), so a command run by hand finds the service's data.
    from device.service.config import config_from_args

    return config_from_args(args).data_dir


def _open_store(args: argparse.Namespace) -> Store:
    from routines.store import Store

    data_dir = _data_dir(args)
    try:
        return Store.open(data_dir)
    except OSError as err:
        raise CommandError(f"cannot open the data directory {data_dir}: {err.strerror}") from err


def _fetch_routine(args: argparse.Namespace, routine_id: str | None) -> Routine:
    """One routine from the store (the active one for None), or a one-line error."""
    with _open_store(args) as store:
        return _routine_or_fail(store, routine_id)


def _routine_or_fail(store: Store, routine_id: str | None) -> Routine:
    stored = store.active_routine() if routine_id is None else store.get_routine(routine_id)
    if stored is None:
        if routine_id is None:
            raise CommandError(
                "there are no routines yet: import one with 'spotter routines import'"
            )
        raise CommandError(f"no routine with id '{routine_id}' (see 'spotter routines list')")
    return stored.routine


def _routine_at_dose(store: Store, name: str, routine_id: str | None) -> Routine:
    """A routine (the person's active one for None) at that person's dose."""
    profile = next((p for p in store.profiles() if p.name.casefold() == name.casefold()), None)
    if profile is None:
        names = ", ".join(p.name for p in store.profiles())
        raise CommandError(f"no profile named '{name}' (there are: {names})")
    if routine_id is None:
        active = store.active_routine(profile.id)
        if active is None:
            raise CommandError(f"{profile.name} has no routine yet")
        routine_id = active.routine.id
    routine = store.routine_at_dose(profile.id, routine_id)
    if routine is None:
        raise CommandError(f"no routine with id '{routine_id}' (see 'spotter routines list')")
    return routine


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise CommandError(f"cannot read {path}: {err.strerror}") from err


# -- commands -------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from device.service.runner import run_daemon

    return run_daemon(args)


# Starts the table that follows the script in ``spotter preview``.
TALK_HEADING = "Seconds of talk per exercise at"


def cmd_preview(args: argparse.Namespace) -> int:
    from device.engine.preview import preview_script, talk_by_exercise

    with _open_store(args) as store:
        if args.profile is None:
            routine = _routine_or_fail(store, args.routine_id)
        else:
            routine = _routine_at_dose(store, args.profile, args.routine_id)
        settings = store.settings()
    for line in preview_script(
        routine,
        default_rest=settings.default_rest_seconds,
        gesture_actions=settings.gesture_actions,
        verbosity=args.verbosity,
    ):
        print(line)
    talk = talk_by_exercise(
        routine,
        default_rest=settings.default_rest_seconds,
        gesture_actions=settings.gesture_actions,
        verbosity=args.verbosity,
        rate_wpm=settings.voice_rate,
    )
    print(f"\n{TALK_HEADING} {settings.voice_rate} words a minute:")
    for number, (name, seconds) in enumerate(talk, start=1):
        print(f"  {number}. {name}: {seconds:.0f} s")
    return EXIT_OK


def cmd_routines_list(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        active = store.active_routine()
        for stored in store.list_routines():
            r = stored.routine
            mark = "  (active)" if active is not None and active.routine.id == r.id else ""
            count = len(r.exercises)
            print(f"{r.id}\t{r.name}\t{count} exercise{'s' if count != 1 else ''}{mark}")
    return EXIT_OK


def cmd_routines_show(args: argparse.Namespace) -> int:
    from device.cli.describe import describe_routine

    print(describe_routine(_fetch_routine(args, args.routine_id)))
    return EXIT_OK


def cmd_routines_validate(args: argparse.Namespace) -> int:
    from routines.validation import routine_from_yaml

    routine = routine_from_yaml(_read_file(args.file), source=args.file)
    print(f"{args.file}: valid routine '{routine.name}' ({len(routine.exercises)} exercises)")
    return EXIT_OK


def cmd_routines_import(args: argparse.Namespace) -> int:
    from routines.validation import routine_from_yaml

    routine = routine_from_yaml(_read_file(args.file), source=args.file)
    with _open_store(args) as store:
        stored = store.create_routine(routine)
        if args.activate:
            store.set_active_routine(stored.routine.id)
    print(stored.routine.id)
    return EXIT_OK


def cmd_routines_export(args: argparse.Namespace) -> int:
    from routines.validation import routine_to_yaml

    sys.stdout.write(routine_to_yaml(_fetch_routine(args, args.routine_id)))
    return EXIT_OK


def cmd_routines_activate(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        _routine_or_fail(store, args.routine_id)
        store.set_active_routine(args.routine_id)
    print(f"active routine: {args.routine_id}")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from device.cli.doctor import print_report, run_doctor
    from device.cli.doctor_clickers import check_clickers
    from device.cli.fleet_checks import fleet_checks
    from device.service.config import config_from_args

    config = config_from_args(args)
    return print_report(
        [*run_doctor(config, play=not args.no_play), *check_clickers(config), *fleet_checks(config)]
    )


def cmd_config_check(args: argparse.Namespace) -> int:
    from device.service.config import DEFAULT_PATH, check_config_file, config_path

    path = config_path(Path(args.file) if args.file else None, os.environ)
    if args.file is None and path == DEFAULT_PATH and not path.exists():
        print(f"{path} does not exist: the defaults apply")
        return EXIT_OK
    problems = check_config_file(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return EXIT_ERROR
    print(f"{path}: valid")
    return EXIT_OK


def cmd_say(args: argparse.Namespace) -> int:
    from device.events import Line
    from device.voice.speaker import Voice
    from device.voice.tts import VoiceSettings

    text = " ".join(args.text).strip()
    if not text:
        raise CommandError("nothing to say: give the text to speak")
    from device.service.config import config_from_args

    config = config_from_args(args)
    with _open_store(args) as store:
        settings = store.settings()
    speech = _engine(args.engine)
    if args.output is not None:
        return _say_to_file(text, Path(args.output), speech, VoiceSettings.of(settings))
    voice = Voice(
        config.data_dir / "voice-cache",
        settings=VoiceSettings.of(settings),
        renderer=speech,
        echo=_print_line,
        audio_device=config.audio_device,
    )
    try:
        voice.speak([Line(text, interrupt=True)])
        voice.wait_until_quiet(timeout=60)
    finally:
        voice.close()
    return EXIT_OK


def _engine(name: str) -> Renderer:
    from device.voice.engines import EngineUnavailable, open_engine

    try:
        return open_engine(name)
    except EngineUnavailable as err:
        raise CommandError(str(err)) from err


def _say_to_file(text: str, output: Path, speech: Renderer, settings: VoiceSettings) -> int:
    """Render ``text`` levelled as the cache keeps it (at 100 %) into the WAV ``output``."""
    from device.voice.speaker import cached_renderer
    from device.voice.tts import RenderError
    from device.voice.wav_samples import WavFormatError

    if not output.parent.is_dir():
        raise CommandError(f"cannot write {output}: {output.parent} is not a folder")
    partial = output.with_name(f".{output.name}.part")
    try:
        cached_renderer(speech).render(text, dataclasses.replace(settings, volume=1.0), partial)
        partial.replace(output)
    except (RenderError, WavFormatError, OSError) as err:
        raise CommandError(f"cannot write {output}: {err}") from err
    finally:
        partial.unlink(missing_ok=True)
    print(f"wrote {output}, levelled to -16 LUFS")
    return EXIT_OK


def cmd_voices(args: argparse.Namespace) -> int:
    from device.voice.engines import ENGINES, EngineUnavailable, open_engine
    from device.voice.tts import RenderError
    from routines.voice_list import english_first, hidden_count

    for name in ENGINES:
        try:
            engine = open_engine(name)
            voices = engine.voices()
        except (EngineUnavailable, RenderError) as err:
            print(f"{name}: {err}")
            continue
        shown = english_first(voices, show_all=args.all)
        more = "" if args.all else f"; --all adds {hidden_count(voices)} in other languages"
        print(f"{name}: {engine.version} ({len(voices)} voices{more})")
        width = max((len(voice_id) for voice_id, _ in shown), default=0)
        for voice_id, voice_name in shown:
            print(f"  {voice_id.ljust(width)}  {voice_name}")
    return EXIT_OK


# -- the parser -----------------------------------------------------------------------------


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config file (default: $SPOTTER_CONFIG, else /etc/spotter/spotter.toml "
        "when it exists)",
    )


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    """--config and --data-dir: every command that touches the store finds it the same way."""
    _config_option(parser)
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where routines, settings, history and the voice cache live "
        "(default: $SPOTTER_DATA_DIR, else $XDG_DATA_HOME/spotter)",
    )


def build_parser(*, tools: bool = True, others: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without ``tools``, no backup, restore, PIN, Avahi or clicker
    commands (their modules load the store and the clickers' engine); without ``others``,
    ``run`` alone."""
    parser = _Parser(
        prog="spotter",
        description="Spotter: a one-button workout companion that speaks every step.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser("run", help="run the daemon: the button, the voice and the web page")
    _data_dir_option(run)
    run.add_argument(
        "--simulate",
        action="store_true",
        help="no GPIO needed: keys on standard input drive a simulated button "
        "(Enter = press, d = double, h = hold, l = long hold, q = quit)",
    )
    run.add_argument("--pin", type=int, default=None, help="BCM pin of the button (default 17)")
    run.add_argument("--led-pin", type=int, default=None, help="BCM pin of a status LED (none)")
    run.add_argument(
        "--pin-factory",
        default=None,
        help="GPIO library: lgpio, rpigpio, pigpio, native or mock (default: the first that works)",
    )
    run.add_argument(
        "--audio-device", default=None, help="ALSA device to play on (default: 'default')"
    )
    run.add_argument("--silent", action="store_true", help="print lines instead of playing them")
    run.add_argument("--host", default=None, help="address the web page listens on (0.0.0.0)")
    run.add_argument("--port", type=int, default=None, help="port of the web page (8080)")
    run.add_argument("--no-web", action="store_true", help="do not serve the web page")
    run.add_argument(
        "--clicker",
        action="append",
        metavar="RECORDING",
        help="play a clicker's recorded keys (evtest's text output) as if it were pressed "
        "live; repeat for several clickers",
    )
    run.set_defaults(func=cmd_run)
    if not others:
        return parser

    preview = sub.add_parser(
        "preview", help="print the whole spoken script of a routine, as if each press came at once"
    )
    _data_dir_option(preview)
    preview.add_argument("routine_id", nargs="?", metavar="ROUTINE_ID", help="default: active")
    preview.add_argument(
        "--profile",
        metavar="NAME",
        help="at this person's dose (and their routine by default); without: as the file says",
    )
    preview.add_argument(
        "--verbosity",
        choices=("full", "brief"),
        default="full",
        help="full: set-up and cues every set (default); brief: what a practised user hears",
    )
    preview.set_defaults(func=cmd_preview)

    routines = sub.add_parser("routines", help="list, show, validate, import and export routines")
    rsub = routines.add_subparsers(dest="routines_command", metavar="ACTION", parser_class=_Parser)
    rsub.required = True
    r_list = rsub.add_parser("list", help="one routine per line: id, name, size")
    r_list.set_defaults(func=cmd_routines_list)
    r_show = rsub.add_parser("show", help="describe one routine")
    r_show.add_argument("routine_id", metavar="ID")
    r_show.set_defaults(func=cmd_routines_show)
    r_validate = rsub.add_parser("validate", help="check a routine file; exit 1 with its errors")
    r_validate.add_argument("file", metavar="FILE")
    r_validate.set_defaults(func=cmd_routines_validate)
    r_import = rsub.add_parser("import", help="add a routine file to the store; prints its id")
    r_import.add_argument("file", metavar="FILE")
    r_import.add_argument("--activate", action="store_true", help="make it the active routine")
    r_import.set_defaults(func=cmd_routines_import)
    r_export = rsub.add_parser("export", help="print a routine as a YAML routine file")
    r_export.add_argument("routine_id", metavar="ID")
    r_export.set_defaults(func=cmd_routines_export)
    r_activate = rsub.add_parser("activate", help="make a routine the one a press starts")
    r_activate.add_argument("routine_id", metavar="ID")
    r_activate.set_defaults(func=cmd_routines_activate)
    for p in (r_list, r_show, r_validate, r_import, r_export, r_activate):
        _data_dir_option(p)

    doctor = sub.add_parser(
        "doctor", help="check the button, the sound, the voice, the data and the web port"
    )
    _data_dir_option(doctor)
    doctor.add_argument("--no-play", action="store_true", help="do not play the test line")
    doctor.set_defaults(func=cmd_doctor)

    config = sub.add_parser("config", help="check a config file")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION", parser_class=_Parser)
    csub.required = True
    c_check = csub.add_parser(
        "check", help="validate a config file (default: $SPOTTER_CONFIG, else the system one)"
    )
    c_check.add_argument("file", nargs="?", metavar="FILE")
    c_check.set_defaults(func=cmd_config_check)

    say = sub.add_parser("say", help="speak a line with the current voice settings")
    _data_dir_option(say)
    say.add_argument("text", nargs="+", metavar="TEXT")
    say.add_argument(
        "--audio-device", default=None, help="ALSA device to play on (default: the config's)"
    )
    say.add_argument(
        "--engine", choices=ENGINE_NAMES, default="classic", help="which voice engine speaks"
    )
    say.add_argument(
        "--output",
        metavar="FILE.wav",
        help="write the line to this WAV file (levelled to -16 LUFS) instead of playing it",
    )
    say.set_defaults(func=cmd_say)

    voices = sub.add_parser("voices", help="list the voice engines and their voices")
    voices.add_argument(
        "--all", action="store_true", help="every language, not only English voices"
    )
    voices.set_defaults(func=cmd_voices)

    if tools:
        from device.cli import clicker, fleet

        fleet.add_commands(sub, _data_dir_option, _Parser)
        clicker.add_commands(sub, _config_option, _Parser)
    return parser


def starts_the_daemon(argv: Sequence[str]) -> bool:
    """Whether ``argv`` is ``spotter run`` (and not a request for the overall help)."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return False
        if not arg.startswith("-"):
            return arg == "run"
    return False


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser ``argv`` needs. A start's button waits for everything done before it:
    ``spotter run`` does without the other commands' parsers (the tools' modules load the
    store: about 20 ms of CPU here, 0.2 s on a Pi Zero 2 W; the rest take 5 ms more)."""
    daemon = starts_the_daemon(argv)
    return build_parser(tools=not daemon, others=not daemon)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spotter`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser_for(argv).parse_args(argv)
    configure_logging(logging.DEBUG if args.verbose else logging.INFO)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ValidationError as err:
        print(err.describe(), file=sys.stderr)
        return EXIT_ERROR
    except CommandError as err:
        print(f"spotter: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``spotter preview | head``): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as err:
        # The store's module is loaded only to tell this error apart: a start imports
        # it after the button is live, not before.
        from routines.database import StoreVersionError

        if not isinstance(err, StoreVersionError):
            raise
        print(
            f"spotter: {err}; to go back to the data this version left, restore the copy "
            "kept before the upgrade: spotter restore DATA_DIR/spotter.db.pre-<this version>",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
