//! The real binary in a pseudo-terminal: `bosun --demo` draws pods, `?`
//! shows help, `q` exits and leaves the terminal as it found it.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser
            .lock()
            .map(|parser| parser.screen().contents())
            .unwrap_or_default()
    }

    fn wait_for(&self, what: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.text().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what:?}; screen:\n{}", self.text());
    }
}

struct Session {
    screen: Screen,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    pump: std::thread::JoinHandle<()>,
}

fn start_demo(dirs: &std::path::Path) -> Session {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_bosun"));
    command.arg("--demo");
    command.env("TERM", "xterm-256color");
    command.env("BOSUN_STATE_DIR", dirs);
    command.env("BOSUN_CONFIG_DIR", dirs);
    let child = pty.slave.spawn_command(command).expect("bosun starts");
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let writer = pty.master.take_writer().expect("writer");
    let screen = Screen {
        parser: Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).expect("nonzero"),
            std::num::NonZeroU16::new(140).expect("nonzero"),
            0,
        ))),
        raw: Arc::new(Mutex::new(Vec::new())),
    };
    let (parser, raw) = (screen.parser.clone(), screen.raw.clone());
    let pump = std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = reader.read(&mut buffer) {
            if read == 0 {
                break;
            }
            if let Ok(mut parser) = parser.lock() {
                parser.process(&buffer[..read]);
            }
            if let Ok(mut raw) = raw.lock() {
                raw.extend_from_slice(&buffer[..read]);
            }
        }
    });

    Session {
        screen,
        writer,
        child,
        master: pty.master,
        pump,
    }
}

fn wait_exit(child: &mut Box<dyn portable_pty::Child + Send + Sync>) -> portable_pty::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "bosun did not exit on q");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn demo_draws_pods_shows_help_and_quits_cleanly() {
    let dirs = tempfile::tempdir().expect("tempdir");
    let Session {
        screen,
        mut writer,
        mut child,
        master,
        pump,
    } = start_demo(dirs.path());
    screen.wait_for("Pods(all)", Duration::from_secs(30));
    screen.wait_for("coredns", Duration::from_secs(30));
    screen.wait_for("live", Duration::from_secs(30));

    writer.write_all(b"?").expect("type ?");
    screen.wait_for("describe the selected object", Duration::from_secs(10));
    writer.write_all(b"\x1b").expect("type esc");
    std::thread::sleep(Duration::from_millis(300));
    writer.write_all(b"q").expect("type q");

    let status = wait_exit(&mut child);
    assert!(status.success(), "exit status {status:?}");
    drop(writer);
    drop(master);
    let _ = pump.join();
    assert_restored(&screen);
    // Diagnostics went to the log file instead.
    assert!(dirs.path().join("bosun.log").exists());
}

/// Left the alternate screen and showed the cursor last; nothing logged to
/// the terminal after that.
fn assert_restored(screen: &Screen) {
    let raw = screen.raw.lock().map(|raw| raw.clone()).unwrap_or_default();
    let text = String::from_utf8_lossy(&raw);
    let entered = text
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    let left = text
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    assert!(left > entered, "the alternate screen was not left last");
    assert!(
        text[left..].contains("\x1b[?25h")
            || text[..left].rfind("\x1b[?25h") > text[..left].rfind("\x1b[?25l"),
        "cursor not shown"
    );
    assert!(!text[left..].contains("INFO") && !text[left..].contains("WARN"));
}

#[test]
fn sigint_and_sigquit_from_outside_restore_the_terminal() {
    for signal in ["INT", "QUIT", "TERM"] {
        let dirs = tempfile::tempdir().expect("tempdir");
        let Session {
            screen,
            writer,
            mut child,
            master,
            pump,
        } = start_demo(dirs.path());
        screen.wait_for("coredns", Duration::from_secs(30));
        let pid = child.process_id().expect("pid");
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let status = wait_exit(&mut child);
        assert!(status.success(), "SIG{signal}: exit status {status:?}");
        drop(writer);
        drop(master);
        let _ = pump.join();
        assert_restored(&screen);
    }
}

#[test]
fn shell_hands_the_terminal_over_and_takes_it_back() {
    let dirs = tempfile::tempdir().expect("tempdir");
    // A stand-in for kubectl: shows its argv, waits for a line, exits.
    let fake = dirs.path().join("fake-kubectl");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"FAKE-EXEC $*\"\nread line\necho \"got $line\"\n",
    )
    .expect("script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(
        dirs.path().join("config.toml"),
        format!("kubectl = {:?}\n", fake.display().to_string()),
    )
    .expect("config");
    let Session {
        screen,
        mut writer,
        mut child,
        master,
        pump,
    } = start_demo(dirs.path());
    screen.wait_for("coredns", Duration::from_secs(30));
    writer.write_all(b"/netshoot\r").expect("filter");
    screen.wait_for("</netshoot>", Duration::from_secs(10));
    writer.write_all(b"s").expect("shell");
    screen.wait_for("FAKE-EXEC", Duration::from_secs(10));
    let text = screen.text();
    assert!(
        text.contains("exec -it --namespace default netshoot --container netshoot"),
        "{text}"
    );
    writer.write_all(b"hello\r").expect("type in the shell");
    // bosun is back: the pods view is drawn again and keys reach it.
    screen.wait_for("shell closed", Duration::from_secs(10));
    screen.wait_for("Pods(all)", Duration::from_secs(10));
    writer.write_all(b"q").expect("quit");
    let status = wait_exit(&mut child);
    assert!(status.success(), "exit status {status:?}");
    drop(writer);
    drop(master);
    let _ = pump.join();
    // The shell, not bosun, got what was typed while it ran.
    let raw = screen
        .raw
        .lock()
        .map(|raw| String::from_utf8_lossy(&raw).into_owned())
        .unwrap_or_default();
    assert!(
        raw.contains("got hello"),
        "the shell did not receive the typed line"
    );
    let audit = std::fs::read_to_string(dirs.path().join("audit.log")).expect("audit log");
    assert!(
        audit.contains("shell pod/netshoot -n default -c netshoot"),
        "{audit}"
    );
}
