//! Typed input: the command line, filters, searches, the pager.

use super::*;

pub(super) fn on_input_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let mut input = std::mem::take(&mut state.input);
    let text = match &mut input {
        Input::Command(text)
        | Input::Filter(text)
        | Input::Search(text)
        | Input::Scale(text)
        | Input::SetImage(text)
        | Input::LogFilter(text) => text,
        Input::None => return,
    };
    match key.code {
        KeyCode::Esc => {
            if let Input::Filter(_) = input {
                // Esc in the filter prompt drops the filter, as in k9s.
                let view = state.view_mut();
                view.filter_text.clear();
                view.filter = Filter::None;
            }
            return;
        }
        KeyCode::Char('c') if ctrl => return,
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char('w') if ctrl => {
            let trimmed = text.trim_end().len();
            let cut = text[..trimmed].rfind(' ').map(|i| i + 1).unwrap_or(0);
            text.truncate(cut);
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Tab | KeyCode::Right => {
            if let Input::Command(line) = &mut input
                && let Some(completed) =
                    command::complete(line, &state.namespace_names(), &state.context_names())
            {
                *line = completed;
            }
        }
        KeyCode::Enter => {
            match input {
                Input::Command(line) => run_command(state, &line, effects),
                Input::Filter(line) => {
                    if let Err(error) = set_filter(state, &line) {
                        state.flash(Level::Error, format!("filter: {error}"));
                    }
                }
                Input::Search(line) => match state.logs.as_mut() {
                    Some(view) => crate::app::logs::set_search(view, line),
                    None => apply_search(state, line),
                },
                Input::LogFilter(line) => {
                    if let Some(view) = state.logs.as_mut() {
                        crate::app::logs::set_filter(view, line);
                    }
                }
                Input::Scale(line) => match (line.trim().parse::<i32>(), state.scale_target.take())
                {
                    // Confirmed like every other mutation.
                    (Ok(replicas), Some((kind, key))) if replicas >= 0 => {
                        ask_scale_confirm(state, kind, key, replicas)
                    }
                    (_, Some(target)) => {
                        state.flash(
                            Level::Error,
                            format!("\"{}\" is not a replica count", line.trim()),
                        );
                        state.scale_target = Some(target);
                        state.input = Input::Scale(line);
                    }
                    (_, None) => {}
                },
                Input::SetImage(line) => super::argo_rollouts::submit_set_image(state, &line),
                Input::None => {}
            }
            return;
        }
        KeyCode::Char(character) if !ctrl => text.push(character),
        _ => {}
    }
    if let Input::Filter(line) = &input {
        // Live filtering as you type; an incomplete selector keeps the last
        // good filter until it parses.
        let line = line.clone();
        let _ = set_filter(state, &line);
    }
    state.input = input;
}

pub(super) fn set_filter(state: &mut State, text: &str) -> Result<(), String> {
    let filter = Filter::parse(text)?;
    let view = state.view_mut();
    view.filter_text = text.trim().to_string();
    view.filter = filter;
    Ok(())
}

pub(super) fn run_command(state: &mut State, line: &str, effects: &mut Vec<Effect>) {
    match command::parse(line) {
        Ok(Command::Quit) => quit(state, effects),
        Ok(Command::Help) => state.help_open = true,
        Ok(Command::SwitchContext(name)) => switch_context(state, name, effects),
        Ok(Command::View { kind, namespace }) => {
            if let Some(namespace) = namespace {
                if kind.namespaced() || kind == ViewKind::Pulse {
                    state.namespace = match namespace.as_str() {
                        "all" | "-A" | "*" => None,
                        name => Some(name.to_string()),
                    };
                } else {
                    state.flash(Level::Warn, format!("{} are not namespaced", kind.title()));
                }
            }
            switch_view(state, kind);
        }
        Err(error) => state.flash(Level::Error, error),
    }
}

