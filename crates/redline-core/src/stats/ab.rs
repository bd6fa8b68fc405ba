//! Statistics for A/B experiments between two prompt variants (docs/experiments.md has the
//! formulas): fixed-horizon tests, a Bayesian chance to beat, a sample-ratio-mismatch check, a
//! power calculation, and a sequential test whose p-value stays valid however often it is read.
//!
//! The sequential test is a **randomisation e-process** (a test by betting). Routing assigns
//! each intent to B with probability `split`, whatever its outcome, so when the variants do not
//! differ the assignment `Z` of settlement `i` is independent of its acceptance `x` and of
//! everything before it: `E[Z − split | x, past] = 0`. Betting on "B's settlements have higher
//! acceptance than the running average" then gives a non-negative martingale
//! `M⁺ₙ = Π (1 + λᵢ (xᵢ − mᵢ₋₁)(Zᵢ − split))`, with `mᵢ₋₁` the mean of the outcomes so far and
//! `λᵢ` chosen from the past only; `M⁻` bets the other way, and `Eₙ = (M⁺ₙ + M⁻ₙ) / 2`. By
//! Ville's inequality `P(supₙ Eₙ ≥ 1/α) ≤ α` under the null, so the always-valid p-value
//! `pₙ = min(1, 1 / max_{k≤n} Eₖ)` may be checked after every settlement. It is exact for
//! bounded outcomes at any sample size (no normal approximation), the property the reference
//! notes favour for acceptance rates at small n (Waudby-Smith and Ramdas, 2024).

use super::Estimate;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::ln_gamma;

/// Welch's two-sample t-test, two-sided: `(t, degrees of freedom, p)`; `None` with fewer than
/// two values on a side. With no variance at all, p is 0 for different means and 1 for equal.
pub fn welch_two_sided(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let (sa, sb) = (va / a.len() as f64, vb / b.len() as f64);
    let se = (sa + sb).sqrt();
    if se == 0.0 {
        let p = if ma == mb { 1.0 } else { 0.0 };
        return Some((0.0, 0.0, p));
    }
    let t = (mb - ma) / se;
    let df = (sa + sb).powi(2)
        / (sa * sa / (a.len() - 1) as f64 + sb * sb / (b.len() - 1) as f64).max(f64::MIN_POSITIVE);
    let dist = StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom");
    Some((t, df, (2.0 * (1.0 - dist.cdf(t.abs()))).min(1.0)))
}

/// The two-proportion z-test (pooled, two-sided) of `ka / na` against `kb / nb`: `(z, p)`;
/// `None` when a side is empty. When every outcome is the same, p = 1.
pub fn two_proportion(ka: usize, na: usize, kb: usize, nb: usize) -> Option<(f64, f64)> {
    if na == 0 || nb == 0 {
        return None;
    }
    let (pa, pb) = (ka as f64 / na as f64, kb as f64 / nb as f64);
    let pooled = (ka + kb) as f64 / (na + nb) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / na as f64 + 1.0 / nb as f64)).sqrt();
    if se == 0.0 {
        return Some((0.0, 1.0));
    }
    let z = (pb - pa) / se;
    Some((z, (2.0 * (1.0 - Normal::standard().cdf(z.abs()))).min(1.0)))
}

/// The Bayesian chance that B's accepted share beats A's: `P(p_B > p_A)` with independent
/// uniform `Beta(1, 1)` priors, so posteriors `Beta(1 + k, 1 + n − k)`. Exact (Evan Miller's
/// closed form, a sum over B's successes), computed in log space.
pub fn chance_to_beat(ka: usize, na: usize, kb: usize, nb: usize) -> f64 {
    let (aa, ba) = (1.0 + ka as f64, 1.0 + (na - ka) as f64);
    let (ab, bb) = (1 + kb, 1.0 + (nb - kb) as f64);
    let ln_beta = |x: f64, y: f64| ln_gamma(x) + ln_gamma(y) - ln_gamma(x + y);
    let base = ln_beta(aa, ba);
    let mut total = 0.0;
    for i in 0..ab {
        let i = i as f64;
        total += (ln_beta(aa + i, ba + bb) - (bb + i).ln() - ln_beta(1.0 + i, bb) - base).exp();
    }
    total.clamp(0.0, 1.0)
}

