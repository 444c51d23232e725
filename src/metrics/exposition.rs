//! Prometheus's text exposition format, as node_exporter's textfile collector reads it: a
//! family's `# HELP` and `# TYPE` lines, then its samples, label values escaped. Enough for
//! the terminal's few families; `promtool check metrics` checks the result in CI.

use std::fmt::Write;

/// A family's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// The text being written.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts family `name`: its help text and kind. Its samples follow.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample of the family just started (`name` with its `_total`, `_bucket`, `_sum` or
    /// `_count` suffix where the kind has one).
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> = labels
                .iter()
                .map(|(label, value)| format!("{label}=\"{}\"", escape(value)))
                .collect();
            let _ = write!(self.text, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.text, " {}", number(value));
    }

    pub fn finish(self) -> String {
        self.text
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A value as the format writes it: whole numbers without a point, `+Inf`, `NaN`.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_samples_read_as_the_format_says() {
        let mut text = Exposition::default();
        text.family("shop_sales_total", Kind::Counter, "Sales.\nAll of them.");
        text.sample("shop_sales_total", &[("outcome", "paid")], 12.0);
        text.sample("shop_sales_total", &[("note", "a \"b\" \\ c\n")], 0.5);
        text.sample("shop_up", &[], f64::INFINITY);
        assert_eq!(
            text.finish(),
            "# HELP shop_sales_total Sales.\\nAll of them.\n\
             # TYPE shop_sales_total counter\n\
             shop_sales_total{outcome=\"paid\"} 12\n\
             shop_sales_total{note=\"a \\\"b\\\" \\\\ c\\n\"} 0.5\n\
             shop_up +Inf\n"
        );
    }
}
