//! Small, well-known statistics with their sources; the formulas are written out in
//! docs/metrics.md. Pure functions over slices.

pub mod ab;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// A point estimate with a 95% interval. `low`/`high` are `None` when the sample is too small
/// for an interval (fewer than two values for a mean).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub n: usize,
}

/// The mean with a 95% Student-t interval, clamped to `[lo, hi]` (acceptance lives in 0..1).
pub fn mean_ci(values: &[f64], lo: f64, hi: f64) -> Option<Estimate> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some(Estimate {
            value: mean,
            low: None,
            high: None,
            n,
        });
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (var / n as f64).sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .expect("valid degrees of freedom")
        .inverse_cdf(0.975);
    Some(Estimate {
        value: mean,
        low: Some((mean - t * se).clamp(lo, hi)),
        high: Some((mean + t * se).clamp(lo, hi)),
        n,
    })
}

/// A proportion with its 95% Wilson score interval (good at small n and near 0 or 1).
pub fn wilson(successes: usize, n: usize) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let z = Normal::standard().inverse_cdf(0.975);
    let nf = n as f64;
    let p = successes as f64 / nf;
    let denom = 1.0 + z * z / nf;
    let centre = (p + z * z / (2.0 * nf)) / denom;
    let half = z * ((p * (1.0 - p) / nf + z * z / (4.0 * nf * nf)).sqrt()) / denom;
    // At 0 and n successes the bounds are exactly 0 and 1; keep rounding from hiding that.
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some(Estimate {
        value: p,
        low: Some(low),
        high: Some(high),
        n,
    })
}

/// The chance of `k` or more successes in `n` trials of chance `p` each: the one-sided p-value
/// of `k` of `n` against the rate `p` (exact, by the regularised incomplete beta function).
pub fn binomial_at_least(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    if k == n {
        // All of them: p^n, the least p-value n trials can give (asked for often, and cheap).
        return p.powf(n as f64);
    }
    statrs::function::beta::beta_reg(k as f64, (n - k + 1) as f64, p).clamp(0.0, 1.0)
}

/// The chance that `k` or more of `drawn` items drawn without replacement from `total`, of which
/// `marked` are marked, are marked: Fisher's exact test, one-sided (the hypergeometric tail).
pub fn hypergeometric_at_least(k: usize, drawn: usize, marked: usize, total: usize) -> f64 {
    use statrs::function::factorial::ln_binomial;
    if k == 0 {
        return 1.0;
    }
    let (drawn, marked) = (drawn.min(total), marked.min(total));
    let top = drawn.min(marked);
    if k > top {
        return 0.0;
    }
    let ln = |n: usize, r: usize| ln_binomial(n as u64, r as u64);
    let all = ln(total, drawn);
    let mut p = 0.0;
    for x in k..=top {
        if drawn - x > total - marked {
            continue;
        }
        p += (ln(marked, x) + ln(total - marked, drawn - x) - all).exp();
    }
    p.clamp(0.0, 1.0)
}

