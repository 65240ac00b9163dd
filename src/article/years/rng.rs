//! SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, seedable generator, written out here so that the
//! fixture's numbers never change with a dependency's version.
//!
//! Invariant: the same seed gives the same sequence on every platform; nothing reads entropy.

/// A deterministic pseudo-random sequence.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator started at `seed` (the reference sequence's start, checked in the tests).
    #[cfg(test)]
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// A generator for one named part of the story (a county's month, a year's targets …), so that
    /// changing one part leaves the numbers of the others as they were.
    pub fn for_part(parts: &[u64]) -> SplitMix64 {
        let mut state = 0x6b70_692d_6c65_6467_u64; // "kpi-ledg"
        for part in parts {
            state = SplitMix64(state ^ part.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next_u64();
        }
        SplitMix64(state)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by rejection so that no value is favoured.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let value = self.next_u64();
            if value < zone {
                return value % n;
            }
        }
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        assert!(low <= high, "empty range {low}..={high}");
        low + self.below((high - low + 1) as u64) as i64
    }

    /// A multiple of `step` in `low..=high` (both multiples of `step`).
    pub fn step_range(&mut self, low: i64, high: i64, step: i64) -> i64 {
        self.range(low / step, high / step) * step
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn by weight (the weights are not all zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut draw = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            if draw < *weight {
                return index;
            }
            draw -= weight;
        }
        unreachable!("a draw below the total falls on some weight")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_splitmix64() {
        // The first outputs for seed 1234567, as the reference implementation gives them.
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut rng = SplitMix64::for_part(&[2016, 7]);
        for _ in 0..1000 {
            assert!((-60..=60).contains(&rng.range(-60, 60)));
            assert_eq!(rng.step_range(-60, 60, 5) % 5, 0);
            assert!(rng.below(3) < 3);
        }
    }
}