pub(super) fn open_detail(state: &mut State, detail: DetailKind, effects: &mut Vec<Effect>) {
    let view = state.view();
    let (kind, key) = match (view.kind, &view.pin) {
        (ViewKind::Resource(kind), _) => match view.selected.clone() {
            Some(key) => (kind, key),
            None => return,
        },
        (ViewKind::Containers, Pin::Pod(pod)) => (ResourceKind::Pods, pod.clone()),
        (ViewKind::Certs, _) => {
            let Some(key) = view.selected.clone() else {
                return;
            };
            let kind = state
                .certs
                .iter()
                .find(|entry| {
                    entry.view.namespace == key.namespace.as_ref()
                        && entry.view.name == key.name.as_ref()
                })
                .map(|entry| entry.view.kind);
            match kind {
                Some("Certificate") => (ResourceKind::Certificates, key),
                Some("Secret") => (ResourceKind::TlsSecrets, key),
                _ => {
                    state.flash(
                        Level::Warn,
                        "this row is a host without its secret: nothing to fetch",
                    );
                    return;
                }
            }
        }
        _ => {
            state.flash(Level::Warn, "nothing to show here");
            return;
        }
    };
    state.next_request += 1;
    let request = state.next_request;
    let verb = match detail {
        DetailKind::Yaml => "yaml",
        DetailKind::Describe => "describe",
    };
    state.detail = Some(Detail {
        request,
        kind: detail,
        title: format!("{verb} {}/{key}", kind.kind().to_lowercase()),
        lines: Vec::new(),
        loading: true,
        error: None,
        scroll: 0,
        search: String::new(),
        matches: Vec::new(),
        current_match: 0,
        diff: None,
        live_rollout: None,
    });
    effects.push(Effect::FetchDetail {
        request,
        kind,
        key,
        detail,
    });
}

pub(super) fn on_pager_key(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(action) = state.keymap.action(KeyContext::Pager, &key) else {
        return;
    };
    let page = state.page_rows.max(1);
    let Some(detail) = state.detail.as_mut() else {
        return;
    };
    let last = detail.lines.len().saturating_sub(1);
    match action {
        Action::Quit => quit(state, effects),
        Action::Back => {
            if detail.search.is_empty() {
                state.detail = None;
            } else {
                detail.search.clear();
                detail.matches.clear();
            }
        }
        Action::Help => state.help_open = true,
        Action::Filter => state.input = Input::Search(String::new()),
        Action::Up => detail.scroll = detail.scroll.saturating_sub(1),
        Action::Down => detail.scroll = (detail.scroll + 1).min(last),
        Action::PageUp => detail.scroll = detail.scroll.saturating_sub(page),
        Action::PageDown => detail.scroll = (detail.scroll + page).min(last),
        Action::Top => detail.scroll = 0,
        Action::Bottom => detail.scroll = last.saturating_sub(page.saturating_sub(1)),
        Action::NextMatch | Action::PrevMatch => {
            if super::gitops::jump_object(state, action == Action::NextMatch) {
                return;
            }
            let Some(detail) = state.detail.as_mut() else {
                return;
            };
            if detail.matches.is_empty() {
                return;
            }
            let count = detail.matches.len();
            detail.current_match = if action == Action::NextMatch {
                (detail.current_match + 1) % count
            } else {
                (detail.current_match + count - 1) % count
            };
            detail.scroll = detail.matches[detail.current_match];
        }
        _ => {}
    }
}

pub(super) fn apply_search(state: &mut State, text: String) {
    let Some(detail) = state.detail.as_mut() else {
        return;
    };
    let needle = text.to_lowercase();
    detail.matches = if needle.is_empty() {
        Vec::new()
    } else {
        detail
            .lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.to_lowercase().contains(&needle))
            .map(|(number, _)| number)
            .collect()
    };
    detail.search = text;
    detail.current_match = 0;
    match detail.matches.first() {
        Some(&first) => detail.scroll = first,
        None if !needle.is_empty() => {
            let message = format!("no match for \"{}\"", detail.search);
            state.flash(Level::Warn, message);
        }
        None => {}
    }
}
