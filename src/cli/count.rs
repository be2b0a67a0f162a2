//! Counts in output lines agree with their noun ("1 survey", "2 surveys"): one helper, so
//! no line says "1 invitations".

use std::fmt::Display;

/// `n` followed by `noun`, with an `s` unless `n` is 1 (every noun ecoute counts is regular).
pub fn count<N: Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn one_is_singular_zero_and_many_are_plural() {
        assert_eq!(count(1usize, "survey"), "1 survey");
        assert_eq!(count(0u64, "invitation"), "0 invitations");
        assert_eq!(count(2i64, "touchpoint"), "2 touchpoints");
    }
}
