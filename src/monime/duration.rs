//! Monime's code lifetimes are Go-style duration strings (`"10m"`, `"1h30m"`, `"90s"`). This
//! parses them so a bad value is refused in the config, not by Monime at the first sale.

use std::time::Duration;

/// Parses `1h30m`, `10m`, `45s`, `1h0m30s` or `500ms`. Units must each appear at most once, in
/// descending order, with whole numbers, as Monime writes them.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    const UNITS: [(&str, u64); 4] = [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];
    let explain = || {
        format!(
            "\"{text}\" is not a duration: write hours, minutes and seconds such as \"10m\", \"1h30m\" or \"90s\""
        )
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(explain());
    }
    let mut total_ms: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(explain)?;
        if digits_end == 0 {
            return Err(explain());
        }
        let number: u64 = rest[..digits_end].parse().map_err(|_| explain())?;
        rest = &rest[digits_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_end];
        let position = UNITS[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(explain)?;
        let (_, millis) = UNITS[next_unit + position];
        next_unit += position + 1;
        total_ms = number
            .checked_mul(millis)
            .and_then(|ms| ms.checked_add(total_ms))
            .ok_or_else(explain)?;
        rest = &rest[unit_end..];
    }
    Ok(Duration::from_millis(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_monime_durations() {
        let secs = |s| Ok(Duration::from_secs(s));
        assert_eq!(parse_go_duration("10m"), secs(600));
        assert_eq!(parse_go_duration("1h30m"), secs(5400));
        assert_eq!(parse_go_duration("90s"), secs(90));
        assert_eq!(parse_go_duration("1h0m30s"), secs(3630));
        assert_eq!(parse_go_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("0s"), secs(0));
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "10",
            "m",
            "10 m",
            "1.5h",
            "30m1h",
            "10m10m",
            "5d",
            "-5m",
            "99999999999999999999h",
        ] {
            let error = parse_go_duration(bad).expect_err(bad);
            assert!(error.contains("1h30m"), "{error}");
        }
    }
}
