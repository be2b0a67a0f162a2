//! Rounding for people: half away from zero on the decimal value as written, as a
//! spreadsheet rounds (12.5 → 13, −12.5 → −13, 0.145 → 0.15), where Rust's `format!`
//! rounds half to even on the binary value (12.5 → 12). Only HTML and Markdown reports use
//! it; JSON and CSV keep the unrounded figures.

/// `value` with `decimals` digits after the point, rounded half away from zero; `.` as the
/// decimal separator, no sign on a zero ("−0.4" gives "0"), empty for a non-finite value.
pub fn fixed(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return String::new();
    }
    // The shortest text that reads back as `value`: the decimal number a person sees.
    let written = format!("{}", value.abs());
    let (whole, fraction) = written.split_once('.').unwrap_or((&written, ""));
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(
            fraction
                .bytes()
                .chain(std::iter::repeat(b'0'))
                .take(decimals),
        )
        .map(|b| b - b'0')
        .collect();
    if fraction
        .as_bytes()
        .get(decimals)
        .is_some_and(|&d| d >= b'5')
    {
        let mut carry = true;
        for d in digits.iter_mut().rev() {
            if !carry {
                break;
            }
            *d += 1;
            carry = *d == 10;
            if carry {
                *d = 0;
            }
        }
        if carry {
            digits.insert(0, 1);
        }
    }
    let split = digits.len() - decimals;
    let mut text: String = digits[..split]
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect();
    if decimals > 0 {
        text.push('.');
        text.extend(digits[split..].iter().map(|d| char::from(b'0' + d)));
    }
    if value < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        text.insert(0, '-');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::fixed;

    #[test]
    fn halves_go_away_from_zero() {
        assert_eq!(fixed(12.5, 0), "13");
        assert_eq!(fixed(-12.5, 0), "-13");
        assert_eq!(fixed(37.5, 0), "38");
        assert_eq!(fixed(62.5, 0), "63");
        assert_eq!(fixed(0.5, 0), "1");
        assert_eq!(fixed(5.25, 1), "5.3");
        assert_eq!(fixed(0.145, 2), "0.15");
        assert_eq!(fixed(0.0505, 3), "0.051");
    }

    #[test]
    fn other_values_round_to_nearest() {
        assert_eq!(fixed(12.49, 0), "12");
        assert_eq!(fixed(99.96, 1), "100.0");
        assert_eq!(fixed(9.99, 0), "10");
        assert_eq!(fixed(6.0, 1), "6.0");
        assert_eq!(fixed(0.0, 0), "0");
        assert_eq!(fixed(1e-7, 3), "0.000");
        assert_eq!(fixed(123456.0, 0), "123456");
    }

    #[test]
    fn zero_has_no_sign_and_non_finite_is_empty() {
        assert_eq!(fixed(-0.4, 0), "0");
        assert_eq!(fixed(-0.0, 1), "0.0");
        assert_eq!(fixed(-0.06, 1), "-0.1");
        assert_eq!(fixed(f64::NAN, 0), "");
        assert_eq!(fixed(f64::INFINITY, 1), "");
    }
}
