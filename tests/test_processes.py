"""The multiprocessing family's fix and message arguments, beyond what fixtures show."""

from __future__ import annotations

from textwrap import dedent

from concurlint.diagnostic import Diagnostic, Safety
from concurlint.engine import RuleSet, lint_source
from concurlint.files import Source
from concurlint.fixes import fix_source


def _lint(text: str, ruleset: RuleSet) -> list[Diagnostic]:
    return list(lint_source(Source("script.py", dedent(text), "utf-8"), ruleset).diagnostics)


def _fixed(text: str, ruleset: RuleSet) -> str:
    return fix_source(Source("script.py", dedent(text), "utf-8"), ruleset, unsafe=True).text


SCRIPT = """\
    import multiprocessing


    def square(x):
        return x * x


    # the work
    pool = multiprocessing.Pool(2)
    print(pool.map(square, range(3)))
    pool.close()
    """


def test_missing_guard_fix_wraps_the_rest_of_the_module(ruleset: RuleSet) -> None:
    assert _fixed(SCRIPT, ruleset) == dedent("""\
        import multiprocessing


        def square(x):
            return x * x


        # the work
        if __name__ == "__main__":
            pool = multiprocessing.Pool(2)
            print(pool.map(square, range(3)))
            pool.close()
        """)


def test_missing_guard_fix_is_unsafe(ruleset: RuleSet) -> None:
    (diagnostic,) = _lint(SCRIPT, ruleset)
    assert diagnostic.fix is not None and diagnostic.fix.safety is Safety.UNSAFE


def test_no_fix_when_a_definition_follows(ruleset: RuleSet) -> None:
    text = dedent(SCRIPT) + "\n\ndef later():\n    return 1\n"
    (diagnostic,) = _lint(text, ruleset)
    assert diagnostic.code == "CCL303" and diagnostic.fix is None


def test_no_fix_when_a_function_reads_a_name_bound_after_the_call(ruleset: RuleSet) -> None:
    text = """\
        import multiprocessing

        def scale(x):
            return x * FACTOR

        pool = multiprocessing.Pool(2)
        FACTOR = 3
        print(pool.map(scale, range(3)))
        """
    (diagnostic,) = _lint(text, ruleset)
    assert diagnostic.fix is None


def test_missing_guard_names_the_helper_chain(ruleset: RuleSet) -> None:
    text = """\
        from multiprocessing import Pool

        def run():
            with Pool() as pool:
                pool.map(print, [1])

        def main():
            run()

        main()
        """
    (diagnostic,) = _lint(text, ruleset)
    assert dict(diagnostic.args)["via"] == " (main() -> run() -> multiprocessing.Pool())"


def test_unpicklable_argument_names_what_it_is(ruleset: RuleSet) -> None:
    text = """\
        import multiprocessing, sqlite3

        def save(connection):
            pass

        def main():
            connection = sqlite3.connect("db")
            multiprocessing.Process(target=save, args=(connection,)).start()
        """
    (diagnostic,) = _lint(text, ruleset)
    args = dict(diagnostic.args)
    assert (diagnostic.code, args["value"], args["what"]) == (
        "CCL302", "connection", "a sqlite3 connection"
    )


def test_thread_subclass_is_not_a_process(ruleset: RuleSet) -> None:
    text = """\
        import multiprocessing, threading

        RESULTS = []

        def main():
            class Local(threading.Thread):
                def run(self):
                    RESULTS.append(1)
            worker = Local()
            worker.start()
            worker.join()
            print(RESULTS)
        """
    assert _lint(text, ruleset) == []
