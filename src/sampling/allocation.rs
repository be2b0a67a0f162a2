//! Proportional allocation of a sample size across strata, with largest-remainder
//! (Hamilton) rounding so the per-stratum sizes add up exactly, and an optional minimum.
//!
//! All arithmetic is on integers, so the allocation is the same on every platform.

/// Splits `size` across strata whose eligible populations are `eligible` (in stratum order),
/// returning one target per stratum.
///
/// - `size` at least the whole population: every stratum is taken whole.
/// - Otherwise each stratum gets `size · nₕ / N` rounded down, and the units still missing
///   go one each to the strata with the largest remainders; equal remainders go to the
///   stratum that comes first in `eligible` (callers pass strata sorted by their values).
/// - `minimum`: each stratum needs at least `min(minimum, nₕ)`. Strata whose proportional
///   share falls below that are raised to it and set aside; the rest of the size is shared
///   again, proportionally, among the other strata, until no share is below its minimum.
///   If the minimums alone need more than `size`, the minimums are kept (the sample is then
///   larger than `size`; the caller warns).
pub(crate) fn allocate(size: u64, eligible: &[u64], minimum: u64) -> Vec<u64> {
    let total: u64 = eligible.iter().sum();
    if size >= total {
        return eligible.to_vec();
    }
    let floors: Vec<u64> = eligible.iter().map(|&n| n.min(minimum)).collect();
    if floors.iter().sum::<u64>() >= size {
        return floors;
    }
    let mut fixed = vec![false; eligible.len()];
    loop {
        let reserved: u64 = floors
            .iter()
            .zip(&fixed)
            .filter(|(_, fixed)| **fixed)
            .map(|(floor, _)| floor)
            .sum();
        let free: Vec<usize> = (0..eligible.len()).filter(|&i| !fixed[i]).collect();
        let free_sizes: Vec<u64> = free.iter().map(|&i| eligible[i]).collect();
        let shares = hamilton(size - reserved, &free_sizes);
        let mut below = false;
        for (&i, &share) in free.iter().zip(&shares) {
            if share < floors[i] {
                fixed[i] = true;
                below = true;
            }
        }
        if !below {
            let mut targets = floors;
            for (&i, &share) in free.iter().zip(&shares) {
                targets[i] = share;
            }
            return targets;
        }
    }
}

/// Largest-remainder rounding of `size · nₕ / N`, ties to the earlier stratum. Each share is
/// capped at its stratum so an oversized request degrades to "take all".
fn hamilton(size: u64, eligible: &[u64]) -> Vec<u64> {
    let total: u128 = eligible.iter().map(|&n| u128::from(n)).sum();
    if total == 0 {
        return vec![0; eligible.len()];
    }
    let size = u128::from(size).min(total);
    let mut shares = Vec::with_capacity(eligible.len());
    let mut remainders = Vec::with_capacity(eligible.len());
    for (i, &n) in eligible.iter().enumerate() {
        let quota = size * u128::from(n);
        shares.push(quota / total);
        remainders.push((quota % total, i));
    }
    let given: u128 = shares.iter().sum();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take((size - given) as usize) {
        shares[i] += 1;
    }
    shares
        .into_iter()
        .map(|share| u64::try_from(share).unwrap_or(u64::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_proportions_need_no_rounding() {
        // 10 · 50/100 = 5, 10 · 30/100 = 3, 10 · 20/100 = 2.
        assert_eq!(allocate(10, &[50, 30, 20], 0), vec![5, 3, 2]);
    }

    #[test]
    fn equal_remainders_go_to_the_first_strata() {
        // 7 · 10/30 = 2.333… each: floors 2/2/2, one unit left, all remainders equal.
        assert_eq!(allocate(7, &[10, 10, 10], 0), vec![3, 2, 2]);
        // 8 over the same strata: two units left, to the first two.
        assert_eq!(allocate(8, &[10, 10, 10], 0), vec![3, 3, 2]);
    }

    #[test]
    fn largest_remainders_win_the_leftover_units() {
        // 10 · 45/100 = 4.5, 10 · 38/100 = 3.8, 10 · 17/100 = 1.7: floors 4/3/1 = 8,
        // two units left, remainders .5 / .8 / .7 → second and third.
        assert_eq!(allocate(10, &[45, 38, 17], 0), vec![4, 4, 2]);
    }

    #[test]
    fn sizes_always_add_up() {
        let eligible = [13, 7, 101, 1, 0, 58];
        for size in 0..=180 {
            let total: u64 = allocate(size, &eligible, 0).iter().sum();
            assert_eq!(total, size.min(180), "size {size}");
        }
    }

    #[test]
    fn minimum_raises_small_strata_and_shares_the_rest() {
        // Proportional: 9 / 0.8 / 0.2 → 9/1/0. Minimum 3 (capped at 2 for the last one):
        // strata 2 and 3 are raised to 3 and 2, the remaining 5 go to stratum 1.
        assert_eq!(allocate(10, &[90, 8, 2], 3), vec![5, 3, 2]);
    }

    #[test]
    fn minimum_reallocation_can_take_several_rounds() {
        // Round 1: 12 · (80, 15, 5)/100 = 9.6 / 1.8 / 0.6 → 9/1/0 + 2 units to the largest
        // remainders (.8 then .6, tie to the first) → 10/2/0; the third is below 2 → fixed.
        // Round 2: 10 over (80, 15) = 8.42 / 1.58 → 8/2, nothing below 2 → 8/2/2.
        assert_eq!(allocate(12, &[80, 15, 5], 2), vec![8, 2, 2]);
        // Round 1: 10 · (80, 15, 5)/100 = 8 / 1.5 / 0.5 → 8/2/0 (the tie at .5 goes to the
        // first); both small strata are below 3 → fixed at 3 and 3; round 2: 4 to the first.
        assert_eq!(allocate(10, &[80, 15, 5], 3), vec![4, 3, 3]);
    }

    #[test]
    fn minimums_larger_than_the_size_are_kept() {
        assert_eq!(allocate(4, &[10, 10, 10], 2), vec![2, 2, 2]);
        assert_eq!(allocate(4, &[10, 1, 10], 2), vec![2, 1, 2]);
    }

    #[test]
    fn oversized_requests_take_everything() {
        assert_eq!(allocate(100, &[5, 3], 0), vec![5, 3]);
        assert_eq!(allocate(8, &[5, 3], 10), vec![5, 3]);
        assert_eq!(allocate(0, &[0, 0], 0), vec![0, 0]);
    }
}
