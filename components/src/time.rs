//! Urbit time (`@da`): a 128-bit atom, seconds since the Urbit epoch in the high 64 bits and the fraction
//! of a second (in units of 2^-64 s) in the low 64 (spec/arvo.md §9). Like Vere, engine fills only the top
//! 16 bits of the fraction.
//!
//! ```
//! use components::time;
//! let da = time::from_unix_micros(1_795_539_164_456_600);
//! assert_eq!(da >> 64, 0x8000_000d_39a3_ce5c);
//! assert_eq!(time::to_unix_micros(da), Some(1_795_539_164_456_588));
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Unix time 0 in Urbit seconds.
pub const UNIX_EPOCH_SECONDS: u64 = 0x8000_000c_ce9e_0d80;
/// One step of the fraction Vere uses: 1/65536 s, as `@da` units.
pub const TICK: u128 = 1 << 48;

/// `@da` of a Unix time in microseconds (the fraction rounded down to 1/65536 s).
pub fn from_unix_micros(micros: u64) -> u128 {
    let seconds = (micros / 1_000_000) as u128 + UNIX_EPOCH_SECONDS as u128;
    let fraction = (((micros % 1_000_000) as u128 * 65_536) / 1_000_000) << 48;
    seconds << 64 | fraction
}

/// The Unix time in microseconds of a `@da`, if it is after 1970 and fits.
pub fn to_unix_micros(da: u128) -> Option<u64> {
    let seconds = ((da >> 64) as u64).checked_sub(UNIX_EPOCH_SECONDS)?;
    let micros = ((da as u64 >> 48) * 1_000_000) / 65_536;
    seconds.checked_mul(1_000_000)?.checked_add(micros)
}

/// A `@da` as Hoon prints it: `~2026.11.24..16.52.44..74e3` (the time of day and the fraction's
/// 16-bit groups, trailing zero groups left out, only where they are not zero). Dates before 1970 are
/// printed as the number, in hex.
///
/// ```
/// use components::time;
/// assert_eq!(time::render_da(time::from_unix_micros(1_795_539_164_456_600)), "~2026.11.24..16.52.44..74e3");
/// assert_eq!(time::render_da(time::from_unix_micros(1_795_478_400_000_000)), "~2026.11.24");
/// ```
pub fn render_da(da: u128) -> String {
    let Some(seconds) = ((da >> 64) as u64).checked_sub(UNIX_EPOCH_SECONDS) else {
        return format!("{da:#x}");
    };
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days);
    let mut text = format!("~{year}.{month}.{day}");
    let fraction = da as u64;
    if of_day != 0 || fraction != 0 {
        let (h, m, s) = (of_day / 3600, of_day / 60 % 60, of_day % 60);
        text.push_str(&format!("..{h:02}.{m:02}.{s:02}"));
    }
    if fraction != 0 {
        let groups: Vec<u64> = (0..4).map(|i| (fraction >> (48 - 16 * i)) & 0xffff).collect();
        let used = groups.iter().rposition(|&g| g != 0).map_or(0, |i| i + 1);
        let hex: Vec<String> = groups[..used].iter().map(|g| format!("{g:04x}")).collect();
        text.push_str(&format!("..{}", hex.join(".")));
    }
    text
}

/// The proleptic Gregorian date of a count of days since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Eras of 400 years (146,097 days) counted from 0000-03-01, so that the leap day ends a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// `@da` of a system time (times before 1970 read as 1970).
pub fn from_system(time: SystemTime) -> u128 {
    from_unix_micros(time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64))
}

/// `@da` now.
pub fn now() -> u128 {
    from_system(SystemTime::now())
}

/// How long from `now` until `then` (both `@da`), as Vere computes a timer's delay: rounded down to the
/// millisecond, zero if `then` is not in the future.
pub fn until(now: u128, then: u128) -> Duration {
    if then <= now {
        return Duration::ZERO;
    }
    let gap = then - now;
    let millis = (gap >> 64) * 1000 + ((gap as u64 >> 48) as u128 * 1000) / 65_536;
    Duration::from_millis(millis.min(u64::MAX as u128) as u64)
}

/// `now` (`@da`) plus `delay`.
///
/// ```
/// use components::time;
/// let t = time::after(0, std::time::Duration::from_millis(1500));
/// assert_eq!(t, 3 << 63);
/// ```
pub fn after(now: u128, delay: Duration) -> u128 {
    let fraction = ((delay.subsec_nanos() as u128) << 64) / 1_000_000_000;
    now + ((delay.as_secs() as u128) << 64) + fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logged_example_converts_both_ways() {
        let da = 0x8000_000d_39a3_ce5c_74e1_0000_0000_0000u128;
        let micros = to_unix_micros(da).unwrap();
        assert_eq!(micros, 1_795_539_164_456_558, "0x74e1/65536 s is 456558 µs, rounded down");
        // Microseconds are finer than the 1/65536 s fraction: a round trip may lose one step.
        assert_eq!(from_unix_micros(micros), da - TICK);
    }

    #[test]
    fn delays_round_down_and_never_go_negative() {
        let now = from_unix_micros(1_000_000_000_000_000);
        assert_eq!(until(now, now - TICK), Duration::ZERO);
        assert_eq!(until(now, now + (1u128 << 64) + (1u128 << 63)), Duration::from_millis(1500));
        assert_eq!(until(now, now + TICK), Duration::ZERO, "1/65536 s rounds down to 0 ms");
    }
}
