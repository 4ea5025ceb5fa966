"""The trainer: records, control (pause/step/cancel, λ and lr changes), divergence, determinism."""

import math
import threading

import torch
from conftest import experiment, trained

from wdtui.engine.training.control import Control
from wdtui.engine.training.trainer import MeasureSchedule, Trainer, train_together


def test_one_record_per_epoch_with_consistent_numbers():
    exp = experiment("sine", epochs=5, dtype="float64")
    trainer = Trainer(exp, "l2", 0.1)
    records = list(trainer.records())
    assert [r.epoch for r in records] == [1, 2, 3, 4, 5]
    last = records[-1]
    weights = [p.detach() for n, p in trainer.model.named_parameters() if n in exp.decayed_names]
    norm = math.sqrt(sum(float(w.square().sum()) for w in weights))
    assert math.isclose(last.weight_norm, norm, rel_tol=1e-12)  # ‖w‖₂, not squared
    assert math.isclose(last.penalty, 0.5 * 0.1 * norm**2, rel_tol=1e-12)
    assert set(last.layer_norms) == set(exp.decayed_names)
    pred = trainer.model(exp.data.x_train).detach()
    assert math.isclose(last.train_loss, float(((pred - exp.data.y_train) ** 2).mean()), rel_tol=1e-12)
    pred = trainer.model(exp.data.x_test).detach()
    assert math.isclose(last.test_loss, float(((pred - exp.data.y_test) ** 2).mean()), rel_tol=1e-12)
    assert last.epochs_per_s > 0 and last.prediction is None  # detail only on request


def test_half_mse_and_l1_penalty_are_recorded_in_their_conventions():
    exp = experiment("d2l", epochs=2, dtype="float64")
    trainer = trained(exp, "l1", 0.2)
    rec = trainer.last_record
    w = trainer.model[0].weight.detach()
    assert math.isclose(rec.penalty, 0.2 * float(w.abs().sum()), rel_tol=1e-12)
    pred = trainer.model(exp.data.x_train).detach()
    assert math.isclose(rec.train_loss, 0.5 * float(((pred - exp.data.y_train) ** 2).mean()), rel_tol=1e-12)


def test_detail_has_grid_prediction_weights_and_histograms():
    exp = experiment("sine", epochs=1)
    rec = Trainer(exp).run_epoch(detail=True)
    assert len(rec.prediction) == len(exp.data.grid_x) == 200
    assert len(rec.train_prediction) == 100 and len(rec.test_prediction) == 100
    assert set(rec.histograms) == {"0.weight", "2.weight"}
    h = rec.histograms["0.weight"]
    assert sum(h.counts) == sum(h.initial) == 64 and len(h.edges) == len(h.counts) + 1
    lin = Trainer(experiment("d2l", epochs=1)).run_epoch(detail=True)
    assert len(lin.weights) == 200 and lin.prediction is None


def test_gradient_histograms_count_the_last_steps_gradient_of_each_weight_matrix():
    exp = experiment("sine", epochs=1, dtype="float64")  # full batch: the step's gradient is the whole set's
    assert exp.config.effective_batch_size == len(exp.data.x_train)
    trainer = Trainer(exp, "none", 0.0)
    assert trainer.measure(detail=True).grad_histograms == {}  # no step yet, no gradient
    start = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    record = trainer.run_epoch(detail=True)
    assert set(record.grad_histograms) == set(record.histograms) == {"0.weight", "2.weight"}
    # the same gradient computed independently: the loss at the weights before the step
    model = exp.new_model()
    model.load_state_dict(start)
    torch.nn.functional.mse_loss(model(exp.data.x_train), exp.data.y_train).backward()
    for name, histogram in record.grad_histograms.items():
        grad = dict(model.named_parameters())[name].grad
        assert histogram.initial is None and len(histogram.edges) == len(histogram.counts) + 1
        low, high = float(grad.float().min()), float(grad.float().max())  # counted in float32
        assert math.isclose(histogram.edges[0], low, rel_tol=1e-6) and math.isclose(histogram.edges[-1], high, rel_tol=1e-6)
        expected = torch.histc(grad.float(), len(histogram.counts), low, high).long().tolist()
        assert histogram.counts == expected and sum(histogram.counts) == grad.numel()
    assert Trainer(exp).run_epoch().grad_histograms is None  # only with detail


