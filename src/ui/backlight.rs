//! The display's backlight under `/sys/class/backlight`, dimmed while the screen rests
//! (`[kiosk] screen_idle_mins`) and put back as it was on the first touch. Where there is none,
//! or it cannot be written (the service lacks the permission), the screen goes dark instead.

use std::fs;
use std::path::{Path, PathBuf};

/// Where the kernel lists backlights.
pub const SYSFS_BACKLIGHTS: &str = "/sys/class/backlight";

/// A tenth of full brightness: dark enough to rest, light enough to see the terminal is on.
const REST_FRACTION: u32 = 10;

#[derive(Debug)]
pub struct Backlight {
    device: PathBuf,
    max: u32,
    /// The brightness before resting, to put back on waking; `None` while awake.
    before_rest: Option<u32>,
}

impl Backlight {
    /// The first writable backlight the kernel lists.
    pub fn find() -> Option<Backlight> {
        Backlight::find_in(Path::new(SYSFS_BACKLIGHTS))
    }

    /// The first writable backlight in `folder` (one folder a device, as in sysfs).
    pub fn find_in(folder: &Path) -> Option<Backlight> {
        let mut devices: Vec<PathBuf> = fs::read_dir(folder)
            .ok()?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        devices.sort();
        devices.into_iter().find_map(|device| {
            let max = read_number(&device.join("max_brightness"))?;
            let writable = fs::OpenOptions::new()
                .write(true)
                .open(device.join("brightness"))
                .is_ok();
            (max > 0 && writable).then_some(Backlight {
                device,
                max,
                before_rest: None,
            })
        })
    }

    pub fn device(&self) -> &Path {
        &self.device
    }

    /// Dims (`true`) or restores (`false`); does nothing when already so.
    pub fn rest(&mut self, resting: bool) {
        let brightness = self.device.join("brightness");
        let written = match (resting, self.before_rest) {
            (true, None) => {
                let now = read_number(&brightness).unwrap_or(self.max);
                self.before_rest = Some(now);
                fs::write(&brightness, (self.max / REST_FRACTION).max(1).to_string())
            }
            (false, Some(before)) => {
                self.before_rest = None;
                fs::write(&brightness, before.to_string())
            }
            _ => return,
        };
        if let Err(error) = written {
            tracing::warn!(device = %self.device.display(), %error, "the backlight cannot be set");
        }
    }
}

fn read_number(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resting_dims_to_a_tenth_and_waking_puts_the_brightness_back() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let device = folder.path().join("10-0045");
        fs::create_dir(&device).expect("a device folder");
        fs::write(device.join("max_brightness"), "255\n").expect("max");
        fs::write(device.join("brightness"), "180\n").expect("brightness");
        let mut backlight = Backlight::find_in(folder.path()).expect("the backlight");
        let now = || fs::read_to_string(device.join("brightness")).unwrap_or_default();

        backlight.rest(true);
        assert_eq!(now(), "25");
        backlight.rest(true);
        assert_eq!(
            now(),
            "25",
            "resting twice keeps the first brightness to go back to"
        );
        backlight.rest(false);
        assert_eq!(now(), "180");
    }

    #[test]
    fn no_backlight_or_one_without_a_maximum_is_none() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        assert!(Backlight::find_in(folder.path()).is_none());
        let device = folder.path().join("broken");
        fs::create_dir(&device).expect("a device folder");
        fs::write(device.join("max_brightness"), "0").expect("max");
        fs::write(device.join("brightness"), "0").expect("brightness");
        assert!(Backlight::find_in(folder.path()).is_none());
        assert!(Backlight::find_in(Path::new("/nonexistent/backlight")).is_none());
    }
}
