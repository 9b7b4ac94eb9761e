//! Reading /proc from user programs: line by line in a small buffer (no heap here), a numeric
//! field of /proc/meminfo, /proc/self/status or /proc/self/mmstat, and /proc/self/maps lines.

use crate::sys::{O_RDONLY, close, open, read};

/// Reads the file at `path` (NUL-terminated) in small chunks and calls `f` with each line, without
/// its newline. A line longer than the buffer arrives in pieces. False if the file cannot be opened.
pub fn for_each_line(path: &[u8], mut f: impl FnMut(&[u8])) -> bool {
    let fd = open(path, O_RDONLY);
    if fd < 0 {
        return false;
    }
    let mut buf = [0u8; 4096];
    let mut len = 0;
    loop {
        let n = read(fd as u64, &mut buf[len..]);
        if n <= 0 {
            break;
        }
        len += n as usize;
        let mut start = 0;
        while let Some(pos) = buf[start..len].iter().position(|&b| b == b'\n') {
            f(&buf[start..start + pos]);
            start += pos + 1;
        }
        buf.copy_within(start..len, 0);
        len -= start;
        if len == buf.len() {
            f(&buf[..len]);
            len = 0;
        }
    }
    if len > 0 {
        f(&buf[..len]);
    }
    close(fd as u64);
    true
}

/// The first number on the line of `path` that starts with `key` followed by ':' or ' '
/// ("MemFree:  123 kB", "RssAnon:\t 20 kB", "rss_anon 5").
pub fn field(path: &[u8], key: &str) -> Option<u64> {
    let mut value = None;
    for_each_line(path, |line| {
        let Some(rest) = line.strip_prefix(key.as_bytes()) else {
            return;
        };
        if !matches!(rest.first(), Some(b':' | b' ')) || value.is_some() {
            return;
        }
        let digits: &[u8] = rest
            .iter()
            .position(|b| b.is_ascii_digit())
            .map_or(&[], |i| &rest[i..]);
        let end = digits
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(digits.len());
        value = core::str::from_utf8(&digits[..end])
            .ok()
            .and_then(|s| s.parse().ok());
    });
    value
}

/// One line of /proc/PID/maps, as far as programs here need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapsArea {
    pub start: u64,
    pub end: u64,
    pub perms: [u8; 4],
}

impl MapsArea {
    pub fn pages(&self) -> u64 {
        (self.end - self.start) / 4096
    }
}

/// Parses the range and permissions at the start of a maps line.
pub fn parse_maps_line(line: &[u8]) -> Option<MapsArea> {
    let text = core::str::from_utf8(line).ok()?;
    let mut cols = text.split_ascii_whitespace();
    let (s, e) = cols.next()?.split_once('-')?;
    let perms: [u8; 4] = cols.next()?.as_bytes().try_into().ok()?;
    Some(MapsArea {
        start: u64::from_str_radix(s, 16).ok()?,
        end: u64::from_str_radix(e, 16).ok()?,
        perms,
    })
}

/// The area of this process that contains `addr`.
pub fn area_of(addr: u64) -> Option<MapsArea> {
    let mut found = None;
    for_each_line(b"/proc/self/maps\0", |line| {
        if let Some(area) = parse_maps_line(line)
            && area.start <= addr
            && addr < area.end
        {
            found = Some(area);
        }
    });
    found
}

/// The area whose line ends with `name` ("[stack]", "[heap]").
pub fn named_area(name: &str) -> Option<MapsArea> {
    let mut found = None;
    for_each_line(b"/proc/self/maps\0", |line| {
        if line.ends_with(name.as_bytes()) {
            found = parse_maps_line(line);
        }
    });
    found
}

/// The number of lines (areas) in /proc/self/maps.
pub fn map_count() -> usize {
    let mut n = 0;
    for_each_line(b"/proc/self/maps\0", |_| n += 1);
    n
}