/// The sample-ratio-mismatch check: a chi-square goodness-of-fit test (1 degree of freedom)
/// of the arm counts against the planned split (the share routed to B). Returns the p-value;
/// below [`SRM_ALPHA`] the split is broken and results must not be trusted.
pub fn sample_ratio_p(na: usize, nb: usize, split: f64) -> Option<f64> {
    let n = (na + nb) as f64;
    if n == 0.0 || !(0.0..1.0).contains(&split) || split == 0.0 {
        return None;
    }
    let (ea, eb) = (n * (1.0 - split), n * split);
    let chi = (na as f64 - ea).powi(2) / ea + (nb as f64 - eb).powi(2) / eb;
    let dist = ChiSquared::new(1.0).expect("one degree of freedom");
    Some(1.0 - dist.cdf(chi))
}

/// The strict threshold of the sample-ratio-mismatch check (as GrowthBook uses).
pub const SRM_ALPHA: f64 = 0.001;

/// Settlements needed per arm `(A, B)` to detect a difference `mde` in mean acceptance with a
/// two-sided test at level `alpha` and the given power, when acceptance has standard deviation
/// `sd` and B gets `split` of the traffic:
/// `N = (z₁₋α/₂ + z_power)² · sd² · (1/split + 1/(1 − split)) / mde²`, shared in the split.
pub fn sample_size(mde: f64, sd: f64, split: f64, alpha: f64, power: f64) -> Option<(u64, u64)> {
    if !(mde > 0.0 && sd > 0.0 && split > 0.0 && split < 1.0) {
        return None;
    }
    let normal = Normal::standard();
    let z = normal.inverse_cdf(1.0 - alpha / 2.0) + normal.inverse_cdf(power);
    let total = z * z * sd * sd * (1.0 / split + 1.0 / (1.0 - split)) / (mde * mde);
    Some((
        (total * (1.0 - split)).ceil() as u64,
        (total * split).ceil() as u64,
    ))
}

/// Settlements needed per arm `(A, B)` for an equivalence test (TOST, two one-sided tests at
/// level `alpha` with margins ±`margin`) to show "alike" with the given power when the variants
/// truly do not differ: `N = (z₁₋α + z₁₋β/₂)² · sd² · (1/split + 1/(1 − split)) / margin²`
/// (Lakens 2017; larger than [`sample_size`]'s for a difference of the same size).
pub fn equivalence_sample_size(
    margin: f64,
    sd: f64,
    split: f64,
    alpha: f64,
    power: f64,
) -> Option<(u64, u64)> {
    if !(margin > 0.0 && sd > 0.0 && split > 0.0 && split < 1.0) {
        return None;
    }
    let normal = Normal::standard();
    let z = normal.inverse_cdf(1.0 - alpha) + normal.inverse_cdf(1.0 - (1.0 - power) / 2.0);
    let total = z * z * sd * sd * (1.0 / split + 1.0 / (1.0 - split)) / (margin * margin);
    Some((
        (total * (1.0 - split)).ceil() as u64,
        (total * split).ceil() as u64,
    ))
}

/// The power the sequential plan aims for under its model outcome, a little above the
/// product's 80% so that other outcome shapes with the same spread still get 80%.
pub const SEQUENTIAL_PLAN_POWER: f64 = 0.85;
/// Simulated experiments behind a sequential plan.
const PLAN_RUNS: u64 = 1000;

