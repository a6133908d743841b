//! Arbitrary-precision cty numbers.
//!
//! cty numbers are big floats: Terraform happily carries `2^80` or `0.1000000000000000000001`
//! and expects them back unchanged. Rounding through `f64` would make a provider report
//! "inconsistent result after apply", so a [`Number`] keeps the exact decimal value as
//! `digits × 10^exponent` and only converts to machine types on request. The representation
//! is normalised (no leading or trailing zeros in `digits`), which makes the derived
//! equality and hashing numeric: `1`, `1.0` and `1e0` are the same `Number`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Decimal exponents beyond this are rejected: cty's big floats cannot hold them either, and
/// the bound keeps all exponent arithmetic far from `i64` overflow.
const MAX_EXPONENT: i64 = 1_000_000_000;

/// Up to this many padding zeros the canonical text is plain positional notation (every
/// finite `f64` fits); beyond it scientific notation keeps hostile inputs like `1e999999`
/// from turning into megabytes of zeros.
const MAX_PLAIN_ZEROS: i64 = 400;

/// A cty number: an exact decimal of any size and precision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Significant digits (ASCII), without leading or trailing zeros; empty for zero.
    digits: String,
    /// The value is `digits × 10^exponent`.
    exponent: i64,
}

/// Why a text is not a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseNumberError {
    #[error("{0:?} is not a decimal number")]
    Invalid(String),
    #[error("the exponent of {0:?} is out of range")]
    ExponentOutOfRange(String),
}

