//! The terminal as a chain's Prometheus sees it: node_exporter in the guest (installed with the
//! package, which recommends it), scraped from the host through QEMU's forward of its port 9100,
//! as the owner's server would, serves the terminal's sales and paid total from the file the
//! terminal writes into its textfile folder; and that file is the terminal's alone to write and
//! holds no token.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use paycode_kiosk::config::DEBIAN_TEXTFILE_DIR;
use paycode_kiosk::metrics::{FILE_MODE, FILE_NAME};
use paycode_kiosk::monime::CodeStatus;

use crate::shop::Shop;
use crate::vm::{Machine, Rig};

/// How long the metrics may take to show a settled sale: the terminal writes when a sale
/// settles, node_exporter reads at each scrape; a scrape under TCG takes a few seconds.
const SHOWN_WITHIN: Duration = Duration::from_secs(90);

/// Scrapes until the paid total and the paid sales are those the simulator completed, then
/// looks at the file in the guest.
pub fn scraped(machine: &Machine, rig: &Rig, shop: &Shop) -> Result<String, String> {
    let paid: Vec<_> = shop
        .codes()
        .into_iter()
        .filter(|code| code.status == CodeStatus::Completed)
        .collect();
    let (currency, total) = match paid.first() {
        Some(first) => (
            first.currency.code(),
            paid.iter().map(|code| code.amount_minor).sum::<i64>(),
        ),
        None => return Err("no sale was paid before this check".into()),
    };
    if paid.iter().any(|code| code.currency.code() != currency) {
        return Err("the paid codes are in more than one currency".into());
    }
    let total_key = format!("paycode_kiosk_paid_minor_units_total{{currency=\"{currency}\"}}");
    let sales_key = "paycode_kiosk_sales_total{outcome=\"paid\"}";
    let want = [
        (total_key.as_str(), total as f64),
        (sales_key, paid.len() as f64),
        // node_exporter parsed every file in its folder, this one included.
        ("node_textfile_scrape_error", 0.0),
    ];

    let begun = Instant::now();
    let body = loop {
        let last = match scrape(rig.exporter_port) {
            Ok(body) => {
                let seen: Vec<Option<f64>> =
                    want.iter().map(|(key, _)| sample(&body, key)).collect();
                if want
                    .iter()
                    .zip(&seen)
                    .all(|((_, value), seen)| *seen == Some(*value))
                {
                    break body;
                }
                want.iter()
                    .zip(&seen)
                    .map(|((key, value), seen)| format!("{key} {seen:?}, want {value}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            }
            Err(error) => error,
        };
        if begun.elapsed() > SHOWN_WITHIN {
            return Err(format!(
                "node_exporter on host port {} did not show the paid sales within {} s: {last}{}",
                rig.exporter_port,
                SHOWN_WITHIN.as_secs(),
                file_story(machine)
            ));
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    if body.contains(&shop.token) {
        return Err("node_exporter serves the Monime token".into());
    }
    let families = body
        .lines()
        .filter(|line| line.starts_with("# TYPE paycode_kiosk_"))
        .count();

    // The file itself: the terminal's user owns it, others may only read it (0644), and the token
    // is looked for with grep -f, so it is never on a command line of its own.
    let file = format!("{DEBIAN_TEXTFILE_DIR}/{FILE_NAME}");
    let output = machine.run(&format!(
        "stat -c '%a %U' {file}; stat -c '%A %U:%G' {DEBIAN_TEXTFILE_DIR}; \
         grep -c -F -f /etc/paycode-kiosk/credentials/monime-access-token {file}"
    ))?;
    let lines: Vec<&str> = output.stdout.lines().collect();
    let [file_stat, folder_stat, token_lines] = lines.as_slice() else {
        return Err(format!(
            "looking at {file} in the guest: {}{}",
            output.stdout, output.stderr
        ));
    };
    let (mode, owner) = file_stat.split_once(' ').unwrap_or((file_stat, ""));
    let mode = u32::from_str_radix(mode, 8).map_err(|_| format!("{file}: mode {mode:?}"))?;
    if mode != FILE_MODE || owner != "paycode-kiosk" {
        return Err(format!(
            "{file} is {mode:o} owned by {owner}, not {FILE_MODE:o} owned by paycode-kiosk"
        ));
    }
    if *token_lines != "0" {
        return Err(format!("{file} holds the token ({token_lines} lines)"));
    }
    Ok(format!(
        "after {} s: {total_key} {total}, {sales_key} {}, {families} families, no scrape error; \
         {file} {mode:o} {owner} in {folder_stat}, no token",
        begun.elapsed().as_secs(),
        paid.len()
    ))
}

/// node_exporter's page, through the host's forward of the guest's port 9100.
fn scrape(port: u16) -> Result<String, String> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
        .map_err(|error| format!("connecting to {address}: {error}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|error| error.to_string())?;
    // HTTP/1.0: the answer is the whole body, then the connection closes.
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: kiosk\r\n\r\n")
        .map_err(|error| format!("asking {address}: {error}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|error| format!("reading {address}: {error}"))?;
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{address} gave no HTTP answer: {answer:.200}"))?;
    match head.split_whitespace().nth(1) {
        Some("200") => Ok(body.to_string()),
        _ => Err(format!(
            "{address} answered {}",
            head.lines().next().unwrap_or("")
        )),
    }
}

/// The value of the sample written exactly as `key` (name and labels), if the page has it.
fn sample(body: &str, key: &str) -> Option<f64> {
    body.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

/// For a failure: the file and its folder in the guest, node_exporter's state and its last
/// complaints, and what the terminal logged about its metrics.
fn file_story(machine: &Machine) -> String {
    let script = format!(
        "ls -la {DEBIAN_TEXTFILE_DIR} 2>&1; systemctl is-active prometheus-node-exporter; \
         journalctl -b -u prometheus-node-exporter --no-pager -o cat | tail -n 3; \
         journalctl -b _SYSTEMD_UNIT=paycode-kiosk.service --no-pager -o cat | grep -i metrics | tail -n 3"
    );
    match machine.run(&script) {
        Ok(output) => format!("; in the guest:\n{}{}", output.stdout, output.stderr),
        Err(error) => format!("; the guest agent did not answer ({error})"),
    }
}
