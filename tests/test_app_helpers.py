"""Pure helpers of the app: the λ ladder, downsampling, axis ticks."""

import math

from hypothesis import given
from hypothesis import strategies as st

from wdtui.app.ladder import LADDER, lambda_down, lambda_up
from wdtui.app.series import downsample, integer_ticks, linear_ticks, log_ticks, loggable


def test_ladder_is_four_steps_per_decade_from_1e_5_to_10():
    assert len(LADDER) == 25 and LADDER[0] == 1e-5 and LADDER[-1] == 10.0
    ratios = [b / a for a, b in zip(LADDER, LADDER[1:])]
    assert all(math.isclose(r, 10 ** 0.25) for r in ratios)


def test_ladder_ends():
    assert lambda_up(0.0) == 1e-5
    assert lambda_down(1e-5) == 0.0 and lambda_down(3e-6) == 0.0 and lambda_down(0.0) == 0.0
    assert lambda_up(10.0) == 10.0 and lambda_up(50.0) == 50.0
    assert lambda_up(0.01) == LADDER[LADDER.index(0.01) + 1]


@given(st.floats(min_value=0, max_value=9.99))
def test_up_then_down_never_passes_the_start(lam):
    up = lambda_up(lam)
    assert up > lam
    assert lambda_down(up) <= max(lam, 0) or math.isclose(lambda_down(up), lam)


def test_downsample_keeps_the_last_point_and_the_bound():
    xs = list(range(1, 1001))
    dx, dy = downsample(xs, [x * 2 for x in xs], 100)
    assert len(dx) <= 101 and dx[-1] == 1000 and dy[-1] == 2000 and dx[0] == 1
    assert downsample([1, 2], [3, 4], 100) == ([1, 2], [3, 4])


def test_log_axis_drops_what_it_cannot_show():
    assert loggable([1, 2, 3, 4, 5], [1.0, 0.0, -1.0, float("nan"), 2.0]) == ([1, 5], [1.0, 2.0])


def test_ticks_are_round_and_inside_the_range():
    assert log_ticks(1e-6, 100)[1] == ["1e-6", "1e-4", "1e-2", "1e0", "1e2"]  # one notation per axis
    assert log_ticks(1e4, 1e8)[1] == ["1e4", "1e5", "1e6", "1e7", "1e8"]  # not 100000 beside 1e+06
    assert log_ticks(10, 1e4)[1] == ["10", "100", "1000", "10000"]  # not 1e4 beside 1000 (quadratic)
    assert log_ticks(1e-4, 1)[1] == ["0.0001", "0.001", "0.01", "0.1", "1"]  # not 1e-4 beside 0.01
    assert log_ticks(31.6227766, 36.5) == ([31.6227766], ["31.6"])  # a lone tick at the low end: its value, not "3e1"


@given(st.floats(min_value=-12, max_value=12), st.floats(min_value=1e-3, max_value=10))
def test_every_log_tick_label_is_its_value_to_3_digits(low, decades):
    lo, hi = 10.0**low, 10.0 ** (low + decades)
    ticks, labels = log_ticks(lo, hi)
    assert ticks and all(lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9) for t in ticks)
    for tick, label in zip(ticks, labels):
        assert math.isclose(float(label), tick, rel_tol=5e-3), (lo, hi, tick, label)
    assert len({"e" in label for label in labels}) == 1  # one notation per axis
    assert linear_ticks(0.33, 0.49, most=3)[1] == ["0.35", "0.4", "0.45"]  # a finer step, not a lone 0.4
    assert linear_ticks(-0.61, 0.52) == ([-0.5, 0.0, 0.5], ["-0.5", "0", "0.5"])
    assert integer_ticks(1, 500)[1] == ["100", "200", "300", "400", "500"]
    assert integer_ticks(1, 3)[1] == ["1", "2", "3"]  # never a fractional epoch


def test_changes_of_one_setting_are_named_as_one_chain():
    from wdtui.app.session import Mark
    from wdtui.app.widgets.charts import chained

    assert chained([Mark(4001, "λ 0.01→0.0178"), Mark(8532, "λ 0.0178→0.0316")]) == "λ 0.01→0.0178 @4000 →0.0316 @8531"
    # another setting in between breaks the chain; a change of two settings is named whole
    assert (chained([Mark(11, "λ 0.01→0.0178"), Mark(21, "lr 0.01→0.02"), Mark(31, "λ 0.0178→0.0316")])
            == "λ 0.01→0.0178 @10 · lr 0.01→0.02 @20 · λ 0.0178→0.0316 @30")
    assert (chained([Mark(11, "coupled→l1, λ 0.01→0.1"), Mark(21, "λ 0.1→0.2"), Mark(31, "λ 0.2→0.3")])
            == "coupled→l1, λ 0.01→0.1 @10 · λ 0.1→0.2 @20 →0.3 @30")


def test_the_presets_own_lambda_is_a_rung_of_the_ladder():
    """sparse's λ = 0.2 is off the ladder: ] then [ had gone 0.2 → 0.316 → 0.178, never back."""
    assert lambda_up(0.2, own=0.2) == LADDER[LADDER.index(10 ** -0.5)]
    assert lambda_down(10 ** -0.5, own=0.2) == 0.2 and lambda_up(10 ** -0.75, own=0.2) == 0.2
    assert lambda_down(1e-5, own=1.5e-9) == 1.5e-9 and lambda_down(1.5e-9, own=1.5e-9) == 0.0
    assert lambda_up(0.0, own=1.5e-9) == 1.5e-9
    assert lambda_up(0.01, own=0.01) == LADDER[LADDER.index(0.01) + 1]  # on the ladder: no new rung