/// Settlements needed per arm `(A, B)` for the [`Sequential`] test — the test that decides —
/// to find a true difference of `mde` with probability [`SEQUENTIAL_PLAN_POWER`] at level
/// `alpha`, checked after every settlement. An always-valid test pays for being readable at
/// any time with a larger sample than a fixed-horizon one ([`sample_size`]; 1.7–2.5× here),
/// and the factor depends on the effect, the spread and the split, so it is not a constant:
/// the plan simulates the test itself ([`PLAN_RUNS`] seeded experiments whose acceptances lie
/// `sd` either side of their arm's mean, the arms `mde` apart, B getting `split` of the
/// traffic) and takes the settlement count by which that share of them has decided. Seeded:
/// the same inputs always give the same plan.
pub fn sequential_sample_size(mde: f64, sd: f64, split: f64, alpha: f64) -> Option<(u64, u64)> {
    let (fa, fb) = sample_size(mde, sd, split, alpha, 0.8)?;
    let fixed = fa + fb;
    // Beyond this the simulation would take long; the factor is then extrapolated.
    const MAX_SIMULATED: u64 = 40_000;
    let limit = 6 * fixed;
    let total = if fixed > MAX_SIMULATED {
        (fixed as f64 * 2.0).ceil() as u64
    } else {
        let mut stops: Vec<u64> = (0..PLAN_RUNS)
            .map(|run| {
                let mut rng = crate::rng::Rng(0x9e37_79b9 ^ run.wrapping_mul(0x2545_f491));
                let mut test = Sequential::new(split);
                for n in 1..=limit {
                    let is_b = rng.unit() < split;
                    let mean = 0.5 + if is_b { mde / 2.0 } else { -mde / 2.0 };
                    let x = if rng.unit() < 0.5 {
                        mean - sd
                    } else {
                        mean + sd
                    };
                    test.push(x, is_b);
                    if test.result().p_value <= alpha {
                        return n;
                    }
                }
                u64::MAX
            })
            .collect();
        stops.sort_unstable();
        let at = ((SEQUENTIAL_PLAN_POWER * PLAN_RUNS as f64).ceil() as usize).min(stops.len()) - 1;
        stops[at].min(limit).max(fixed)
    };
    let total = total as f64;
    Some((
        (total * (1.0 - split)).ceil() as u64,
        (total * split).ceil() as u64,
    ))
}

/// The level of each one-sided test of the equivalence test: 2.5%, so that "alike" is said
/// wrongly in at most 2.5% of experiments whose true difference is exactly the margin (and
/// stays under 5% when the result is read again after the planned sample).
pub const EQUIVALENCE_ALPHA: f64 = 0.025;

/// What an equivalence test (TOST) says about B − A.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Equivalence {
    /// B − A with its 95% Welch interval (the interval TOST at 2.5% a side reads).
    pub difference: Estimate,
    pub margin: f64,
    /// The interval lies inside (−margin, +margin): the variants are alike within it.
    pub equivalent: bool,
}

/// TOST of B − A against ±`margin`, each one-sided test at [`EQUIVALENCE_ALPHA`] (Lakens
/// 2017): both reject exactly when the 1 − 2α interval (95%) lies within the margins.
pub fn equivalence(a: &[f64], b: &[f64], margin: f64) -> Option<Equivalence> {
    let d = super::mean_difference_at(b, a, 1.0 - 2.0 * EQUIVALENCE_ALPHA)?;
    let equivalent = d.low? > -margin && d.high? < margin;
    Some(Equivalence {
        difference: d,
        margin,
        equivalent,
    })
}

/// B − A adjusted for strata (post-stratification): each stratum's difference of means,
/// weighted by its share of the settlements.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stratified {
    /// B − A with a normal 95% interval.
    pub difference: Estimate,
    /// Strata with at least two settlements in each arm (the others are left out).
    pub strata: usize,
    /// 1 − (the adjusted estimate's variance ÷ the unadjusted one's), over the same
    /// settlements: how much narrower the strata make the interval's square. Negative when
    /// stratifying does not pay.
    pub variance_reduction: f64,
}