/// The median (the mean of the two middle values for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 0 {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tail_by_hand() {
        // P(X >= 2), X ~ Bin(3, 0.5) = (3 + 1) / 8.
        assert!((binomial_at_least(2, 3, 0.5) - 0.5).abs() < 1e-12);
        // P(X >= 6), X ~ Bin(7, 0.37): 7 · 0.37^6 · 0.63 + 0.37^7.
        let want = 7.0 * 0.37f64.powi(6) * 0.63 + 0.37f64.powi(7);
        assert!((binomial_at_least(6, 7, 0.37) - want).abs() < 1e-12);
        assert_eq!(binomial_at_least(0, 10, 0.1), 1.0);
        assert_eq!(binomial_at_least(11, 10, 0.1), 0.0);
        assert_eq!(binomial_at_least(3, 10, 0.0), 0.0);
        assert_eq!(binomial_at_least(3, 10, 1.0), 1.0);
        // All of them: p^n.
        assert!((binomial_at_least(5, 5, 0.2) - 0.2f64.powi(5)).abs() < 1e-15);
    }

    #[test]
    fn hypergeometric_tail_by_hand() {
        // 3 marked of 10, 4 drawn: P(X >= 2) = (C(3,2)·C(7,2) + C(3,3)·C(7,1)) / C(10,4).
        let want = (3.0 * 21.0 + 7.0) / 210.0;
        assert!((hypergeometric_at_least(2, 4, 3, 10) - want).abs() < 1e-12);
        assert_eq!(hypergeometric_at_least(0, 4, 3, 10), 1.0);
        assert_eq!(hypergeometric_at_least(4, 4, 3, 10), 0.0);
        // Every item marked: all drawn are marked.
        assert!((hypergeometric_at_least(4, 4, 10, 10) - 1.0).abs() < 1e-12);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn mean_interval_by_hand() {
        // mean 0.5, sd = 0.1581, se = 0.0707, t(4, .975) = 2.7764 → ±0.1963
        let e = mean_ci(&[0.3, 0.4, 0.5, 0.6, 0.7], 0.0, 1.0).unwrap();
        assert!(close(e.value, 0.5));
        assert!(close(e.low.unwrap(), 0.3037), "{e:?}");
        assert!(close(e.high.unwrap(), 0.6963), "{e:?}");
        // One value: no interval. Identical values: a zero-width one.
        assert_eq!(mean_ci(&[0.8], 0.0, 1.0).unwrap().low, None);
        let same = mean_ci(&[0.9; 4], 0.0, 1.0).unwrap();
        assert!(close(same.low.unwrap(), 0.9) && close(same.high.unwrap(), 0.9));
        assert!(mean_ci(&[], 0.0, 1.0).is_none());
        // Clamped to the bounds.
        assert_eq!(mean_ci(&[1.0, 1.0, 0.2], 0.0, 1.0).unwrap().high, Some(1.0));
    }

    #[test]
    fn wilson_by_hand() {
        // 8 of 10: centre 0.7167, half-width 0.2334 → [0.4902, 0.9433]
        let e = wilson(8, 10).unwrap();
        assert!(close(e.low.unwrap(), 0.4902), "{e:?}");
        assert!(close(e.high.unwrap(), 0.9433), "{e:?}");
        let zero = wilson(0, 5).unwrap();
        assert_eq!(zero.low, Some(0.0));
        assert!(zero.high.unwrap() > 0.4);
        assert!(wilson(0, 0).is_none());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}

/// Welch's two-sample t-test of `mean(a) > mean(b)` (one-sided): the p-value, or `None` with
/// fewer than two values on a side. With zero variance on both sides the p-value is 0 for a
/// positive difference and 1 otherwise.
pub fn welch_greater(a: &[f64], b: &[f64]) -> Option<f64> {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (var(a, ma) / na, var(b, mb) / nb);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some(if ma > mb { 0.0 } else { 1.0 });
    }
    let t = (ma - mb) / se;
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let dist = StudentsT::new(0.0, 1.0, df).expect("positive degrees of freedom");
    Some(1.0 - dist.cdf(t))
}

#[cfg(test)]
mod welch_tests {
    use super::*;

    #[test]
    fn welch_by_hand() {
        // a: mean 0.8, b: mean 0.6, each variance 0.00625 over n = 5 → se = √(2 · 0.00125)
        // = 0.05, t = 4.0, Welch df = 8 → one-sided p = 0.001975.
        let a = [0.7, 0.75, 0.8, 0.85, 0.9];
        let b = [0.5, 0.55, 0.6, 0.65, 0.7];
        let p = welch_greater(&a, &b).unwrap();
        assert!((p - 0.001975).abs() < 1e-5, "{p}");
        let q = welch_greater(&b, &a).unwrap();
        assert!(q > 0.99, "{q}");
        assert_eq!(welch_greater(&[0.5], &b), None);
        assert_eq!(welch_greater(&[0.9, 0.9], &[0.5, 0.5]), Some(0.0));
    }
}

/// The Mann–Whitney U test of two independent samples (two-sided, normal approximation with
/// tie correction and continuity correction), suited to bounded, non-normal data such as
/// acceptance rates. Returns `(U of a, p-value, rank-biserial r = 2U/(n_a n_b) − 1)`; `None`
/// when a side is empty. r > 0 means values in `a` tend to be larger.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    let (na, nb) = (a.len(), b.len());
    if na == 0 || nb == 0 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_sum_a, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let average_rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        rank_sum_a += all[i..=j].iter().filter(|x| x.1).count() as f64 * average_rank;
        i = j + 1;
    }
    let (naf, nbf, nf) = (na as f64, nb as f64, n as f64);
    let u = rank_sum_a - naf * (naf + 1.0) / 2.0;
    let mean = naf * nbf / 2.0;
    let var = naf * nbf / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)).max(1.0));
    let r = 2.0 * u / (naf * nbf) - 1.0;
    if var <= 0.0 {
        return Some((u, 1.0, r));
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    let p = 2.0 * (1.0 - Normal::standard().cdf(z));
    Some((u, p.min(1.0), r))
}

