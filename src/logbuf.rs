//! The logs view's model: a bounded ring buffer of lines kept in time
//! order, with a count of the lines evicted to stay within capacity.
//!
//! Live batches mostly arrive in time order and are appended; a batch that
//! reaches back in time (another pod's history) is merged into the tail from
//! its insertion point, found by binary search, in place and from the back,
//! so the cost is the size of the overlap, never a re-sort. Lines without a
//! timestamp (nanos 0) are appended and sort as if they carried their
//! predecessor's time.

use std::collections::VecDeque;

use crate::cluster::logs::{LogLine, format_timestamp};

/// The capacity the app uses unless configured otherwise.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug)]
struct Entry {
    /// The sort key: the line's nanos, or its predecessor's when it has none.
    key: i64,
    line: LogLine,
}

impl Default for Entry {
    fn default() -> Self {
        Entry {
            key: 0,
            line: LogLine {
                source: 0,
                nanos: 0,
                text: Box::default(),
            },
        }
    }
}

#[derive(Debug)]
pub struct LogBuffer {
    entries: VecDeque<Entry>,
    capacity: usize,
    dropped: u64,
    generation: u64,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer::new(DEFAULT_CAPACITY)
    }
}

impl LogBuffer {
    /// A buffer keeping at most `capacity` lines (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        LogBuffer {
            entries: VecDeque::new(),
            capacity,
            dropped: 0,
            generation: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Merge a batch (in order, one source) into time order; evict the
    /// oldest lines beyond capacity, counting them.
    pub fn push(&mut self, batch: Vec<LogLine>) {
        if batch.is_empty() {
            return;
        }
        self.generation = self.generation.wrapping_add(1);
        let mut run: Vec<Entry> = Vec::new();
        let mut previous = self.entries.back().map_or(i64::MIN, |e| e.key);
        for line in batch {
            let key = if line.nanos == 0 {
                previous
            } else {
                line.nanos
            };
            // A batch that goes back in time (it should not) is merged run
            // by sorted run.
            if key < previous && !run.is_empty() {
                self.merge(std::mem::take(&mut run));
            }
            if line.nanos == 0 && run.is_empty() {
                // No timestamp and nothing before it in this batch: append.
                let key = self.entries.back().map_or(i64::MIN, |e| e.key);
                self.entries.push_back(Entry { key, line });
                previous = key;
                continue;
            }
            run.push(Entry { key, line });
            previous = key;
        }
        if !run.is_empty() {
            self.merge(run);
        }
        self.evict();
    }

    /// Merge a run sorted by key into the (sorted) entries.
    fn merge(&mut self, run: Vec<Entry>) {
        let Some(first) = run.first() else {
            return;
        };
        // After every entry with an equal key: earlier arrivals stay first.
        let start = self.entries.partition_point(|e| e.key <= first.key);
        let old_len = self.entries.len();
        if start == old_len {
            self.entries.extend(run);
            return;
        }
        // Make room at the back, then merge from the back in place.
        let added = run.len();
        self.entries.resize_with(old_len + added, Entry::default);
        let mut run = run;
        let mut i = old_len; // one past the last unmerged old entry
        let mut k = old_len + added; // one past the next slot to fill
        while let Some(last) = run.last() {
            if i > start && self.entries[i - 1].key > last.key {
                i -= 1;
                k -= 1;
                self.entries.swap(i, k);
            } else if let Some(entry) = run.pop() {
                k -= 1;
                self.entries[k] = entry;
            }
        }
    }