impl Number {
    /// Zero.
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: String::new(),
            exponent: 0,
        }
    }

    /// Builds a normalised number from raw ASCII digits that may carry leading or trailing zeros.
    fn from_raw_digits(negative: bool, raw: &str, exponent: i64) -> Number {
        let trimmed_start = raw.trim_start_matches('0');
        let trimmed = trimmed_start.trim_end_matches('0');
        if trimmed.is_empty() {
            return Number::zero();
        }
        let trailing_zeros = (trimmed_start.len() - trimmed.len()) as i64;
        Number {
            negative,
            digits: trimmed.to_owned(),
            exponent: exponent + trailing_zeros,
        }
    }

    pub fn from_i64(n: i64) -> Number {
        Number::from_raw_digits(n < 0, &n.unsigned_abs().to_string(), 0)
    }

    pub fn from_u64(n: u64) -> Number {
        Number::from_raw_digits(false, &n.to_string(), 0)
    }

    /// The shortest decimal that reads back as `f`, as Terraform does for float64 inputs
    /// (`0.1_f64` becomes `0.1`). `None` for NaN and infinities, which this model excludes.
    pub fn from_f64(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        // `{:e}` prints the shortest round-trip representation, e.g. "1.5e-7".
        format!("{f:e}").parse().ok()
    }

    /// The exact value of `f` (`0.1_f64` becomes `0.1000000000000000055511151231257827…`).
    /// This is how a float64 on the wire must be read: go-cty and this codec only send
    /// float64 when it is exact, so e.g. `2^80` arrives as a float64 and must not come back
    /// as its shortest form `1208925819614629200000000`.
    pub fn from_f64_exact(f: f64) -> Option<Number> {
        if !f.is_finite() {
            return None;
        }
        format!("{:.*}", exact_fraction_digits(f), f).parse().ok()
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    pub fn is_integer(&self) -> bool {
        self.exponent >= 0
    }

    /// Count of digits before the decimal point of the magnitude (may be ≤ 0 for |x| < 1).
    fn magnitude_order(&self) -> i64 {
        self.digits.len() as i64 + self.exponent
    }

    /// The integer as plain digits, when it is an integer small enough to matter for
    /// 64-bit conversions.
    fn small_integer_digits(&self) -> Option<String> {
        if !self.is_integer() || self.magnitude_order() > 20 {
            return None;
        }
        let mut text = self.digits.clone();
        text.extend(std::iter::repeat_n('0', self.exponent as usize));
        Some(text)
    }

    pub fn as_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        let digits = self.small_integer_digits()?;
        let magnitude: u64 = digits.parse().ok()?;
        if self.negative {
            0_i64.checked_sub_unsigned(magnitude)
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.negative {
            return None;
        }
        self.small_integer_digits()?.parse().ok()
    }

    /// The nearest `f64` (correctly rounded); `None` when the magnitude overflows `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        if self.is_zero() {
            return Some(0.0);
        }
        let sign = if self.negative { "-" } else { "" };
        let f: f64 = format!("{sign}{}e{}", self.digits, self.exponent)
            .parse()
            .ok()?;
        f.is_finite().then_some(f)
    }

    /// The `f64` that equals this number exactly, if there is one (`0.5` yes, `0.1` no).
    pub fn to_f64_exact(&self) -> Option<f64> {
        let f = self.as_f64()?;
        if f == 0.0 {
            return self.is_zero().then_some(0.0);
        }
        // Both exact decimal expansions must have the same number of fraction digits before
        // the expansion is worth printing.
        let fraction_digits_of_f = exact_fraction_digits(f) as i64;
        let fraction_digits_of_self = (-self.exponent).max(0);
        if fraction_digits_of_f != fraction_digits_of_self {
            return None;
        }
        let exact: Number = format!("{:.*}", fraction_digits_of_f as usize, f)
            .parse()
            .ok()?;
        (exact == *self).then_some(f)
    }

    /// The `f64` whose shortest decimal form is exactly this number (`0.1` yes, `2^80 + 1`
    /// no): converting back with [`Number::from_f64`] loses nothing.
    pub fn as_f64_round_trip(&self) -> Option<f64> {
        let f = self.as_f64()?;
        (Number::from_f64(f).as_ref() == Some(self)).then_some(f)
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        // Normalised digits start with a non-zero digit, so the order of magnitude decides
        // first and then the digits compare like strings (a prefix is the smaller one).
        self.magnitude_order()
            .cmp(&other.magnitude_order())
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl FromStr for Number {
    type Err = ParseNumberError;

    /// Accepts `[+-]digits[.digits][(e|E)[+-]digits]`, also `.5` and `5.` like Go's parser.
    fn from_str(text: &str) -> Result<Number, ParseNumberError> {
        let invalid = || ParseNumberError::Invalid(truncate_for_message(text));
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'-' || sign == b'+')
        {
            negative = sign == b'-';
            pos = 1;
        }
        let int_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        let int_part = &text[int_start..pos];
        let mut frac_part = "";
        if pos < bytes.len() && bytes[pos] == b'.' {
            pos += 1;
            let frac_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                pos += 1;
            }
            frac_part = &text[frac_start..pos];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let mut exponent: i64 = 0;
        if pos < bytes.len() && (bytes[pos] == b'e' || bytes[pos] == b'E') {
            pos += 1;
            let mut exp_negative = false;
            if pos < bytes.len() && (bytes[pos] == b'-' || bytes[pos] == b'+') {
                exp_negative = bytes[pos] == b'-';
                pos += 1;
            }
            let exp_start = pos;
            while pos < bytes.len() && bytes[pos].is_ascii_digit() {
                // Saturate: anything this large is rejected below anyway.
                exponent = exponent
                    .saturating_mul(10)
                    .saturating_add(i64::from(bytes[pos] - b'0'))
                    .min(MAX_EXPONENT * 10);
                pos += 1;
            }
            if pos == exp_start {
                return Err(invalid());
            }
            if exp_negative {
                exponent = -exponent;
            }
        }
        if pos != bytes.len() {
            return Err(invalid());
        }
        let mut raw = String::with_capacity(int_part.len() + frac_part.len());
        raw.push_str(int_part);
        raw.push_str(frac_part);
        let number = Number::from_raw_digits(negative, &raw, exponent - frac_part.len() as i64);
        if number.exponent.abs() > MAX_EXPONENT || number.magnitude_order().abs() > MAX_EXPONENT {
            return Err(ParseNumberError::ExponentOutOfRange(truncate_for_message(
                text,
            )));
        }
        Ok(number)
    }
}

/// How many decimal fraction digits the exact value of a finite `f` has: a binary fraction
/// m·2^-k with m odd has exactly k of them.
fn exact_fraction_digits(f: f64) -> usize {
    let bits = f.to_bits();
    let raw_exponent = ((bits >> 52) & 0x7ff) as i64;
    let mut mantissa = bits & ((1_u64 << 52) - 1);
    let mut binary_exponent = if raw_exponent == 0 {
        -1074
    } else {
        mantissa |= 1 << 52;
        raw_exponent - 1075
    };
    if mantissa == 0 {
        return 0;
    }
    binary_exponent += i64::from(mantissa.trailing_zeros());
    (-binary_exponent).max(0) as usize
}