def test_gradient_histograms_hold_the_decay_term_where_the_gradient_does():
    """l2 and coupled put λ·w into the gradient (the same gradient); decoupled shrinks w outside
    it, so its first step's gradient is the undecayed run's."""
    def first_edges(regularizer):
        record = Trainer(experiment("sine", epochs=1, dtype="float64"), regularizer, 5.0).run_epoch(detail=True)
        return {name: (h.edges[0], h.edges[-1]) for name, h in record.grad_histograms.items()}

    plain, l2, coupled, decoupled = (first_edges(r) for r in ("none", "l2", "coupled", "decoupled"))
    for name in plain:
        assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(l2[name], coupled[name]))  # float32 edges
        assert all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(decoupled[name], plain[name]))
        assert abs(l2[name][1] - plain[name][1]) > 1e-3  # λ = 5 moves the gradient's range


def test_histograms_leave_out_non_finite_values():
    from wdtui.engine.training.metrics import grad_histograms, histograms

    weight = torch.tensor([[1.0, 2.0, float("nan"), float("inf")]], requires_grad=True)
    weight.grad = torch.tensor([[float("nan")] * 4])
    h = histograms({"w": weight}, {"w": torch.zeros(1, 4)}, bins=4)["w"]
    assert (h.edges[0], h.edges[-1]) == (0.0, 2.0) and sum(h.counts) == 2 and sum(h.initial) == 4
    g = grad_histograms({"w": weight}, bins=4)["w"]
    assert sum(g.counts) == 0 and all(math.isfinite(e) for e in g.edges)


def test_same_seed_gives_identical_numbers_and_another_seed_does_not():
    def numbers(seed):
        t = trained(experiment("d2l", epochs=10, seed=seed), "l2", 3.0)
        return [(r.train_loss, r.test_loss, r.weight_norm) for r in [t.last_record]] + [
            tuple(p.detach().reshape(-1)[:5].tolist()) for p in t.model.parameters()]

    assert numbers(7) == numbers(7)
    assert numbers(7) != numbers(8)


def test_lambda_and_lr_changes_apply_at_the_next_epoch_without_restart():
    exp = experiment("sine", epochs=10)
    control = Control()
    trainer = Trainer(exp, "coupled", 0.0)
    seen = []
    for record in trainer.records(control):
        seen.append((record.epoch, record.lam, record.lr))
        if record.epoch == 3:
            control.set_lambda(0.5)
            control.set_lr(0.001)
    assert seen[2] == (3, 0.0, 0.01) and seen[3] == (4, 0.5, 0.001)
    assert seen[-1][0] == 10  # the run went on to the end: no restart


def test_pause_step_and_cancel_from_another_thread():
    exp = experiment("sine", epochs=1000)
    control = Control(paused=True)
    trainer = Trainer(exp)
    epochs = []
    worker = threading.Thread(target=lambda: epochs.extend(r.epoch for r in trainer.records(control)))
    worker.start()
    worker.join(0.3)
    assert epochs == []  # paused: nothing runs
    control.step(2)
    for _ in range(100):
        if len(epochs) == 2:
            break
        worker.join(0.05)
    worker.join(0.2)
    assert epochs == [1, 2]  # exactly two epochs, then paused again
    control.resume()
    worker.join(0.2)
    control.cancel()
    worker.join(5)
    assert not worker.is_alive()
    assert 2 < len(epochs) < 1000 and epochs == list(range(1, len(epochs) + 1))


