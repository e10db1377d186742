//! The run loop: drain every queued event, update, carry out effects, and
//! draw only when something changed, at most ~30 frames a second.

use std::time::Duration;

use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::event::AppEvent;
use super::runtime::Runtime;
use super::state::State;
use super::table;
use super::update::update;
use crate::config::theme::Theme;

const FRAME: Duration = Duration::from_millis(33);
/// Events handled before a draw is allowed, so a flood cannot starve it.
const MAX_BATCH: usize = 8192;

/// Header, prompt, table header and status bar take this many lines.
pub const CHROME_ROWS: u16 = 6;

/// Keep the cursor inside the visible window.
pub fn scroll_into_view(state: &mut State, page_rows: usize) {
    state.page_rows = page_rows.max(1);
    let page = state.page_rows;
    let view = state.view_mut();
    if view.cursor < view.offset {
        view.offset = view.cursor;
    } else if view.cursor >= view.offset + page {
        view.offset = view.cursor + 1 - page;
    }
    let max_offset = view.visible.len().saturating_sub(page);
    view.offset = view.offset.min(max_offset);
}

/// Bring derived state up to date and draw one frame.
pub fn draw<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    theme: &Theme,
) -> Result<(), B::Error> {
    let size = terminal.size()?;
    table::refresh(state);
    if let Some(view) = state.logs.as_mut() {
        view.refresh();
    }
    scroll_into_view(state, size.height.saturating_sub(CHROME_ROWS) as usize);
    terminal.draw(|frame| crate::ui::draw(frame, state, theme))?;
    state.dirty = false;
    Ok(())
}

/// What the run loop needs of the real terminal to hand it to another
/// program (a shell) and take it back.
pub trait Foreground {
    /// Stop reading keys, leave raw mode and the alternate screen.
    fn release(&mut self);
    /// Take the terminal back and read keys again.
    fn reclaim(&mut self);
    /// Put text on the user's clipboard with OSC 52 (works over SSH).
    fn clipboard(&mut self, text: &str);
}

/// The OSC 52 sequence that sets the clipboard.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Run a program in the foreground; the terminal is restored around it.
fn run_in_terminal<B: Backend>(
    terminal: &mut Terminal<B>,
    foreground: &mut dyn Foreground,
    command: &crate::cluster::shell::ExternalCommand,
) -> Result<String, String> {
    foreground.release();
    let status = tokio::task::block_in_place(|| {
        std::process::Command::new(&command.program)
            .args(&command.args)
            .envs(command.env.iter().map(|(key, value)| (key, value)))
            .status()
    });
    foreground.reclaim();
    // The screen holds whatever the program left: draw everything anew.
    // (resize, not clear: clear asks the terminal for the cursor position,
    // an answer the key reader may swallow.)
    if let Ok(size) = terminal.size() {
        let _ = terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height));
    }
    match status {
        Ok(status) if status.success() => Ok("shell closed".to_string()),
        Ok(status) => Err(format!("the shell ended with {status}")),
        Err(error) => Err(format!("cannot run {}: {error}", command.program.display())),
    }
}

/// Run until quit. `events` carries keys (from the terminal or a test),
/// ticks and every worker's messages.
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    runtime: &mut Runtime,
    events: &mut mpsc::Receiver<AppEvent>,
    theme: &Theme,
    foreground: &mut dyn Foreground,
) -> Result<(), B::Error> {
    let mut last_draw: Option<Instant> = None;
    let mut requests = Vec::new();
    loop {
        for request in std::mem::take(&mut requests) {
            match request {
                TerminalRequest::Run(command) => {
                    let result = run_in_terminal(terminal, foreground, &command);
                    handle(
                        state,
                        runtime,
                        AppEvent::ShellDone { result },
                        &mut requests,
                    )
                    .await;
                    state.dirty = true;
                    last_draw = None;
                }
                TerminalRequest::Clipboard(text) => foreground.clipboard(&text),
            }
        }
        if state.quit {
            return Ok(());
        }
        if state.dirty {
            let due = last_draw.map(|at| at + FRAME).unwrap_or_else(Instant::now);
            if Instant::now() >= due {
                draw(terminal, state, theme)?;
                last_draw = Some(Instant::now());
                continue;
            }
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => handle_batch(state, runtime, events, event, &mut requests).await,
                    None => return Ok(()),
                },
                _ = tokio::time::sleep_until(due) => {}
            }
        } else {
            match events.recv().await {
                Some(event) => handle_batch(state, runtime, events, event, &mut requests).await,
                None => return Ok(()),
            }
        }
    }
}

