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
        "Over seeds 0–9 with the preset as it is: mean test MSE 0.012–0.014 at λ = 0 and 0.046 at "
        "λ = 0.01 (float rounding moves the means by up to 0.001 between CPUs, and one seed's λ = 0 "
        "result by up to 0.011), worse on 10 of 10 seeds (λ = 0.001 too: 0.016, worse on 9 or 10 of "
        "10 by CPU). ‖w‖ falls from about 9.7 to 3.55. Why: 100 points with noise σ = 0.1 leave little to overfit — λ = 0 is already "
        "near the noise floor σ² = 0.01 of the noisy test targets — so decay only adds bias. "
        "The demo's claim that decay improves the fit "
        "does not hold in its own setting; sine-overfit is where it does."
    ),
    "sine-overfit": (
        "20 points with noise 0.3, 3000 epochs: here decay helps. Over seeds 0–19: mean test MSE "
        "0.148 at λ = 0, 0.116 at λ = 1e-3 (better on 20 of 20 seeds) and 0.115 at the preset's "
        "λ = 5e-3 (better on at least 16 of 20 seeds: 17 or 18 on the CPUs measured, as float "
        "rounding tips the near-ties; mean paired improvement 0.031–0.034); float rounding moves "
        "these means by up to 0.002 between CPUs. The noisy test targets put a floor at σ² = 0.09. "
        "Why: with 20 points the 64-unit net bends to the noise (‖w‖ about 19.5); decay keeps it "
        "small (about 4 at 5e-3) and the curve smooth. Run a sweep (w) to see the flat minimum. "
        "The app opens on seed 0, a near-tie: at the preset's λ its test loss is within 0.002 of "
        "λ = 0's (both about 0.124; a little worse in float32 on the CPUs measured, a little "
        "better in float64), and 0.118–0.121 at λ = 1e-3 (by CPU); the sidebar's "
        "\"regenerate (seed + 1)\" draws the other seeds."
    ),
    "d2l": (
        "The book's experiment as it is: 20 examples in 200 dimensions, weights from N(0, 1). Look "
        "at ‖w‖ and where it comes from. At λ = 0 the final ‖w‖ (12.3–14.3 over seeds 0–4) equals, "
        "to 3 decimals, the part of the initial weights orthogonal to the 20 training inputs: no "
        "gradient step touches it, so the huge test loss (64–98) is leftover initialization, not "
        "learned overfitting. At λ = 3 each step multiplies that part by 1 − η·λ: "
        "(1 − 0.009)^400 ≈ 0.027, so ‖w‖ is 0.33–0.39 and test 0.064–0.084 — an unfinished "
        "transient, not the ridge solution (‖w‖ 0.030–0.035, test 0.0067–0.011; the converged "
        "answer, drawn as \"ridge λ=3\" on the fit chart, which here plots each weight by its index). The article's code used λ = 10: "
        "(1 − 0.03)^400 ≈ 5e-6, the leftover is gone and ‖w‖ (0.021–0.024) and test loss "
        "(0.0068–0.012) are the ridge solution's, though the weights still differ from it by "
        "13–61 %: not mini-batch noise (full-batch training for the same 400 steps differs as much) "
        "but the bias, which is not decayed and keeps (1 − 0.003)^400 ≈ 0.30 of its initial error. With --init zero the leftover is 0 and λ = 0 reaches test 0.0071–0.0125, "
        "1.02–1.11 times the ridge solution's at λ = 3."
    ),
    "quadratic": (
        "A LayerNorm demo whose ‖w‖ chart misleads. Each of the 4 hidden Linear layers feeds a "
        "LayerNorm, so it is scale-invariant: multiply its weight and bias by c > 0 and the model "
        "computes the same function. Decay cannot make those layers simpler; in general shrinking "
        "them lets the next steps turn them by larger angles — a larger effective learning rate "
        "(van Laarhoven 2017; Zhang et al. 2019). Here, with Adam, over seeds 0–2, λ 0.01 → 0.1 "
        "shrinks the hidden layers by under a fifth and moves the total ‖w‖ by under 5 % (about "
        "26.5 → 25.9): more than 75 % of ‖w‖² is the last LayerNorm's "
        "gain and bias and the output layer, which decay barely moves. Look at the per-layer norms "
        "(the Layers tab, key 4: the four hidden layers are marked ⟂), not at the total or the "
        "shrinking histograms; the two runs' angles per step are drawn there too. With Adam and coupled decay no equilibrium "
        "formula applies, so no predicted angle is drawn; the equilibrium preset shows one that does."
    ),
    "sparse": (
        "L1 against L2 at the same λ = 0.2, with plain SGD, where proximal l1 is exactly the Lasso "
        "(ISTA); 45 of the 50 true weights are 0. Over seeds 0–4: l1 sets 36–42 weights exactly "
        "to 0 and reaches test MSE 0.32–0.49; l2 has no zero and test 4.8–7.7, worse than no "
        "decay on 3 of 5 seeds and on average (6.15 against 4.93): it shrinks the 5 real weights "
        "along with the others. l1-subgradient (λ·Σ|w| in the loss, as the seed article) reaches the same test loss within 0.02 but never an "
        "exact 0. The test floor is σ² = 0.25. With Adam, l1 is no Lasso: λ = 2 zeroes all 50 "
        "weights whatever the data."
    ),
    "digits": (
        "The CIFAR-10 tutorial's CNN and SGD(lr=0.01, weight_decay=0.01) on 300 digit images, "
        "with momentum 0.9 added (see the README). Decay shrinks the weights (‖w‖ "
        "10.5 → 8.35 on average) but does not raise test accuracy: over seeds 0–4, 92.7–92.8 % at "
        "λ = 0 against 91.5–91.6 % at λ = 0.01 (means from two measurements; float rounding moves "
        "them by about 0.1 point between CPUs), lower on 5 of 5 seeds (paired difference −1.2 "
        "points, standard error 0.23–0.25; benchmarks/lessons_digits.py). The tests check the same "
        "direction on the shipped seed."
    ),
    "dropout": (
        "Dropout 0.5 at λ = 0 against weight decay 0.01 without dropout, on the digits CNN, 150 "
        "epochs. Over seeds 0–4 dropout ends higher on 5 of 5: test accuracy 94.9 % ± 0.7 "
        "against 92.6 % ± 1.6 (mean ± standard deviation), a paired gap of +2.3 ± 0.7 points "
        "(standard error) that ranges from +0.5 (seed 1) to +4.7 (seed 0; +4.8 in wdtui run, "
        "which trains the two as one batched model: float32 rounds them differently); decay "
        "keeps ‖w‖ "
        "smaller (8.0–8.2 against 11.9–12.2). One seed's gap says little: it can be a ninth of "
        "another's (benchmarks/lessons_digits.py --dropout)."
    ),
    "cifar10": (
        "The tutorial's exact network on CIFAR-10 from --data-dir, SGD weight_decay 0 vs 0.01, 10 "
        "epochs. Guidance, not a measurement (the data is not shipped, so wdtui's tests cannot run "
        "it): the network has no activation functions — max-pooling is its only nonlinearity. "
        "The decay itself is arithmetic: each step multiplies the weights by 1 − η·λ = 1 − 1e-4, "
        "and 10 epochs of the 50,000 training images in batches of 64 are 7,820 steps, so a "
        "weight the gradient does not hold up shrinks to (1 − 1e-4)^7820 ≈ 0.46 of its size: "
        "expect the ‖w‖ curves to part. Whether test accuracy parts too (chance is 10 %) is the "
        "question; train more than one seed (wdtui sweep --preset cifar10 --data-dir DIR "
        "--lambdas 0 0.01 --seeds 3) and read the gap against the spread between seeds."
    ),
    "custom": (
        "Your own data with an MLP and AdamW-style decoupled decay, λ 0 vs 1e-3. Nothing about "
        "your data is known in advance; what is known is the decay's own pull: η·λ = 1e-6 per "
        "step (Adam lr 1e-3), and 200 epochs in batches of 64 take 200·⌈N/64⌉ steps, so a weight "
        "the gradient does not hold up keeps (1 − 1e-6)^(200·⌈N/64⌉) of its size: 0.97 for "
        "N = 10,000 training rows, 0.73 for 100,000 — a gentle decay; expect the two runs to stay "
        "close unless λ is raised. A sweep (w, or wdtui sweep --data FILE --seeds 3) holds out "
        "20 % of the training rows to choose λ, reports the test loss beside it, and says when no "
        "λ beats λ = 0."
    ),
    # --- grokking and equilibrium (issue 13) ---
    "grokking": (
        "(a + b) mod 67 with half of the 4,489 pairs for training, full-batch AdamW; watch the "
        "accuracy chart (log epochs). Over seeds 0–2 at λ = 1: the training pairs are memorized "
        "first (train ≥ 99 % at step 246–255, test still near 0), test accuracy passes 50 % at "
        "1,414–1,539 and 90 % at 2,480–2,862 — about ten times later — and ends at 94.6–97.0 % after "
        "4,000 steps. At λ = 0 the net memorizes as fast (196–201 steps) and never generalizes "
        "(test ≤ 0.9 %, below the 1.5 % of guessing). These ranges span the seeds measured twice: at "
        "every step, and as the app measures (every 3rd step after the 10th, so up to 2 steps late). "
        "‖w‖ starts at about 8 and grows in "
        "both runs: to 188–190 without decay, to a peak of about 109 with it, then falls only "
        "slightly (to 106–107) while test accuracy climbs. The Omnigrok picture of ‖w‖ shrinking "
        "into a generalizing zone needs a large initialization; here decay's effect is the 1.8× "
        "smaller norm. benchmarks/lessons_nn.py measures this; the tests check it at p = 31."
    ),
    "equilibrium": (
        "Both hidden Linear layers feed a LayerNorm, so they are scale-invariant (marked ⟂ on the "
        "Layers tab, key 4): decay cannot simplify them, it sets how far each SGD step turns them. "
        "Balancing the shrink (1 − ηλ) against a step orthogonal to w predicts an angle per step "
        "of arccos(1 − ηλ) ≈ √(2ηλ), the gray line (derivation in lessons/equilibrium.py). Over "
        "seeds 0–2, averaged over the last 50 epochs: at λ = 0.05 (ηλ = 5e-3, predicted 0.100 "
        "rad) the RMS angle per step is 0.98–1.00 of the prediction in both layers; at λ = 0.02 "
        "(0.063 rad) 0.92–0.99, and it stays about there (0.91–0.99) to epoch 300 (the norm's relaxation time "
        "1/(2ηλ) is 12.5 epochs: a steady shortfall, not a transient). Equal η·λ behave alike: "
        "η = 0.05, λ = 0.1 turns by 0.98–1.00 of the same 0.100 rad, and its norms are smaller "
        "(‖W₁‖ 1.8–1.9 against 2.7–2.8, 1.48–1.51 times; ‖W₂‖ 1.41–1.45 times), near the √2 ≈ 1.41 "
        "that ‖w‖ ∝ √η predicts for SGD, so η/‖w‖² is about the same. Test accuracy jumps from epoch to epoch at these "
        "large angles (last-50-epoch means about 82–86 % at λ = 0.05 and 88–94 % at λ = 0.02 over "
        "seeds 0–2, float32 and float64: which seed is highest changes with the rounding). Measured "
        "on one CPU (benchmarks/lessons_nn.py equilibrium); the tests check seed 0 at λ = 0.05."
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
        "0–4 the train E_RMS stays at 0.16–0.26 and ‖w‖ at 12.5–44.6, and λ = 1.5e-9 changes nothing "
        "(test loss within 1e-5 of λ = 0's). Why: x¹…x⁹ on [0, 1] are nearly collinear (the "
        "features' condition number is about 1.5e7, the loss's curvature ratio its square), so "
        "the huge coefficients lie along directions that gradient steps barely move; stopping "
        "early regularizes (test E_RMS 0.26–0.45), decay at this λ does not."
    ),
    "double-descent": (
        "Test loss against the number of training examples n for d = 100 inputs, each point the "
        "exact solution, averaged over 20 data draws (wdtui sweep --preset double-descent). "
        "λ = 0 is the minimum-norm least-squares fit (the pseudo-inverse): its test loss rises "
        "from about 1 at n = 60 to a peak at n = 101, where the examples just suffice to "
        "interpolate the 101 parameters (100 weights and the bias), then falls to 0.38 at "
        "n = 300. The peak is heavy-tailed, so its 20-draw mean can be one draw's: 2.2e4 on seeds "
        "0–19, 207 on 20–39; over 256 draws the median is 65 and the mean about 3e3. Nakkiran et al.'s λ_opt = dσ²/‖β*‖² = 25 is for Σ(y − xᵀβ)² + λ·‖β‖², a sum "
        "over the examples; divided by n that is MSE + (λ/n)·‖β‖², the project's l2 at 2λ/n, "
        "so here λ_opt depends on n: at n = d it is 2σ²/‖β*‖² = 0.5, the preset's λ. With "
        "λ = 0.5 the curve falls from 1.2 at n = 10 to 0.61 at n = 100 and 0.39 at n = 300, "
        "never rising more than 5 % from one n to the next (the 20-draw mean's noise): the peak "
        "is gone. λ = 0.005 still peaks (2.7–2.9 near n = 100, by seed block), λ = 0.05 leaves an "
        "11 % hump; λ = 5 "
        "has no peak but its bias stays (0.82 at n = 300). The floor is the noise, σ² = 0.25. "
        "Why: near n = p the smallest singular value of X is close to 0 and the pseudo-inverse "
        "multiplies the noise by its inverse; any λ > 0 bounds that factor."
    ),
}
