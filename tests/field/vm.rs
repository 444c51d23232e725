//! The terminal's virtual machine: QEMU with the image built by scripts/field-test.sh, a
//! virtio-gpu screen at 800x480, a tablet for taps, a keyboard, the printer on the second UART
//! (the host's virtual printer pty), the network restricted to the simulator and the network
//! printer on the host (and node_exporter's port forwarded from the host), QMP and the guest
//! agent.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::qmp::JsonLink;

/// The board the image is built for (FIELD_ARCH): which QEMU plays it and what differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    Amd64,
    Arm64,
}

impl Arch {
    pub fn from_env() -> Result<Arch, String> {
        match std::env::var("FIELD_ARCH").as_deref() {
            Err(_) | Ok("amd64") => Ok(Arch::Amd64),
            Ok("arm64") => Ok(Arch::Arm64),
            Ok(other) => Err(format!("FIELD_ARCH is {other:?}: use amd64 or arm64")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// What every boot shares.
pub struct Rig {
    pub arch: Arch,
    /// target/field: the image, kernel, initrd; sockets and logs go here too.
    pub dir: PathBuf,
    pub printer_tty: PathBuf,
    pub simulator_port: u16,
    /// The host's virtual network printer, forwarded to the guest as `shop::NETWORK_PRINTER`.
    pub network_printer_port: u16,
    /// The host's loopback port forwarded to the guest's node_exporter (its port 9100).
    pub exporter_port: u16,
    /// "tcg" unless FIELD_ACCEL says otherwise: /dev/kvm may exist where nested KVM hangs.
    pub accel: String,
}

/// A port on the host's loopback free now, for a forward into the guest.
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("no free port on the host: {error}"))
}

pub struct Machine {
    child: Child,
    qmp: JsonLink,
    dir: PathBuf,
    pub started: Instant,
}

/// A command's result inside the guest.
pub struct GuestOutput {
    pub status: i64,
    pub stdout: String,
    pub stderr: String,
}

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 480;

impl Machine {
    /// Boots the image; `clock` sets the guest's real-time clock (the host's when `None`).
    pub fn boot(rig: &Rig, clock: Option<DateTime<Utc>>) -> Result<Machine, String> {
        let dir = rig.dir.clone();
        let qmp_path = dir.join("qmp.sock");
        let agent_path = dir.join("agent.sock");
        for socket in [&qmp_path, &agent_path] {
            let _ = std::fs::remove_file(socket);
        }
        let rtc = match clock {
            Some(at) => format!("base={},clock=host", at.format("%Y-%m-%dT%H:%M:%S")),
            None => "base=utc,clock=host".into(),
        };
        let path = |name: &str| dir.join(name).display().to_string();
        let (qemu, console) = match rig.arch {
            Arch::Amd64 => ("qemu-system-x86_64", "ttyS0"),
            Arch::Arm64 => ("qemu-system-aarch64", "ttyAMA0"),
        };
        let mut command = Command::new(qemu);
        if rig.arch == Arch::Arm64 {
            // The Cortex-A72 of a Raspberry Pi 4; `max` would emulate pointer authentication,
            // which costs much under TCG and no board here has.
            command.args(["-machine", "virt", "-cpu", "cortex-a72"]);
        }
        command
            .args([
                "-accel",
                &rig.accel,
                "-m",
                "1024",
                "-smp",
                "2",
                "-nodefaults",
                "-display",
                "none",
            ])
            .args(["-kernel", &path("vmlinuz"), "-initrd", &path("initrd.img")])
            .args([
                "-append",
                &format!("root=/dev/vda rw console={console} quiet"),
            ])
            .args([
                "-drive",
                &format!("file={},format=raw,if=virtio", path("disk.ext4")),
            ])
            .args(["-device", "virtio-gpu-pci,xres=800,yres=480"])
            .args([
                "-device",
                "virtio-tablet-pci",
                "-device",
                "virtio-keyboard-pci",
            ])
            .args([
                "-chardev",
                &format!("file,id=console,path={},append=on", path("console.log")),
            ])
            .args(["-serial", "chardev:console"])
            .args([
                "-chardev",
                &format!("serial,id=printer,path={}", rig.printer_tty.display()),
            ])
            .args(match rig.arch {
                Arch::Amd64 => ["-serial", "chardev:printer"],
                // The virt board has one UART (the console): the printer is a PCI 16550.
                Arch::Arm64 => ["-device", "pci-serial,chardev=printer"],
            })
            .args([
                "-netdev",
                &format!(
                    "user,id=net,restrict=on,guestfwd=tcp:10.0.2.100:8080-tcp:127.0.0.1:{},\
                     guestfwd=tcp:10.0.2.101:9100-tcp:127.0.0.1:{},\
                     hostfwd=tcp:127.0.0.1:{}-:9100",
                    rig.simulator_port, rig.network_printer_port, rig.exporter_port
                ),
            ])
            .args(["-device", "virtio-net-pci,netdev=net"])
            .args([
                "-qmp",
                &format!("unix:{},server=on,wait=off", qmp_path.display()),
            ])
            .args([
                "-chardev",
                &format!(
                    "socket,id=agent,path={},server=on,wait=off",
                    agent_path.display()
                ),
            ])
            .args(["-device", "virtio-serial-pci"])
            .args([
                "-device",
                "virtserialport,chardev=agent,name=org.qemu.guest_agent.0",
            ])
            .args(["-rtc", &rtc])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("qemu.stderr")).map_err(|e| e.to_string())?);
        let started = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {qemu}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        let qmp = loop {
            match JsonLink::qmp(&qmp_path) {
                Ok(link) => break link,
                Err(error) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        let stderr =
                            std::fs::read_to_string(dir.join("qemu.stderr")).unwrap_or_default();
                        return Err(format!("QEMU exited at once ({status}): {stderr}"));
                    }
                    if Instant::now() > deadline {
                        return Err(error);
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        };
        Ok(Machine {
            child,
            qmp,
            dir,
            started,
        })
    }

    /// What the screen shows now.
    pub fn screen(&mut self) -> Result<image::RgbaImage, String> {
        let file = self.dir.join("screen.png");
        let _ = std::fs::remove_file(&file);
        self.qmp.execute(
            "screendump",
            json!({ "filename": file.display().to_string(), "format": "png" }),
        )?;
        let image = image::open(&file).map_err(|e| format!("the screendump: {e}"))?;
        Ok(image.to_rgba8())
    }

    /// Saves the screen as it is now under `name` (for the failure messages).
    pub fn keep_screen(&mut self, name: &str) -> String {
        let path = self.dir.join(format!("{name}.png"));
        match self
            .screen()
            .and_then(|image| image.save(&path).map_err(|e| e.to_string()))
        {
            Ok(()) => path.display().to_string(),
            Err(error) => format!("(no screen: {error})"),
        }
    }

    /// A finger on the touch panel at (x, y) of the 800x480 screen, and lifted.
    pub fn tap(&mut self, (x, y): (u32, u32)) -> Result<(), String> {
        let scale = |value: u32, size: u32| i64::from(value) * 0x7fff / i64::from(size - 1);
        let at = json!([
            { "type": "abs", "data": { "axis": "x", "value": scale(x, WIDTH) } },
            { "type": "abs", "data": { "axis": "y", "value": scale(y, HEIGHT) } },
        ]);
        self.qmp
            .execute("input-send-event", json!({ "events": at }))?;
        for down in [true, false] {
            std::thread::sleep(Duration::from_millis(80));
            let button = json!([{ "type": "btn", "data": { "down": down, "button": "left" } }]);
            self.qmp
                .execute("input-send-event", json!({ "events": button }))?;
        }
        std::thread::sleep(Duration::from_millis(250));
        Ok(())
    }

    /// Runs `script` with /bin/sh in the guest through the guest agent.
    pub fn run(&self, script: &str) -> Result<GuestOutput, String> {
        self.run_with_input(script, "")
    }

    /// `run`, with `input` on the script's standard input: the guest agent logs each command
    /// line to the guest's journal, so a secret goes this way, never in the script.
    pub fn run_with_input(&self, script: &str, input: &str) -> Result<GuestOutput, String> {
        self.run_within(script, input, Duration::from_secs(120))
    }

    /// `run_with_input`, given `limit` to finish (a package's install under TCG).
    pub fn run_within(
        &self,
        script: &str,
        input: &str,
        limit: Duration,
    ) -> Result<GuestOutput, String> {
        let mut agent = JsonLink::agent(&self.dir.join("agent.sock"))?;
        let mut arguments =
            json!({ "path": "/bin/sh", "arg": ["-c", script], "capture-output": true });
        if !input.is_empty() {
            arguments["input-data"] =
                json!(base64::engine::general_purpose::STANDARD.encode(input));
        }
        let started = agent.execute("guest-exec", arguments)?;
        let pid = started
            .get("pid")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("guest-exec gave no pid: {started}"))?;
        let deadline = Instant::now() + limit;
        loop {
            let status = agent.execute("guest-exec-status", json!({ "pid": pid }))?;
            if status.get("exited").and_then(Value::as_bool) == Some(true) {
                let text = |key: &str| -> Result<String, String> {
                    let Some(data) = status.get(key).and_then(Value::as_str) else {
                        return Ok(String::new());
                    };
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .map_err(|e| format!("guest-exec {key}: {e}"))?;
                    Ok(String::from_utf8_lossy(&bytes).into_owned())
                };
                return Ok(GuestOutput {
                    status: status.get("exitcode").and_then(Value::as_i64).unwrap_or(-1),
                    stdout: text("out-data")?,
                    stderr: text("err-data")?,
                });
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the guest command did not finish in {} s: {script}",
                    limit.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The last lines of the guest's serial console.
    pub fn console_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// How QEMU itself ended, if it has: the rig's emulator, not the guest.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The power cord pulled: QEMU killed with SIGKILL, nothing flushed.
    pub fn power_cut(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A clean shutdown through ACPI, then the power off.
    pub fn shut_down(mut self) {
        let _ = self.qmp.execute("system_powerdown", json!({}));
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