async fn handle_batch(
    state: &mut State,
    runtime: &mut Runtime,
    events: &mut mpsc::Receiver<AppEvent>,
    first: AppEvent,
    requests: &mut Vec<TerminalRequest>,
) {
    handle(state, runtime, first, requests).await;
    let mut handled = 1;
    while handled < MAX_BATCH {
        let Ok(event) = events.try_recv() else {
            break;
        };
        handle(state, runtime, event, requests).await;
        handled += 1;
        if !requests.is_empty() {
            // Hand the terminal over before anything else happens.
            break;
        }
        if state.quit {
            break;
        }
    }
}

/// What only the loop that owns the terminal can do.
#[derive(Debug)]
pub enum TerminalRequest {
    Run(crate::cluster::shell::ExternalCommand),
    Clipboard(String),
}

/// Update with one event and carry out its effects; requests for the
/// terminal are collected for the loop.
pub async fn handle(
    state: &mut State,
    runtime: &mut Runtime,
    event: AppEvent,
    requests: &mut Vec<TerminalRequest>,
) {
    let mut queue = vec![event];
    while let Some(event) = queue.pop() {
        match event {
            AppEvent::RunInTerminal(command) => requests.push(TerminalRequest::Run(command)),
            AppEvent::Clipboard(text) => requests.push(TerminalRequest::Clipboard(text)),
            event => {
                for effect in update(state, event) {
                    queue.extend(runtime.execute(effect).await);
                }
            }
        }
    }
}

/// Terminal keys and resizes into the app channel.
pub fn spawn_terminal_events(sender: mpsc::Sender<AppEvent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut stream = crossterm::event::EventStream::new();
        while let Some(event) = stream.next().await {
            let message = match event {
                Ok(crossterm::event::Event::Key(key)) => AppEvent::Key(key),
                Ok(crossterm::event::Event::Resize(_, _)) => AppEvent::Resize,
                Ok(_) => continue,
                Err(error) => {
                    tracing::error!(%error, "terminal input failed");
                    AppEvent::Terminate
                }
            };
            if sender.send(message).await.is_err() {
                return;
            }
        }
    })
}

/// The once-a-second clock.
pub fn spawn_ticker(sender: mpsc::Sender<AppEvent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            if sender.send(AppEvent::Tick).await.is_err() {
                return;
            }
        }
    })
}

/// SIGTERM / SIGHUP (an SSH session closing) end the app cleanly.
pub fn spawn_signals(sender: mpsc::Sender<AppEvent>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        // SIGINT and SIGQUIT sent from outside (in raw mode ctrl-c is a
        // key) end bosun like SIGTERM: cleanly, the terminal restored.
        let (Ok(mut term), Ok(mut hangup), Ok(mut interrupt), Ok(mut quit)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::quit()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hangup.recv() => {}
            _ = interrupt.recv() => {}
            _ = quit.recv() => {}
        }
        let _ = sender.send(AppEvent::Terminate).await;
    })
}

/// The real terminal's keys, pausable while a shell owns the terminal.
pub struct TerminalInput {
    sender: mpsc::Sender<AppEvent>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TerminalInput {
    pub fn start(sender: mpsc::Sender<AppEvent>) -> Self {
        let task = Some(spawn_terminal_events(sender.clone()));
        TerminalInput { sender, task }
    }
}

impl Foreground for TerminalInput {
    fn release(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        ratatui::restore();
    }

    fn reclaim(&mut self) {
        if let Err(error) = crossterm::terminal::enable_raw_mode() {
            tracing::error!(%error, "cannot re-enter raw mode");
        }
        if let Err(error) =
            crossterm::execute!(std::io::stdout(), crossterm::terminal::EnterAlternateScreen)
        {
            tracing::error!(%error, "cannot re-enter the alternate screen");
        }
        self.task = Some(spawn_terminal_events(self.sender.clone()));
    }

    fn clipboard(&mut self, text: &str) {
        use std::io::Write;
        let mut stdout = std::io::stdout();
        if let Err(error) = stdout
            .write_all(osc52(text).as_bytes())
            .and_then(|_| stdout.flush())
        {
            tracing::warn!(%error, "cannot write the clipboard sequence");
        }
    }
}

impl Drop for TerminalInput {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