fn truncate_for_message(text: &str) -> String {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl fmt::Display for Number {
    /// Canonical text: plain decimal (`-12.5`, `1208925819614629174706176`, `0.001`), or
    /// scientific (`1.5e-900`) when plain notation would need more than a few hundred zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        let order = self.magnitude_order();
        if self.exponent >= 0 && self.exponent <= MAX_PLAIN_ZEROS {
            f.write_str(&self.digits)?;
            for _ in 0..self.exponent {
                f.write_str("0")?;
            }
            Ok(())
        } else if self.exponent < 0 && order > 0 {
            let (int_digits, frac_digits) = self.digits.split_at(order as usize);
            write!(f, "{int_digits}.{frac_digits}")
        } else if self.exponent < 0 && -order <= MAX_PLAIN_ZEROS {
            f.write_str("0.")?;
            for _ in 0..-order {
                f.write_str("0")?;
            }
            f.write_str(&self.digits)
        } else {
            let (first, rest) = self.digits.split_at(1);
            if rest.is_empty() {
                write!(f, "{first}e{}", order - 1)
            } else {
                write!(f, "{first}.{rest}e{}", order - 1)
            }
        }
    }
}

/// `From` for the machine integers that widen losslessly to `i64` or `u64`.
macro_rules! number_from_int {
    ($($int:ty => $wide:ty, $ctor:ident;)*) => {
        $(impl From<$int> for Number {
            fn from(n: $int) -> Number {
                Number::$ctor(<$wide>::from(n))
            }
        })*
    };
}

number_from_int! {
    i64 => i64, from_i64;
    i32 => i64, from_i64;
    u64 => u64, from_u64;
    u32 => u64, from_u64;
}

impl From<usize> for Number {
    fn from(n: usize) -> Number {
        Number::from_u64(n as u64)
    }
}

impl TryFrom<f64> for Number {
    type Error = NonFiniteNumber;
    fn try_from(f: f64) -> Result<Number, NonFiniteNumber> {
        Number::from_f64(f).ok_or(NonFiniteNumber(f))
    }
}

/// NaN and infinities have no place in this number model.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("{0} is not a finite number")]
pub struct NonFiniteNumber(pub f64);

impl ::serde::Serialize for Number {
    /// Machine numbers where they read back unchanged (so JSON output stays numeric), decimal
    /// text otherwise.
    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Some(i) = self.as_i64() {
            serializer.serialize_i64(i)
        } else if let Some(u) = self.as_u64() {
            serializer.serialize_u64(u)
        } else if let Some(f) = self.as_f64_round_trip() {
            serializer.serialize_f64(f)
        } else {
            serializer.serialize_str(&self.to_string())
        }
    }
}