def test_cancel_is_seen_between_mini_batches():
    exp = experiment("d2l", epochs=1, batch_size=1)
    trainer = Trainer(exp)
    calls = []

    def stop():
        calls.append(1)
        return len(calls) >= 3

    assert trainer.run_epoch(stop=stop) is None  # stopped: nothing measured (a large set takes seconds)
    assert len(calls) == 3  # stopped after the third of 20 mini-batches


def test_divergence_stops_the_run_and_is_marked():
    exp = experiment("sine", epochs=200, optimizer="sgd", lr=50.0)
    trainer = Trainer(exp, "none", 0.0)
    records = list(trainer.records())
    assert records[-1].diverged and trainer.diverged
    assert len(records) < 200
    assert not any(r.diverged for r in records[:-1])


def test_lockstep_keeps_baseline_lambda_and_shares_lr():
    exp = experiment("sine", epochs=4)
    main, baseline = Trainer(exp, "coupled", 0.01), Trainer(exp, "coupled", 0.0)
    control = Control()
    rows = []
    for recs in train_together([main, baseline], control):
        rows.append(recs)
        if recs[0].epoch == 1:
            control.set_lambda(0.2)
            control.set_lr(0.02)
    assert [r[0].lam for r in rows] == [0.01, 0.2, 0.2, 0.2]
    assert [r[1].lam for r in rows] == [0.0] * 4
    assert rows[-1][1].lr == 0.02
    # same data and initialization: the first epoch differs only through λ
    assert rows[0][0].weight_norm != rows[0][1].weight_norm


def test_float64_and_float32_start_from_the_same_weights():
    a = experiment("sine", dtype="float32").base_model[0].weight
    b = experiment("sine", dtype="float64").base_model[0].weight
    assert b.dtype == torch.float64 and torch.equal(a.double(), b)


def test_angular_update_is_the_angle_between_consecutive_epochs_weights():
    exp = experiment("quadratic", epochs=4, dtype="float64")
    trainer = Trainer(exp, "coupled", 0.1)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.dim() >= 2}
    for record in trainer.records():
        now = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.dim() >= 2}
        assert set(record.angular_update) == set(now) == {"0.weight", "2.weight", "4.weight", "6.weight", "8.weight"}
        for name, w in now.items():
            cos = float((w * before[name]).sum() / (w.norm() * before[name].norm()))
            expected = math.acos(min(cos, 1.0))
            assert math.isclose(record.angular_update[name], expected, rel_tol=1e-6, abs_tol=1e-9)
            assert record.angular_update[name] > 0
        before = now


def test_angular_update_of_all_zero_weights_is_nan_then_defined():
    records = list(Trainer(experiment("d2l", epochs=2, init="zero"), "l2", 0.0).records())
    assert math.isnan(records[0].angular_update["0.weight"])  # from zero: no direction to turn from
    assert math.isfinite(records[1].angular_update["0.weight"])


def test_digits_is_measured_every_epoch_early_then_spaced_and_at_the_last():
    """Measuring the digits CNN on N_eval = 64 + 200 images costs more than training on 64: every
    epoch to 10, then every ⌈264/64⌉ = 5th, and the last. Measuring less changes no number."""
    exp = experiment("digits", device="cpu", epochs=17, n_train=64, n_test=200, dtype="float64")
    spaced = Trainer(exp, "coupled", 0.01)
    assert spaced.schedule.to_dict() == {"every_epoch_to": 10, "then_every": 5}
    records = list(spaced.records())
    assert [r.epoch for r in records] == [*range(1, 11), 15, 17]
    every = Trainer(exp, "coupled", 0.01)
    every.schedule = MeasureSchedule(every=1)
    by_epoch = {r.epoch: r for r in every.records()}
    assert len(by_epoch) == 17
    for r in records:
        assert r.train_loss == by_epoch[r.epoch].train_loss and r.test_accuracy == by_epoch[r.epoch].test_accuracy


def test_small_models_are_measured_every_epoch():
    for preset in ("sine", "d2l", "quadratic", "sparse"):
        assert Trainer(experiment(preset, epochs=3)).schedule == MeasureSchedule(every=1), preset


