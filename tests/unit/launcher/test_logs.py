import io

from mesh.launcher.logs import LinePrefixer, LogSink, use_color

NAMES = ("identity", "model_router", "gateway")


def test_prefix_is_padded_to_the_longest_name() -> None:
    prefixer = LinePrefixer(NAMES)
    assert prefixer.format("identity", '{"msg": "hi"}\n') == 'identity     | {"msg": "hi"}'
    assert prefixer.format("model_router", "x") == "model_router | x"


def test_trailing_newlines_are_stripped_but_inner_spaces_kept() -> None:
    assert LinePrefixer(NAMES).format("gateway", "  a  b \r\n") == "gateway      |   a  b "


def test_colored_prefix_wraps_only_the_label() -> None:
    prefixer = LinePrefixer(NAMES, color=True)
    line = prefixer.format("identity", "hello")
    assert line.startswith("\x1b[")
    assert line.endswith("\x1b[0m hello")
    assert prefixer.color_of("identity") != prefixer.color_of("model_router")


def test_unknown_names_still_get_a_stable_color() -> None:
    prefixer = LinePrefixer(NAMES, color=True)
    assert prefixer.color_of("stranger") == prefixer.color_of("stranger")


def test_notices_are_marked_differently_from_child_output() -> None:
    prefixer = LinePrefixer(NAMES)
    assert prefixer.format_notice("identity", "exited with code 1") == "identity     * exited with code 1"
    assert "\x1b[31m" in LinePrefixer(NAMES, color=True).format_notice("identity", "boom", error=True)


def test_sink_writes_lines_and_keeps_the_last_ones() -> None:
    out = io.StringIO()
    sink = LogSink(LinePrefixer(NAMES), out=out, keep_lines=3)
    for i in range(5):
        sink.line("identity", f"line {i}\n")
    sink.line("gateway", "other")
    assert sink.recent("identity") == ["line 2", "line 3", "line 4"]
    assert sink.recent("knowledge") == []
    assert out.getvalue().splitlines()[0] == "identity     | line 0"
    assert out.getvalue().splitlines()[-1] == "gateway      | other"


def test_color_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color(Tty()) is True
    assert use_color(io.StringIO()) is False


def test_forget_starts_a_fresh_memory_for_the_next_run() -> None:
    sink = LogSink(LinePrefixer(NAMES), out=io.StringIO())
    sink.line("identity", "first run")
    sink.forget("identity")
    sink.line("identity", "second run")
    assert sink.recent("identity") == ["second run"]