impl<'de> ::serde::Deserialize<'de> for Number {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Number, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl ::serde::de::Visitor<'_> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a decimal string")
    }
    fn visit_i64<E: ::serde::de::Error>(self, v: i64) -> Result<Number, E> {
        Ok(Number::from_i64(v))
    }
    fn visit_u64<E: ::serde::de::Error>(self, v: u64) -> Result<Number, E> {
        Ok(Number::from_u64(v))
    }
    fn visit_f64<E: ::serde::de::Error>(self, v: f64) -> Result<Number, E> {
        Number::from_f64(v).ok_or_else(|| E::custom(NonFiniteNumber(v)))
    }
    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<Number, E> {
        v.parse().map_err(E::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        text.parse().unwrap()
    }

    #[test]
    fn equal_spellings_are_one_number() {
        assert_eq!(n("1"), n("1.0"));
        assert_eq!(n("1"), n("1e0"));
        assert_eq!(n("1"), n("0.1e1"));
        assert_eq!(n("100"), n("1E2"));
        assert_eq!(n("-0"), n("0.000"));
        assert_eq!(n("+5"), n("5"));
        assert_eq!(n(".5"), n("0.5"));
        assert_eq!(n("5."), n("5"));
    }

    #[test]
    fn canonical_text() {
        assert_eq!(n("1.0").to_string(), "1");
        assert_eq!(n("-12.50").to_string(), "-12.5");
        assert_eq!(n("1e3").to_string(), "1000");
        assert_eq!(n("0.00125e-1").to_string(), "0.000125");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("1.5e-900").to_string(), "1.5e-900");
        assert_eq!(n("1e1000").to_string(), "1e1000");
        assert_eq!(n("123e1000").to_string(), "1.23e1002");
    }

    #[test]
    fn big_and_precise_values_keep_every_digit() {
        let two_pow_80 = "1208925819614629174706176";
        assert_eq!(n(two_pow_80).to_string(), two_pow_80);
        let precise = "0.1000000000000000000001";
        assert_eq!(n(precise).to_string(), precise);
        assert_ne!(n(precise), n("0.1"));
        let long = "-98765432109876543210.12345678901234567890123";
        assert_eq!(n(long).to_string(), long);
    }

    #[test]
    fn ordering_is_numeric() {
        let mut values = [
            n("10"),
            n("-1"),
            n("0.5"),
            n("-10.5"),
            n("0"),
            n("9.99"),
            n("1e1"),
        ];
        values.sort();
        let texts: Vec<String> = values.iter().map(Number::to_string).collect();
        assert_eq!(texts, ["-10.5", "-1", "0", "0.5", "9.99", "10", "10"]);
        assert!(n("0.001") < n("0.01"));
        assert!(n("-0.001") > n("-0.01"));
        assert!(n("123") < n("1234"));
        assert!(n("1.23") < n("1.234"));
    }

    #[test]
    fn rejects_non_numbers() {
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1_000", " 1", "NaN", "inf",
        ] {
            assert!(bad.parse::<Number>().is_err(), "{bad:?} parsed");
        }
        assert!(matches!(
            "1e99999999999999999999".parse::<Number>(),
            Err(ParseNumberError::ExponentOutOfRange(_))
        ));
    }

    #[test]
    fn machine_integers() {
        assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
        assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(n("9223372036854775808").as_i64(), None);
        assert_eq!(n("9223372036854775808").as_u64(), Some(1 << 63));
        assert_eq!(n("18446744073709551616").as_u64(), None);
        assert_eq!(n("-1").as_u64(), None);
        assert_eq!(n("1.5").as_i64(), None);
        assert_eq!(n("2e3").as_i64(), Some(2000));
        assert_eq!(
            Number::from_i64(i64::MIN).to_string(),
            "-9223372036854775808"
        );
        assert_eq!(
            Number::from_u64(u64::MAX).to_string(),
            "18446744073709551615"
        );
    }

    #[test]
    fn floats() {
        assert_eq!(Number::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(
            Number::from_f64(-2.5e-7).unwrap().to_string(),
            "-0.00000025"
        );
        assert_eq!(
            Number::from_f64(1e21).unwrap().to_string(),
            "1000000000000000000000"
        );
        assert_eq!(Number::from_f64(-0.0).unwrap(), Number::zero());
        assert!(Number::from_f64(f64::NAN).is_none());
        assert!(Number::from_f64(f64::INFINITY).is_none());
        assert_eq!(n("0.1").as_f64(), Some(0.1));
        assert_eq!(n("1e400").as_f64(), None);
        // Exactness: dyadic fractions are exact, 0.1 is not.
        assert_eq!(n("0.5").to_f64_exact(), Some(0.5));
        assert_eq!(n("-1.25").to_f64_exact(), Some(-1.25));
        assert_eq!(n("0.1").to_f64_exact(), None);
        assert_eq!(
            n("1208925819614629174706176").to_f64_exact(),
            Some(2f64.powi(80))
        );
        assert_eq!(n("1208925819614629174706177").to_f64_exact(), None);
        assert_eq!(n("5e-324").to_f64_exact(), None);
        let smallest = f64::from_bits(1);
        let exact_smallest: Number = format!("{smallest:.1074}").parse().unwrap();
        assert_eq!(exact_smallest.to_f64_exact(), Some(smallest));
        assert_eq!(Number::from_f64_exact(smallest), Some(exact_smallest));
        // Exact vs shortest readings of one float64.
        let two_pow_80 = 2f64.powi(80);
        assert_eq!(
            Number::from_f64_exact(two_pow_80).unwrap(),
            n("1208925819614629174706176")
        );
        assert_eq!(
            Number::from_f64(two_pow_80).unwrap(),
            n("1208925819614629200000000")
        );
        assert_eq!(
            Number::from_f64_exact(0.1).unwrap().to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(Number::from_f64_exact(-0.0), Some(Number::zero()));
        assert_eq!(Number::from_f64_exact(-1.5), Some(n("-1.5")));
    }

    #[test]
    fn serde_json_forms() {
        assert_eq!(serde_json::to_string(&n("42")).unwrap(), "42");
        assert_eq!(serde_json::to_string(&n("0.5")).unwrap(), "0.5");
        assert_eq!(serde_json::to_string(&n("0.1")).unwrap(), "0.1");
        let precise = n("0.1000000000000000000001");
        assert_eq!(
            serde_json::to_string(&precise).unwrap(),
            "\"0.1000000000000000000001\""
        );
        let back: Number = serde_json::from_str("\"0.1000000000000000000001\"").unwrap();
        assert_eq!(back.to_string(), "0.1000000000000000000001");
        let back: Number = serde_json::from_str("-7").unwrap();
        assert_eq!(back, n("-7"));
    }
}
