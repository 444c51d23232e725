//! One line per check, PASS or FAIL with its time, and the verdict at the end.

use std::process::ExitCode;
use std::time::Duration;

#[derive(Default)]
pub struct Report {
    failed: Vec<String>,
    passed: usize,
}

impl Report {
    pub fn pass(&mut self, check: &str, took: Duration, detail: String) {
        self.passed += 1;
        println!("PASS {check} ({:.1} s): {detail}", took.as_secs_f64());
    }

    pub fn fail(&mut self, check: &str, took: Duration, problem: String) {
        self.failed.push(check.into());
        println!("FAIL {check} ({:.1} s): {problem}", took.as_secs_f64());
    }

    /// PASS or FAIL from a result.
    pub fn record(&mut self, check: &str, took: Duration, result: Result<String, String>) -> bool {
        match result {
            Ok(detail) => {
                self.pass(check, took, detail);
                true
            }
            Err(problem) => {
                self.fail(check, took, problem);
                false
            }
        }
    }

    /// A line of figures, not a check.
    pub fn note(&self, text: &str) {
        println!("-- {text}");
    }

    pub fn phase(&self, name: &str, took: Duration) {
        println!("-- {name}: {:.1} s", took.as_secs_f64());
    }

    pub fn finish(self, took: Duration) -> ExitCode {
        println!(
            "== {} passed, {} failed in {:.0} s",
            self.passed,
            self.failed.len(),
            took.as_secs_f64()
        );
        if self.failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            println!("failed: {}", self.failed.join("; "));
            ExitCode::FAILURE
        }
    }
}