/// Post-stratified B − A over `strata` of (A values, B values) (e.g. per intent type):
/// `Δ = Σ wₖ (m̄_Bₖ − m̄_Aₖ)`, `Var = Σ wₖ² (s²_Aₖ/n_Aₖ + s²_Bₖ/n_Bₖ)`, `wₖ = nₖ / n`, over the
/// strata with at least two settlements in each arm; `None` when there are none.
pub fn stratified(strata: &[(&[f64], &[f64])]) -> Option<Stratified> {
    let used: Vec<&(&[f64], &[f64])> = strata
        .iter()
        .filter(|(a, b)| a.len() >= 2 && b.len() >= 2)
        .collect();
    if used.is_empty() {
        return None;
    }
    let n: usize = used.iter().map(|(a, b)| a.len() + b.len()).sum();
    let (mut d, mut var) = (0.0, 0.0);
    for (a, b) in &used {
        let w = (a.len() + b.len()) as f64 / n as f64;
        let ((ma, va), (mb, vb)) = (mean_var(a), mean_var(b));
        d += w * (mb - ma);
        var += w * w * (va / a.len() as f64 + vb / b.len() as f64);
    }
    let all_a: Vec<f64> = used.iter().flat_map(|(a, _)| a.iter().copied()).collect();
    let all_b: Vec<f64> = used.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let ((_, va), (_, vb)) = (mean_var(&all_a), mean_var(&all_b));
    let plain = va / all_a.len() as f64 + vb / all_b.len() as f64;
    let z = Normal::standard().inverse_cdf(0.975);
    let se = var.sqrt();
    Some(Stratified {
        difference: Estimate {
            value: d,
            low: Some(d - z * se),
            high: Some(d + z * se),
            n,
        },
        strata: used.len(),
        variance_reduction: if plain > 0.0 { 1.0 - var / plain } else { 0.0 },
    })
}

/// The state of the sequential test after some settlements; feed it one at a time, in the
/// order they arrived.
#[derive(Clone, Debug)]
pub struct Sequential {
    split: f64,
    /// Wealth of the bet on B (`M⁺`) and on A (`M⁻`).
    up: f64,
    down: f64,
    /// The largest `(M⁺ + M⁻) / 2` so far.
    best: f64,
    /// Running mean of the outcomes.
    n: u64,
    mean: f64,
    /// Running sums of the bet's payoff `u = (x − m)(Z − split)`.
    sum_u: f64,
    sum_u2: f64,
}

/// What the sequential test says now.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SequentialResult {
    /// Settlements fed so far.
    pub n: u64,
    /// The e-value `(M⁺ + M⁻) / 2` now.
    pub e_value: f64,
    /// The always-valid p-value: `min(1, 1 / the largest e-value so far)`.
    pub p_value: f64,
}

impl Sequential {
    /// A fresh test for an experiment that routes `split` of the traffic to B.
    pub fn new(split: f64) -> Sequential {
        Sequential {
            split: split.clamp(1e-6, 1.0 - 1e-6),
            up: 1.0,
            down: 1.0,
            best: 1.0,
            n: 0,
            mean: 0.5,
            sum_u: 0.0,
            sum_u2: 0.0,
        }
    }

    /// Add one settlement: its acceptance in [0, 1] and whether it was routed to B.
    pub fn push(&mut self, acceptance: f64, is_b: bool) {
        let x = acceptance.clamp(0.0, 1.0);
        let z = if is_b { 1.0 } else { 0.0 };
        // The bet size comes from the past only (a predictable plug-in of the growth-optimal
        // fraction μ / (σ² + μ²), as in aGRAPA), capped so wealth never falls below half.
        let cap = 0.5 / self.split.max(1.0 - self.split);
        let k = self.n as f64;
        // A weak prior (as if 4 earlier payoffs with mean 0 and variance 0.25 · s(1 − s)) keeps
        // the first bets small.
        let prior_var = 0.25 * self.split * (1.0 - self.split);
        let mu = self.sum_u / (k + 4.0);
        let second = (self.sum_u2 + 4.0 * prior_var) / (k + 4.0);
        let lambda_up = (mu / second.max(1e-9)).clamp(0.0, cap);
        let lambda_down = (-mu / second.max(1e-9)).clamp(0.0, cap);
        let u = (x - self.mean) * (z - self.split);
        self.up *= 1.0 + lambda_up * u;
        self.down *= 1.0 - lambda_down * u;
        self.best = self.best.max((self.up + self.down) / 2.0);
        self.sum_u += u;
        self.sum_u2 += u * u;
        self.n += 1;
        self.mean += (x - self.mean) / self.n as f64;
    }

    pub fn result(&self) -> SequentialResult {
        SequentialResult {
            n: self.n,
            e_value: (self.up + self.down) / 2.0,
            p_value: (1.0 / self.best).min(1.0),
        }
    }
}

/// The difference of means B − A with its Welch 95% interval.
pub fn difference(a: &[f64], b: &[f64]) -> Option<Estimate> {
    super::mean_difference(b, a)
}

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var)
}

#[cfg(test)]
mod tests;
