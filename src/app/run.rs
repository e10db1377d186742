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
    scroll_into_view(state, size.height.saturating_sub(CHROME_ROWS) as usize);
    terminal.draw(|frame| crate::ui::draw(frame, state, theme))?;
    state.dirty = false;
    Ok(())
}

/// Run until quit. `events` carries keys (from the terminal or a test),
/// ticks and every worker's messages.
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    runtime: &mut Runtime,
    events: &mut mpsc::Receiver<AppEvent>,
    theme: &Theme,
) -> Result<(), B::Error> {
    let mut last_draw: Option<Instant> = None;
    loop {
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
                    Some(event) => handle_batch(state, runtime, events, event).await,
                    None => return Ok(()),
                },
                _ = tokio::time::sleep_until(due) => {}
            }
        } else {
            match events.recv().await {
                Some(event) => handle_batch(state, runtime, events, event).await,
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
) {
    handle(state, runtime, first).await;
    let mut handled = 1;
    while handled < MAX_BATCH {
        let Ok(event) = events.try_recv() else {
            break;
        };
        handle(state, runtime, event).await;
        handled += 1;
        if state.quit {
            break;
        }
    }
}

async fn handle(state: &mut State, runtime: &mut Runtime, event: AppEvent) {
    let mut queue = vec![event];
    while let Some(event) = queue.pop() {
        for effect in update(state, event) {
            queue.extend(runtime.execute(effect).await);
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
        let (Ok(mut term), Ok(mut hangup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hangup.recv() => {}
        }
        let _ = sender.send(AppEvent::Terminate).await;
    })
}
