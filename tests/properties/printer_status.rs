//! Printer status bytes: whatever a printer answers to `DLE EOT n` (any byte, silence, a broken
//! link, in any order) is read as a status, the one the ESC/POS bits mean, never a panic.

use paycode_kiosk::printer::PrinterStatus;
use paycode_kiosk::printer::status::{StatusLink, read_status};
use proptest::prelude::*;

use super::support::cases;

/// What the printer does when asked.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Byte(u8),
    Silent,
    Broken,
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        6 => any::<u8>().prop_map(Reply::Byte),
        // Answers of the fixed pattern 0xx1xx10, which a printer sends.
        6 => any::<u8>().prop_map(|byte| Reply::Byte((byte & 0b0110_1100) | 0b0001_0010)),
        1 => Just(Reply::Silent),
        1 => Just(Reply::Broken),
    ]
}

/// A printer giving `replies` in turn (silent once they run out), noting what it was asked.
struct Scripted {
    replies: Vec<Reply>,
    asked: Vec<u8>,
}

impl StatusLink for Scripted {
    fn ask(&mut self, n: u8) -> Result<Option<u8>, String> {
        let reply = self.replies.get(self.asked.len()).copied();
        self.asked.push(n);
        match reply {
            Some(Reply::Byte(byte)) => Ok(Some(byte)),
            Some(Reply::Silent) | None => Ok(None),
            Some(Reply::Broken) => Err("the link broke".into()),
        }
    }
}

/// Whether `byte` is a status answer at all: 0xx1xx10.
fn answer(reply: Option<&Reply>) -> Option<u8> {
    match reply {
        Some(Reply::Byte(byte)) if byte & 0b1001_0011 == 0b0001_0010 => Some(*byte),
        _ => None,
    }
}

/// What the answers mean, by Epson's `DLE EOT` pages, worked out apart from the code under
/// test; `None` where the link broke first.
fn meaning(replies: &[Reply]) -> Option<PrinterStatus> {
    let bit = |byte: u8, n: u8| byte & (1 << n) != 0;
    let mut asked = replies.iter();
    let mut next = || {
        let reply = asked.next();
        match reply {
            Some(Reply::Broken) => Err(()),
            other => Ok(answer(other)),
        }
    };
    let Some(printer) = next().ok()? else {
        return Some(PrinterStatus::NotAnswering);
    };
    let paper = next().ok()?;
    // n = 4: bits 5 and 6 set when the roll is out, 2 and 3 when it is near its end.
    if paper.is_some_and(|paper| bit(paper, 5) || bit(paper, 6)) {
        return Some(PrinterStatus::PaperOut);
    }
    // n = 1: bit 3 set when offline.
    if bit(printer, 3) {
        let cause = next().ok()?;
        return Some(match cause {
            // n = 2: bit 5 set when printing stopped at the paper's end, bit 2 when the cover
            // is open.
            Some(cause) if bit(cause, 5) => PrinterStatus::PaperOut,
            Some(cause) if bit(cause, 2) => PrinterStatus::CoverOpen,
            _ => PrinterStatus::Offline,
        });
    }
    if paper.is_some_and(|paper| bit(paper, 2) || bit(paper, 3)) {
        return Some(PrinterStatus::PaperLow);
    }
    Some(PrinterStatus::Ready)
}

proptest! {
    #![proptest_config(cases(10_000))]

    /// Any answers are read as the status their bits mean; a link that broke is an error, and
    /// only the three questions are ever asked.
    #[test]
    fn any_status_bytes_are_read_as_they_mean(replies in prop::collection::vec(reply(), 0..5)) {
        let mut printer = Scripted { replies: replies.clone(), asked: Vec::new() };
        let read = read_status(&mut printer);
        match meaning(&replies) {
            Some(status) => prop_assert_eq!(read, Ok(status)),
            None => prop_assert!(read.is_err(), "{:?}", read),
        }
        prop_assert!(printer.asked.len() <= 3);
        prop_assert!(printer.asked.iter().all(|n| [1, 2, 4].contains(n)), "{:?}", printer.asked);
    }
}

/// Every byte as the answer to each question, in turn: exhaustive where a property samples.
#[test]
fn every_single_byte_answer_is_read() {
    for byte in 0..=255u8 {
        for position in 0..3 {
            let mut replies = vec![Reply::Byte(0b0001_0010); 3];
            replies[position] = Reply::Byte(byte);
            let mut printer = Scripted {
                replies: replies.clone(),
                asked: Vec::new(),
            };
            let expected = meaning(&replies).expect("no broken link");
            assert_eq!(read_status(&mut printer), Ok(expected), "{replies:?}");
        }
    }
}