    fn evict(&mut self) {
        let excess = self.entries.len().saturating_sub(self.capacity);
        if excess > 0 {
            self.entries.drain(..excess);
            self.dropped = self.dropped.saturating_add(excess as u64);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lines evicted so far to stay within capacity.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn get(&self, index: usize) -> Option<&LogLine> {
        self.entries.get(index).map(|e| &e.line)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.entries.iter().map(|e| &e.line)
    }

    /// Bumps on every change; views cache on it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Indices of the lines containing `needle`, ignoring case, in order.
    /// An empty needle matches every line.
    pub fn matches(&self, needle: &str) -> Vec<usize> {
        let needle = Needle::new(needle);
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| needle.found_in(&e.line.text))
            .map(|(i, _)| i)
            .collect()
    }

    /// The matching lines plus `context` lines before and after each,
    /// de-duplicated, in order (like `grep -C`).
    pub fn filtered(&self, needle: &str, context: usize) -> Vec<usize> {
        let len = self.entries.len();
        let mut out = Vec::new();
        let mut next = 0usize; // the first index not yet in `out`
        for m in self.matches(needle) {
            let from = m.saturating_sub(context).max(next);
            let to = m.saturating_add(context).min(len.saturating_sub(1));
            if from <= to {
                out.extend(from..=to);
                next = to + 1;
            }
        }
        out
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.generation = self.generation.wrapping_add(1);
    }

    /// The buffer as text for "save to file": one line per entry, with a
    /// `[source] ` prefix when there are several sources and the kubelet
    /// timestamp when asked.
    pub fn to_text(&self, sources: &[String], timestamps: bool) -> String {
        let mut out = String::with_capacity(self.entries.len() * 64);
        for entry in &self.entries {
            let line = &entry.line;
            if sources.len() > 1 {
                out.push('[');
                match sources.get(line.source as usize) {
                    Some(name) => out.push_str(name),
                    None => out.push_str(&line.source.to_string()),
                }
                out.push_str("] ");
            }
            if timestamps && line.nanos != 0 {
                out.push_str(&format_timestamp(line.nanos));
                out.push(' ');
            }
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }
}

/// A case-insensitive substring search, without allocating per line when
/// the needle is ASCII.
enum Needle {
    Empty,
    Ascii(Vec<u8>),
    Unicode(String),
}

impl Needle {
    fn new(needle: &str) -> Needle {
        if needle.is_empty() {
            Needle::Empty
        } else if needle.is_ascii() {
            Needle::Ascii(needle.to_ascii_lowercase().into_bytes())
        } else {
            Needle::Unicode(needle.to_lowercase())
        }
    }

    fn found_in(&self, haystack: &str) -> bool {
        match self {
            Needle::Empty => true,
            Needle::Ascii(needle) => {
                let hay = haystack.as_bytes();
                let Some((&first, rest)) = needle.split_first() else {
                    return true;
                };
                if hay.len() < needle.len() {
                    return false;
                }
                (0..=hay.len() - needle.len()).any(|i| {
                    hay[i].to_ascii_lowercase() == first
                        && hay[i + 1..i + needle.len()]
                            .iter()
                            .zip(rest)
                            .all(|(a, b)| a.to_ascii_lowercase() == *b)
                })
            }
            Needle::Unicode(needle) => haystack.to_lowercase().contains(needle.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(source: u32, nanos: i64, text: &str) -> LogLine {
        LogLine {
            source,
            nanos,
            text: text.into(),
        }
    }

    fn texts(buffer: &LogBuffer) -> Vec<&str> {
        buffer.iter().map(|l| &*l.text).collect()
    }

    #[test]
    fn merges_out_of_order_batches_stably() {
        let mut buffer = LogBuffer::new(100);
        buffer.push(vec![
            line(0, 10, "a10"),
            line(0, 20, "a20"),
            line(0, 30, "a30"),
        ]);
        buffer.push(vec![
            line(1, 5, "b5"),
            line(1, 20, "b20"),
            line(1, 25, "b25"),
        ]);
        assert_eq!(texts(&buffer), ["b5", "a10", "a20", "b20", "b25", "a30"]);
        buffer.push(vec![line(1, 0, "b-no-time"), line(0, 40, "a40")]);
        assert_eq!(buffer.get(6).map(|l| &*l.text), Some("b-no-time"));
        assert_eq!(buffer.get(7).map(|l| &*l.text), Some("a40"));
        // An unsorted batch still ends up sorted.
        buffer.push(vec![line(2, 50, "c50"), line(2, 1, "c1")]);
        assert_eq!(buffer.get(0).map(|l| &*l.text), Some("c1"));
        assert_eq!(buffer.iter().last().map(|l| &*l.text), Some("c50"));
    }

    #[test]
    fn ascii_and_unicode_needles() {
        let n = Needle::new("GeT");
        assert!(n.found_in("a get b"));
        assert!(!n.found_in("ge"));
        let n = Needle::new("ÄB");
        assert!(n.found_in("xäbx"));
    }
}