/// The difference of two means with a 95% Welch interval.
pub fn mean_difference(a: &[f64], b: &[f64]) -> Option<Estimate> {
    mean_difference_at(a, b, 0.95)
}

/// The difference of two means `a − b` with a Welch interval of confidence `level`.
pub fn mean_difference_at(a: &[f64], b: &[f64], level: f64) -> Option<Estimate> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (var(a, ma) / a.len() as f64, var(b, mb) / b.len() as f64);
    let d = ma - mb;
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some(Estimate {
            value: d,
            low: Some(d),
            high: Some(d),
            n: a.len() + b.len(),
        });
    }
    let df = (va + vb).powi(2) / (va * va / (a.len() - 1) as f64 + vb * vb / (b.len() - 1) as f64);
    let t = StudentsT::new(0.0, 1.0, df)
        .expect("positive degrees of freedom")
        .inverse_cdf(0.5 + level / 2.0);
    Some(Estimate {
        value: d,
        low: Some(d - t * se),
        high: Some(d + t * se),
        n: a.len() + b.len(),
    })
}

#[cfg(test)]
mod rank_tests {
    use super::*;

    #[test]
    fn mann_whitney_by_hand() {
        // U = 0, mean 4.5, sd √5.25 = 2.2913, z = (4.5 − 0.5) / 2.2913 = 1.7457 → p = 0.0809
        // (as scipy's asymptotic test with continuity correction gives).
        let (u, p, r) = mann_whitney(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert_eq!(u, 0.0);
        assert!((p - 0.0809).abs() < 1e-3, "{p}");
        assert_eq!(r, -1.0);
        // Ties get average ranks: a = [1, 2, 2], b = [2, 3] → ranks 1, 3, 3 | 3, 5 → U_a = 1.
        let (u, _, _) = mann_whitney(&[1.0, 2.0, 2.0], &[2.0, 3.0]).unwrap();
        assert_eq!(u, 1.0);
        // Identical samples: nothing to see.
        let (_, p, r) = mann_whitney(&[0.5; 4], &[0.5; 3]).unwrap();
        assert_eq!((p, r), (1.0, 0.0));
        assert!(mann_whitney(&[], &[1.0]).is_none());
    }

    #[test]
    fn mean_difference_by_hand() {
        // 0.8 − 0.6 = 0.2, se 0.05, Welch df 8, t = 2.306 → [0.0847, 0.3153]
        let d =
            mean_difference(&[0.7, 0.75, 0.8, 0.85, 0.9], &[0.5, 0.55, 0.6, 0.65, 0.7]).unwrap();
        assert!((d.value - 0.2).abs() < 1e-9);
        assert!((d.low.unwrap() - 0.0847).abs() < 1e-3, "{d:?}");
        assert!((d.high.unwrap() - 0.3153).abs() < 1e-3, "{d:?}");
        assert!(mean_difference(&[0.5], &[0.5, 0.6]).is_none());
    }
}

/// Ordinary least squares of `y` on `x`: `(slope, p-value of slope ≠ 0)`; `None` with fewer
/// than three points or no spread in `x`. With a perfect fit the p-value is 0 for a non-zero
/// slope.
pub fn ols_slope(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    let n = x.len();
    if n < 3 || y.len() != n {
        return None;
    }
    let nf = n as f64;
    let (mx, my) = (x.iter().sum::<f64>() / nf, y.iter().sum::<f64>() / nf);
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let sse: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - intercept - slope * a).powi(2))
        .sum();
    let se = (sse / (nf - 2.0) / sxx).sqrt();
    if se == 0.0 {
        return Some((slope, if slope == 0.0 { 1.0 } else { 0.0 }));
    }
    let t = slope / se;
    let dist = StudentsT::new(0.0, 1.0, nf - 2.0).expect("positive degrees of freedom");
    Some((slope, 2.0 * (1.0 - dist.cdf(t.abs()))))
}