def test_a_full_batch_step_reuses_the_measured_pass_and_trains_exactly_as_without_it():
    """The measurement's pass over the training set is kept for the next step; a trainer that
    forwards again every step gets the same numbers, bit for bit, also after an in-place change
    of a weight between epochs (which must discard the kept pass)."""
    exp = experiment("sine", epochs=12, regularizer="l2", lam=0.01)
    kept, fresh = Trainer(exp), Trainer(exp)
    fresh._ahead_ok = False  # its measurements keep nothing: each step forwards itself
    reused = []
    prediction = kept._prediction

    def spy(x):
        ahead = kept._kept_pass.out
        out = prediction(x)
        reused.append(out is ahead)
        return out

    kept._prediction = spy
    for epoch in range(1, 13):
        if epoch == 6:  # an outside change of the weights between epochs (e.g. a restore)
            for trainer in (kept, fresh):
                with torch.no_grad():
                    trainer.model[0].weight.mul_(0.5)
        a, b = kept.run_epoch(), fresh.run_epoch()
        assert (a.train_loss, a.test_loss, a.weight_norm) == (b.train_loss, b.test_loss, b.weight_norm), epoch
    assert reused == [epoch != 6 for epoch in range(1, 13)]
    for p, q in zip(kept.model.parameters(), fresh.model.parameters()):
        assert torch.equal(p, q)


def test_the_epochs_per_second_shown_is_epochs_over_wall_time_not_an_average_of_rates():
    """digits: five unmeasured 10 ms epochs, then a measured 60 ms one, 110 ms for 6 epochs: 54.5
    epochs/s (an average of the rates said 86); and the time between epochs counts unless it is a pause."""
    import time

    from wdtui.engine.training.trainer import PAUSE_S, epoch_seconds, smoothed_rate

    rate = 0.0
    for i in range(600):
        rate = smoothed_rate(rate, 0.06 if i % 6 == 5 else 0.01, i == 0)
    assert 6 / 0.11 * 0.85 < rate < 6 / 0.11 * 1.15
    now = time.perf_counter()
    seconds, end = epoch_seconds(now - 0.01, now - 0.05)  # 40 ms spent between the epochs: counted
    assert seconds >= 0.05 and end >= now
    seconds, _ = epoch_seconds(now - 0.01, now - 0.01 - 2 * PAUSE_S)  # after a pause: its own time
    assert 0.01 <= seconds < 0.5


def test_epochs_set_below_those_trained_end_the_run_where_it_is():
    """The epochs trained stay trained: a lone trainer and the live batched copies alike stop at
    the epoch reached, never report 'epoch 5 of 2'."""
    from wdtui.engine.training.live_runs import LiveRuns

    exp = experiment("sine", epochs=10, n_train=8, n_test=8)
    lone = Trainer(exp)
    pair = LiveRuns(exp, [("coupled", 0.01), ("coupled", 0.0)])
    for _ in range(5):
        lone.run_epoch()
        pair.run_epoch()
    lone.apply({"epochs": 2})
    pair.apply(0, {"epochs": 2})
    assert (lone.epochs, lone.done) == (5, True) and (pair.epochs, pair.done) == (5, True)
    lone.apply({"epochs": 7})
    assert lone.epochs == 7 and not lone.done


def test_the_live_pair_ends_where_it_is_when_epochs_drop_below_those_trained():
    """The app's pair had trained one more epoch after the change ('epoch 1999/1998 done')."""
    from wdtui.engine.training.live_runs import LiveRuns

    exp = experiment("sine", epochs=50, n_train=8, n_test=8)
    pair, control = LiveRuns(exp, [("coupled", 0.01), ("coupled", 0.0)]), Control()
    seen = []
    for records in pair.train_together(control):
        seen.append(records[0].epoch)
        if records[0].epoch == 5:
            control.set_epochs(2)
    assert seen == [1, 2, 3, 4, 5] and pair.epoch == pair.epochs == 5 and pair.done
