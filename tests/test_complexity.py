"""How `complexity` times a size (as timeit does, with BLAS on one thread) and lays its table out: on a
simulated clock, so that no test depends on this machine's timing."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import program_env
from rich.cells import cell_len
from typer.testing import CliRunner

from attncli import complexity
from attncli.cli import app
from attncli.complexity import Measurement

runner = CliRunner()
NS = [128, 256, 512, 1024, 2048, 4096]
PER_READING = 0.024  # seconds a clock reading costs apart from the work: the 24 ms a 2-core machine showed


class Machine:
    """A simulated CPU clock: a call of size n costs `per_flop`·n²·d seconds, and every reading of the
    clock costs PER_READING more (BLAS threads waking, the process's fixed costs) times its noise."""

    def __init__(self, d=64, per_flop=1.5e-10, noise=None, per_reading=PER_READING):
        self.t, self.d, self.per_flop, self.noise, self.per_reading = 0.0, d, per_flop, noise or {}, per_reading

    def clock(self) -> float:
        self.t += self.per_reading
        return self.t

    def runner(self, n):
        def run():
            self.t += self.per_flop * n * n * self.d * self.noise.get(n, 1.0)
        return run


def timed(machine: Machine, ns=NS) -> list[float]:
    out = []
    for n in ns:
        times, _ = complexity.per_call_times(machine.runner(n), clock=machine.clock)
        out.append(float(np.median(times)))
    return out


def test_a_run_repeats_the_call_as_timeit_does_until_it_lasts_long_enough():
    machine = Machine()
    calls, took = complexity.calls_per_run(machine.runner(128), machine.clock)
    one = 1.5e-10 * 128 * 128 * 64  # 0.157 ms
    assert complexity.MIN_RUN == 0.05
    assert calls == 200 and took == pytest.approx(PER_READING + 200 * one)  # 1, 2, 5, …, 100 fell short of 0.05 s
    times, calls = complexity.per_call_times(machine.runner(128), clock=machine.clock)
    assert len(times) == complexity.RUNS and times[0] == pytest.approx(one + PER_READING / 200)
    long = Machine(per_flop=1e-7)  # 1.7 s per call at n = 512: three runs of one call, not five
    times, calls = complexity.per_call_times(long.runner(512), clock=long.clock)
    assert (calls, len(times)) == (1, 3)


def test_per_call_times_state_the_n_squared_law_where_single_calls_measured_the_clock():
    """The clock's own cost swamps single calls of the small sizes (only 2 sizes reach twice the
    smallest: no law); spread over many calls, the fit from 256 up gives n²."""
    machine = Machine()
    single = [PER_READING + machine.per_flop * n * n * machine.d for n in NS]
    refused = complexity.fit_growth(NS, single, floor=complexity.WORK_OVER_OVERHEAD * single[0])
    assert refused.reason.startswith("only 2 sizes")
    times = timed(machine)
    growth = complexity.fit_growth(NS, times, floor=complexity.WORK_OVER_OVERHEAD * times[0])
    assert not growth.reason and growth.used == (256, 512, 1024, 2048, 4096)
    assert abs(growth.exponent - 2.0) <= 0.3  # "close to n²", even with the 24 ms left in every run
    one_thread = Machine(per_reading=0.001)  # what a run costs apart from its calls with BLAS on one thread
    times = timed(one_thread)
    growth = complexity.fit_growth(NS, times, floor=complexity.WORK_OVER_OVERHEAD * times[0])
    assert not growth.reason and growth.exponent == pytest.approx(2.0, abs=0.05)


def test_a_noisy_machine_still_gets_an_honest_refusal():
    from attncli.views import complexity as costs

    noisy = Machine(noise={256: 6.0, 512: 0.4, 1024: 5.0, 2048: 0.3})  # other load during some sizes
    times = timed(noisy)
    growth = complexity.fit_growth(NS, times, floor=complexity.WORK_OVER_OVERHEAD * times[0])
    assert growth.reason.startswith("the sizes do not lie on one power law")
    words = costs.verdict(growth, complexity.Growth(2.0, tuple(NS), 1.0), False)[0]
    assert words.startswith("No growth law for time") and "too noisy" in words


def test_blas_is_held_to_one_thread_while_timing():
    threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl is not installed")
    with complexity.one_blas_thread() as held:
        blas = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
        assert held and blas and all(pool["num_threads"] == 1 for pool in blas)


def test_without_threadpoolctl_the_environment_says_whether_blas_is_held(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails as if it were not installed
    for name in complexity.BLAS_THREAD_VARIABLES:
        monkeypatch.setenv(name, "1")
    with complexity.one_blas_thread() as held:
        assert held
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    with complexity.one_blas_thread() as held:
        assert not held


BLAS = ("import os, sys; from attncli import entry; sys.argv = ['attncli'] + sys.argv[1:]; "
        "entry._one_blas_thread(); "
        "print(*(os.environ.get(n) for n in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')))")


@pytest.mark.parametrize("argv, preset, expected", [
    (["complexity"], None, "1 1 1"),
    (["complexity"], "2", "2 1 1"),  # the user's own setting wins, and the view then says BLAS is not held
    (["explain"], None, "None None None"),
])
def test_the_command_line_sets_one_blas_thread_before_numpy_loads(argv, preset, expected):
    env = {k: v for k, v in program_env().items() if k not in complexity.BLAS_THREAD_VARIABLES}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    done = subprocess.run([sys.executable, "-c", BLAS, *argv], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == expected, done.stderr


def measurements() -> list[Measurement]:
    """What an idle 2-core machine measured, per call, at the default sizes."""
    medians = [0.463, 2.062, 9.076, 22.504, 86.473, 478.659]
    spreads = [(0.451, 0.48), (2.016, 2.2), (7.999, 9.5), (20.783, 24.1), (77.901, 90.2), (272.39, 480.123)]
    return [Measurement(n, m / 1000, 8 * 4 * n * n, 8 * n * n, (lo / 1000, m / 1000, hi / 1000), calls)
            for n, m, (lo, hi), calls in zip(NS, medians, spreads, [500, 100, 50, 10, 5, 1])]


def test_the_table_fits_80_columns_with_every_number_whole_and_units_in_the_headers():
    from rich.console import Console

    from attncli.render_terminal import render_pages, joined
    from attncli.views import complexity as costs

    results = measurements()
    growth = complexity.fit_growth(NS, [r.seconds for r in results], floor=0.001)
    view = costs.view(results, growth, growth, d=64, use_tiled=False, max_n=4096)
    console = Console(width=80, record=True, no_color=True, file=open(os.devnull, "w"))
    console.print(joined(render_pages(view, color=False, width=80)))
    out = console.export_text()
    assert all(cell_len(line) <= 80 for line in out.splitlines())
    rows = [line for line in out.splitlines() if re.match(r" \d{3,4} ", line)]
    assert len(rows) == 6 and not any("…" in row for row in rows)
    assert "272.390–480.123" in rows[-1] and "478.659" in rows[-1]  # one line per size, the spread whole
    assert not any(re.fullmatch(r"\s*(ms|KB|MB)?\s*(ms|KB|MB)?\s*", line) and line.strip() for line in out.splitlines())
    assert "ms/call" in out and "(MB)" in out and "500 calls at n = 128, 1 call at n = 4096" in out


def test_the_real_command_at_80_columns_cuts_no_number():
    out = runner.invoke(app, ["complexity", "--max-n", "256", "--d", "8", "--width", "80", "--no-color"]).stdout
    rows = [line for line in out.splitlines() if re.match(r" (128|256) ", line)]
    assert len(rows) == 2 and not any("…" in row for row in rows)
    assert re.search(r"\d+\.\d{3}–\d+\.\d{3}", rows[0])