/// The Kruskal–Wallis H test across groups (tie-corrected, χ² approximation with k − 1
/// degrees of freedom): `(H, p-value, ε² = H / (N − 1))`. `None` with fewer than two non-empty
/// groups.
pub fn kruskal_wallis(groups: &[&[f64]]) -> Option<(f64, f64, f64)> {
    let values: Vec<f64> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let labels: Vec<usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, g)| std::iter::repeat_n(i, g.len()))
        .collect();
    let ranked = Ranks::of(&values);
    kruskal_wallis_ranked(&ranked, &labels, groups.len())
}

/// Average ranks (1-based, ties sharing their mean rank) of a sample, and Σ(t³ − t) over the
/// tie groups — computed once, reused by rank tests over several groupings of the same values.
pub struct Ranks {
    pub ranks: Vec<f64>,
    pub ties: f64,
}

impl Ranks {
    pub fn of(values: &[f64]) -> Ranks {
        let mut order: Vec<(f64, u32)> = values.iter().copied().zip(0u32..).collect();
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut ranks = vec![0.0; values.len()];
        let mut ties = 0.0;
        let n = order.len();
        let mut i = 0;
        while i < n {
            let mut j = i;
            while j + 1 < n && order[j + 1].0 == order[i].0 {
                j += 1;
            }
            let rank = (i + j) as f64 / 2.0 + 1.0;
            let t = (j - i + 1) as f64;
            ties += t * t * t - t;
            for (_, k) in &order[i..=j] {
                ranks[*k as usize] = rank;
            }
            i = j + 1;
        }
        Ranks { ranks, ties }
    }
}

/// Kruskal–Wallis over ranked values, value `i` in group `labels[i]` (< `k`); as
/// [`kruskal_wallis`].
pub fn kruskal_wallis_ranked(
    ranked: &Ranks,
    labels: &[usize],
    k: usize,
) -> Option<(f64, f64, f64)> {
    let mut sums = vec![0.0; k];
    let mut sizes = vec![0usize; k];
    for (r, g) in ranked.ranks.iter().zip(labels) {
        sums[*g] += r;
        sizes[*g] += 1;
    }
    let present = sizes.iter().filter(|n| **n > 0).count();
    if present < 2 {
        return None;
    }
    let nf = ranked.ranks.len() as f64;
    let h_raw = 12.0 / (nf * (nf + 1.0))
        * sums
            .iter()
            .zip(&sizes)
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| r * r / *n as f64)
            .sum::<f64>()
        - 3.0 * (nf + 1.0);
    let correction = 1.0 - ranked.ties / (nf * nf * nf - nf);
    if correction <= 0.0 {
        return Some((0.0, 1.0, 0.0));
    }
    let h = h_raw / correction;
    let chi = statrs::distribution::ChiSquared::new((present - 1) as f64).expect("positive df");
    Some((h, (1.0 - chi.cdf(h)).clamp(0.0, 1.0), h / (nf - 1.0)))
}

#[cfg(test)]
mod trend_tests {
    use super::*;

    #[test]
    fn ols_by_hand() {
        // y = 2x + noise (±0.1): slope 2 exactly by symmetry, clearly significant.
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y = [0.1, 1.9, 4.1, 5.9, 8.1];
        let (slope, p) = ols_slope(&x, &y).unwrap();
        assert!((slope - 2.0).abs() < 1e-9, "{slope}");
        assert!(p < 1e-4, "{p}");
        let (flat, p) = ols_slope(&x, &[1.0, 2.0, 1.0, 2.0, 1.5]).unwrap();
        assert!(flat.abs() < 0.2 && p > 0.5, "{flat} {p}");
        assert!(ols_slope(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_none());
        assert!(ols_slope(&[1.0, 2.0], &[1.0, 2.0]).is_none());
    }

    #[test]
    fn kruskal_wallis_by_hand() {
        // Ranks 1..9 in three groups: R = 6, 15, 24 → H = 12/90 · (12 + 75 + 192) − 30 = 7.2;
        // p = exp(−7.2 / 2) = 0.0273 (χ² with 2 df); ε² = 7.2 / 8 = 0.9.
        let (h, p, e) =
            kruskal_wallis(&[&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], &[7.0, 8.0, 9.0]]).unwrap();
        assert!((h - 7.2).abs() < 1e-9, "{h}");
        assert!((p - (-3.6f64).exp()).abs() < 1e-6, "{p}");
        assert!((e - 0.9).abs() < 1e-9);
        let (_, p, _) = kruskal_wallis(&[&[0.5, 0.5], &[0.5, 0.5]]).unwrap();
        assert_eq!(p, 1.0);
        assert!(kruskal_wallis(&[&[1.0], &[]]).is_none());
    }
}

