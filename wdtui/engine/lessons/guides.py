"""Each preset's guide: what to look for, what the numbers will show, and why — written from
measurements over seeds, not from the articles. Every number here is checked by a test in
``tests/test_guides.py`` (the full preset where that is fast, else a cheaper setting with the same
direction and the full measurement in ``benchmarks/``). Plain text, no torch: ``wdtui presets
--verbose`` prints it and the app's help shows it.
"""

from __future__ import annotations

GUIDES: dict[str, str] = {
    "sine": (
        "Faithful to the PyTorch demo (Adam weight_decay 0 vs 0.01), and here decay hurts. "
        "Over seeds 0–9 with the preset as it is: test MSE 0.012 at λ = 0 and 0.047 at λ = 0.01, "
        "worse on 10 of 10 seeds (λ = 0.001 too: 0.016, 10 of 10 worse). ‖w‖ falls from about "
        "9.7 to 3.6. Why: 100 points with noise σ = 0.1 leave little to overfit — λ = 0 is already "
        "near the noise floor σ² = 0.01 of the noisy test targets — so decay only adds bias. "
        "The demo's claim that decay improves the fit "
        "does not hold in its own setting; sine-overfit is where it does."
    ),
    "sine-overfit": (
        "20 points with noise 0.3, 3000 epochs: here decay helps. Over seeds 0–19: test MSE 0.148 "
        "at λ = 0, 0.117 at λ = 1e-3 (better on 20 of 20 seeds) and 0.115 at the preset's "
        "λ = 5e-3 (better on at least 16 of 20 seeds: 17 or 18 on the CPUs measured, as float "
        "rounding tips the near-ties; mean paired improvement 0.033). The noisy test targets put a "
        "floor at σ² = 0.09. Why: with 20 "
        "points the 64-unit net bends to the noise (‖w‖ about 19.5); decay keeps it small (about 4 "
        "at 5e-3) and the curve smooth. Run a sweep (w) to see the flat minimum."
    ),
    "d2l": (
        "The book's experiment as it is: 20 examples in 200 dimensions, weights from N(0, 1). Look "
        "at ‖w‖ and where it comes from. At λ = 0 the final ‖w‖ (12.3–14.3 over seeds 0–4) equals, "
        "to 3 decimals, the part of the initial weights orthogonal to the 20 training inputs: no "
        "gradient step touches it, so the huge test loss (64–98) is leftover initialization, not "
        "learned overfitting. At λ = 3 each step multiplies that part by 1 − η·λ: "
        "(1 − 0.009)^400 ≈ 0.027, so ‖w‖ is 0.33–0.39 and test 0.064–0.084 — an unfinished "
        "transient, not the ridge solution (‖w‖ 0.030–0.035, test 0.0067–0.011; the converged "
        "answer, drawn as a reference on the weights view). The article's code used λ = 10: "
        "(1 − 0.03)^400 ≈ 5e-6, the leftover is gone and ‖w‖ (0.021–0.024) and test loss "
        "(0.0069–0.012) are the ridge solution's, though the weights still differ from it by "
        "13–61 % (mini-batch noise). With --init zero the leftover is 0 and λ = 0 reaches test 0.0071–0.0125, "
        "as good as the best ridge."
    ),
    "quadratic": (
        "A LayerNorm demo whose ‖w‖ chart misleads. Each of the 4 hidden Linear layers feeds a "
        "LayerNorm, so it is scale-invariant: multiply its weight and bias by c > 0 and the model "
        "computes the same function. Decay cannot make those layers simpler; shrinking them only "
        "lets the next steps turn them by larger angles — a larger effective learning rate "
        "(van Laarhoven 2017; Zhang et al. 2019). Over seeds 0–2, λ 0.01 → 0.1 moves the total "
        "‖w‖ by under 5 % (about 26.5 → 25.9): more than 75 % of ‖w‖² is the last LayerNorm's "
        "scale and the output layer, which decay barely moves. Look at the per-layer norms and "
        "each layer's angular update, not at the total or the shrinking histograms."
    ),
    "sparse": (
        "L1 against L2 at the same λ = 0.2, with plain SGD, where proximal l1 is exactly the Lasso "
        "(ISTA); 45 of the 50 true weights are 0. Over seeds 0–4: l1 sets 36–42 weights exactly "
        "to 0 and reaches test MSE 0.32–0.50; l2 has no zero and test 4.8–7.7, worse than no "
        "decay on 3 of 5 seeds and on average (6.2 against 4.9): it shrinks the 5 real weights "
        "along with the others. l1-subgradient (λ·Σ|w| in the loss, as the seed article) reaches the same test loss within 0.02 but never an "
        "exact 0. The test floor is σ² = 0.25. With Adam, l1 is no Lasso: λ = 2 zeroes all 50 "
        "weights whatever the data."
    ),
    "digits": (
        "The CIFAR-10 tutorial's CNN and SGD(lr=0.01, weight_decay=0.01) on 300 digit images, "
        "with momentum 0.9 added (see the README). Decay shrinks the weights (‖w‖ "
        "10.5 → 8.35 on average) but does not raise test accuracy: over seeds 0–4, 92.8 % at "
        "λ = 0 against 91.6 % at λ = 0.01, lower on 5 of 5 seeds (paired difference −1.2 ± 0.23 "
        "points; benchmarks/lessons_digits.py). The tests check the same direction on the shipped "
        "seed."
    ),
    "dropout": (
        "Dropout 0.5 at λ = 0 against weight decay 0.01 without dropout, on the digits CNN, 150 "
        "epochs. Dropout ended higher on the one seed measured in the README (94.5 % against "
        "90.2 %); run benchmarks/lessons_digits.py --dropout for the spread over "
        "seeds before trusting the gap."
    ),
    "cifar10": (
        "The tutorial's exact network on CIFAR-10 from --data-dir, SGD weight_decay 0 vs 0.01, 10 "
        "epochs. Not measured by wdtui's tests (the data is not shipped): read the gap between the "
        "two runs against the seed-to-seed spread before calling it an effect."
    ),
    "custom": (
        "Your own data with an MLP and AdamW-style decoupled decay, λ 0 vs 1e-3. Nothing is known "
        "in advance: run a sweep with several seeds and compare the best λ with λ = 0 before "
        "believing that decay helps."
    ),
    "poly": (
        "Bishop's degree-9 polynomial on 10 noisy points of sin 2πx, solved exactly (the preset's "
        "solver; --solver gd trains instead). λ here is Bishop's divided by N = 10: his "
        "E(w) = ½·Σ(y − t)² + λ_B/2·‖w‖² is N times ½·MSE + λ/2·‖w‖², so ln λ_B = −18 is "
        "λ = e⁻¹⁸/10 ≈ 1.5e-9, and his E_RMS is √(2·loss). Over seeds 0–19: at λ = 0 the curve "
        "passes through all 10 points (train E_RMS below 1e-6) with ‖w‖ 1.2e4–2.8e6 (median "
        "8.3e5) and test E_RMS 0.77 on average; at ln λ_B = −18, ‖w‖ is 260–2,300 (median 930), "
        "train E_RMS 0.12 and test 0.40, better than λ = 0 on 20 of 20 seeds; ‖w‖ at λ = 0 is "
        "over 100 times the regularized one on 18 of 20 (439× on seed 0, 5× at worst). The sweep "
        "(Fig. 1.8): mean test E_RMS falls from 0.77 at ln λ_B = −40 to 0.36 near ln λ_B = −8 "
        "and rises again (0.61 at ln λ_B = 0) as the train E_RMS climbs from 0. Gradient descent "
        "gets nowhere near: with --solver gd (Adam lr 0.01, 5000 full-batch epochs) over seeds "
        "0–4 the train E_RMS stays at 0.17–0.26 and ‖w‖ at 12–45, and λ = 1.5e-9 changes nothing "
        "(test loss within 1e-5 of λ = 0's). Why: x¹…x⁹ on [0, 1] are nearly collinear (the "
        "features' condition number is about 1.5e7, the loss's curvature ratio its square), so "
        "the huge coefficients lie along directions that gradient steps barely move; stopping "
        "early regularizes (test E_RMS 0.26–0.45), decay at this λ does not."
    ),
    "double-descent": (
        "Test loss against the number of training examples n for d = 100 inputs, each point the "
        "exact solution, averaged over 20 data draws (wdtui sweep --preset double-descent). "
        "λ = 0 is the minimum-norm least-squares fit (the pseudo-inverse): its mean test loss "
        "rises from 0.96 at n = 60 to about 2e4 at n = 101, where the examples just suffice to "
        "interpolate the 101 parameters (100 weights and the bias), then falls to 0.38 at "
        "n = 300. Nakkiran et al.'s λ_opt = dσ²/‖β*‖² = 25 is for Σ(y − xᵀβ)² + λ·‖β‖², a sum "
        "over the examples; divided by n that is MSE + (λ/n)·‖β‖², the project's l2 at 2λ/n, "
        "so here λ_opt depends on n: at n = d it is 2σ²/‖β*‖² = 0.5, the preset's λ. With "
        "λ = 0.5 the curve falls from 1.2 at n = 10 to 0.61 at n = 100 and 0.39 at n = 300, "
        "never rising more than 5 % from one n to the next (the 20-draw mean's noise): the peak "
        "is gone. Smaller λ only soften it (λ = 0.005 still peaks at 2.7 near n = 100); λ = 5 "
        "has no peak but its bias stays (0.82 at n = 300). The floor is the noise, σ² = 0.25. "
        "Why: near n = p the smallest singular value of X is close to 0 and the pseudo-inverse "
        "multiplies the noise by its inverse; any λ > 0 bounds that factor."
    ),
}