/// Sort by bytes, least significant first (a stable counting sort per byte; a byte that every
/// value shares is skipped): linear in the values, several times faster than a comparison sort
/// on the 100k-value inputs of pattern mining.
fn radix_sort(v: &mut Vec<u64>) {
    if v.len() < 64 {
        v.sort_unstable();
        return;
    }
    let mut buf = vec![0u64; v.len()];
    for shift in (0..64).step_by(8) {
        let mut counts = [0usize; 256];
        for x in v.iter() {
            counts[((x >> shift) & 0xff) as usize] += 1;
        }
        if counts.contains(&v.len()) {
            continue;
        }
        let mut at = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = at;
            at += n;
        }
        for x in v.iter() {
            let b = ((x >> shift) & 0xff) as usize;
            buf[counts[b]] = *x;
            counts[b] += 1;
        }
        std::mem::swap(v, &mut buf);
    }
}

/// The Wilcoxon signed-rank test of paired differences (two-sided; zero differences dropped,
/// tied ranks averaged, normal approximation with the tie and continuity corrections, as
/// scipy's `wilcoxon(zero_method="wilcox", correction=True, method="approx")`).
/// Returns `(W+, p-value)`, or `None` with fewer than two non-zero differences.
pub fn wilcoxon_signed_rank(differences: &[f64]) -> Option<(f64, f64)> {
    // Each non-zero difference as its |d| (the bits of a non-negative float sort as the
    // float does) with its sign in the lowest bit: one sort of plain integers ranks them.
    let mut d: Vec<u64> = differences
        .iter()
        .filter(|x| **x != 0.0 && x.is_finite())
        .map(|x| (x.abs().to_bits() << 1) | u64::from(*x > 0.0))
        .collect();
    if d.len() < 2 {
        return None;
    }
    radix_sort(&mut d);
    let n = d.len();
    let (mut w_plus, mut ties) = (0.0, 0.0);
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && d[j + 1] >> 1 == d[i] >> 1 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        w_plus += rank * d[i..=j].iter().filter(|x| **x & 1 == 1).count() as f64;
        i = j + 1;
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - ties / 48.0;
    if var <= 0.0 {
        return Some((w_plus, 1.0));
    }
    let diff = w_plus - mean;
    let z = (diff.abs() - 0.5).max(0.0) / var.sqrt();
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    Some((w_plus, (2.0 * (1.0 - normal.cdf(z))).clamp(0.0, 1.0)))
}

#[cfg(test)]
mod wilcoxon_tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn radix_sort_sorts(mut v in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..400), small in 0u64..3) {
            // Also values that share most of their bytes (the skipped passes).
            if small > 0 {
                v.iter_mut().for_each(|x| *x = (*x % 1000) << (small * 8));
            }
            let mut expected = v.clone();
            expected.sort_unstable();
            radix_sort(&mut v);
            proptest::prop_assert_eq!(v, expected);
        }
    }

    #[test]
    fn wilcoxon_by_hand() {
        // d = 1, 2, 3, 4, 5, −6: ranks 1..6, W+ = 15, mean 10.5, var = 6·7·13/24 = 22.75;
        // z = (4.5 − 0.5) / 4.7697 = 0.8386 → p = 0.4017 (scipy: 0.40163).
        let (w, p) = wilcoxon_signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0, -6.0]).unwrap();
        assert_eq!(w, 15.0);
        assert!((p - 0.4017).abs() < 1e-3, "{p}");
        // All positive and many: clearly significant.
        let up: Vec<f64> = (1..=30).map(f64::from).collect();
        assert!(wilcoxon_signed_rank(&up).unwrap().1 < 1e-5);
        // Zeros are dropped; fewer than two left → no test.
        assert!(wilcoxon_signed_rank(&[0.0, 0.0, 1.0]).is_none());
        // Ties: |d| = 1, 1, 1, 1 with signs + + − −: W+ = 5 = mean → p = 1.
        let (w, p) = wilcoxon_signed_rank(&[1.0, 1.0, -1.0, -1.0]).unwrap();
        assert_eq!(w, 5.0);
        assert!((p - 1.0).abs() < 1e-9);
    }
}
