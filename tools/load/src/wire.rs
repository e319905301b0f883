//! A minimal client side of the WebSocket protocol (RFC 6455) over a plain `TcpStream`, for the
//! scenarios' hot loops, where a general-purpose WebSocket stack costs the client more than the
//! server it measures.
//!
//! [`Conn`] does its own HTTP upgrade (checking `Sec-WebSocket-Accept`), reads with large
//! non-blocking reads into one buffer and parses every complete frame in it without copying
//! ([`FrameReader`]), and writes frames queued with [`Conn::queue_text`] on [`Conn::flush`]: in
//! one go ([`WriteMode::Batched`]) or with one `write` per frame ([`WriteMode::PerFrame`], as a
//! browser does; with `TCP_NODELAY` each such write leaves as its own segment). Protocol duties are kept: pings from the server are answered with pongs, a
//! close from the server is echoed, fragmented messages are reassembled, frames split across reads
//! wait for the rest, masked or malformed frames from the server are errors, and every frame the
//! client sends is masked.

use std::io;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::cli::WriteMode;
use crate::conn::{PING, Target, is_pong, open_tcp};

const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Bytes asked of the kernel per read at least.
const READ_CHUNK: usize = 64 * 1024;
/// Largest frame or reassembled message accepted from the server.
pub const MAX_MESSAGE: usize = 16 << 20;

/// One frame (or reassembled message) from the server, borrowed from the reader's buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A complete text message (UTF-8 not checked).
    Text(&'a [u8]),
    /// A complete binary message.
    Binary(&'a [u8]),
    /// A pong (ignored by the scenarios).
    Pong,
    /// A close frame: status code (if any) and reason. Its echo is already queued.
    Close(Option<u16>, &'a [u8]),
}

/// Per-frame masking keys (xorshift; RFC 6455 wants them unpredictable to intermediaries, and
/// there are none on loopback).
#[derive(Clone, Debug)]
pub struct Masker(u32);

impl Masker {
    /// Seeds from the clock and the process id.
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Self((nanos ^ std::process::id().rotate_left(16)) | 1)
    }

    fn next(&mut self) -> [u8; 4] {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x.to_ne_bytes()
    }
}

impl Default for Masker {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends one final, masked client frame with `opcode` and `payload` to `out`.
pub fn encode_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8], mask: [u8; 4]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    let at = out.len();
    out.extend_from_slice(payload);
    for (i, b) in out[at..].iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// Encoded frames waiting to be written, with where each one ends.
#[derive(Debug, Default)]
pub struct Outbox {
    bytes: Vec<u8>,
    /// End offset in `bytes` of every queued unit (a frame, or the upgrade request).
    ends: Vec<usize>,
}

impl Outbox {
    /// Queues one final, masked client frame.
    pub fn frame(&mut self, opcode: u8, payload: &[u8], mask: [u8; 4]) {
        encode_frame(&mut self.bytes, opcode, payload, mask);
        self.ends.push(self.bytes.len());
    }

    /// Queues raw bytes as one unit (the upgrade request).
    pub fn raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len());
    }

    /// Every queued byte, in order.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Frames (units) queued.
    pub fn frames(&self) -> usize {
        self.ends.len()
    }

    /// Bytes queued.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The byte runs to hand to one `write` each: everything at once when batched, each frame on
    /// its own when per frame.
    pub fn writes(&self, mode: WriteMode) -> Vec<&[u8]> {
        match mode {
            WriteMode::Batched if self.bytes.is_empty() => Vec::new(),
            WriteMode::Batched => vec![&self.bytes[..]],
            WriteMode::PerFrame => {
                let mut start = 0;
                self.ends
                    .iter()
                    .map(|&end| {
                        let unit = &self.bytes[start..end];
                        start = end;
                        unit
                    })
                    .collect()
            }
        }
    }

    /// Writes everything queued to `socket` in `mode` and empties the queue (also on error).
    pub(crate) async fn write_to(&mut self, socket: &impl Socket, mode: WriteMode) -> io::Result<()> {
        let mut result = Ok(());
        for unit in self.writes(mode) {
            result = write_all(socket, unit).await;
            if result.is_err() {
                break;
            }
        }
        self.bytes.clear();
        self.ends.clear();
        result
    }
}

/// The non-blocking writing half of a socket; a trait so tests can count the writes.
pub(crate) trait Socket {
    /// One `write` system call (or its stand-in).
    fn try_write(&self, bytes: &[u8]) -> io::Result<usize>;
    /// Waits until a write may make progress.
    fn writable(&self) -> impl std::future::Future<Output = io::Result<()>>;
}

impl Socket for TcpStream {
    fn try_write(&self, bytes: &[u8]) -> io::Result<usize> {
        TcpStream::try_write(self, bytes)
    }

    async fn writable(&self) -> io::Result<()> {
        TcpStream::writable(self).await
    }
}

/// Parses server frames out of a byte buffer filled by reads of any size.
///
/// Pings are answered and closes echoed into [`FrameReader::replies`] (masked frames, to be
/// written by the owner); they are not returned, except the close.
pub struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Opcode of the fragmented message being reassembled in `frag`.
    frag_opcode: Option<u8>,
    frag: Vec<u8>,
    /// `frag` was returned and is cleared on the next call.
    frag_returned: bool,
    /// Frames to send in reply (pongs, the close echo).
    pub replies: Outbox,
    masker: Masker,
    closed: bool,
}

impl Default for FrameReader {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl FrameReader {
    /// A reader whose buffer starts with `initial` (bytes read past the handshake).
    pub fn new(initial: Vec<u8>) -> Self {
        let end = initial.len();
        let mut buf = initial;
        buf.resize(end.max(READ_CHUNK) * 2, 0);
        Self {
            buf,
            start: 0,
            end,
            frag_opcode: None,
            frag: Vec::new(),
            frag_returned: false,
            replies: Outbox::default(),
            masker: Masker::new(),
            closed: false,
        }
    }

    /// Room to read into (at least `READ_CHUNK` bytes); report what was read with [`Self::filled`].
    pub fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < READ_CHUNK {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() - self.end < READ_CHUNK {
                let len = self.buf.len() * 2;
                self.buf.resize(len, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Records `n` bytes read into [`Self::spare`].
    pub fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Appends bytes (tests, and the bytes read past the handshake).
    pub fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let mut done = 0;
        while done < n {
            let spare = self.spare();
            let k = spare.len().min(n - done);
            spare[..k].copy_from_slice(&bytes[done..done + k]);
            self.filled(k);
            done += k;
        }
    }

    /// True once a close frame was received.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The next complete text/binary message, pong or close in the buffer; `None` when more
    /// bytes are needed.
    pub fn next_frame(&mut self) -> anyhow::Result<Option<Frame<'_>>> {
        if self.frag_returned {
            self.frag_returned = false;
            self.frag.clear();
        }
        loop {
            let avail = &self.buf[self.start..self.end];
            if avail.len() < 2 {
                return Ok(None);
            }
            let (b0, b1) = (avail[0], avail[1]);
            let fin = b0 & 0x80 != 0;
            if b0 & 0x70 != 0 {
                bail!("frame with reserved bits set (0x{b0:02x}) from the server");
            }
            let opcode = b0 & 0x0F;
            if b1 & 0x80 != 0 {
                bail!("masked frame from the server");
            }
            let (len, header) = match b1 & 0x7F {
                126 => {
                    if avail.len() < 4 {
                        return Ok(None);
                    }
                    (u64::from(u16::from_be_bytes([avail[2], avail[3]])), 4)
                }
                127 => {
                    if avail.len() < 10 {
                        return Ok(None);
                    }
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&avail[2..10]);
                    (u64::from_be_bytes(b), 10)
                }
                n => (u64::from(n), 2),
            };
            if len > MAX_MESSAGE as u64 {
                bail!("frame of {len} bytes from the server (limit {MAX_MESSAGE})");
            }
            let len = len as usize;
            if avail.len() < header + len {
                return Ok(None);
            }
            let from = self.start + header;
            let to = from + len;
            self.start = to;
            match opcode {
                OP_TEXT | OP_BINARY | OP_CONT => {
                    if opcode == OP_CONT {
                        let Some(first) = self.frag_opcode else {
                            bail!("continuation frame without a message to continue");
                        };
                        if self.frag.len() + len > MAX_MESSAGE {
                            bail!("message over {MAX_MESSAGE} bytes from the server");
                        }
                        self.frag.extend_from_slice(&self.buf[from..to]);
                        if !fin {
                            continue;
                        }
                        self.frag_opcode = None;
                        self.frag_returned = true;
                        return Ok(Some(if first == OP_TEXT {
                            Frame::Text(&self.frag)
                        } else {
                            Frame::Binary(&self.frag)
                        }));
                    }
                    if self.frag_opcode.is_some() {
                        bail!("new message while a fragmented one is open");
                    }
                    if !fin {
                        self.frag_opcode = Some(opcode);
                        self.frag.extend_from_slice(&self.buf[from..to]);
                        continue;
                    }
                    let payload = &self.buf[from..to];
                    return Ok(Some(if opcode == OP_TEXT {
                        Frame::Text(payload)
                    } else {
                        Frame::Binary(payload)
                    }));
                }
                OP_PING | OP_PONG | OP_CLOSE => {
                    if !fin || len > 125 {
                        bail!("fragmented or oversized control frame from the server");
                    }
                    match opcode {
                        OP_PING => {
                            if !self.closed {
                                let mask = self.masker.next();
                                self.replies.frame(OP_PONG, &self.buf[from..to], mask);
                            }
                        }
                        OP_PONG => return Ok(Some(Frame::Pong)),
                        _ => {
                            let payload = &self.buf[from..to];
                            let code =
                                (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                            if !self.closed {
                                self.closed = true;
                                let mask = self.masker.next();
                                let echo = code.map(u16::to_be_bytes);
                                self.replies.frame(OP_CLOSE, echo.as_ref().map_or(&[], |c| &c[..]), mask);
                            }
                            let reason = if payload.len() > 2 { &payload[2..] } else { &[][..] };
                            return Ok(Some(Frame::Close(code, reason)));
                        }
                    }
                }
                other => bail!("unknown opcode 0x{other:x} from the server"),
            }
        }
    }
}

/// A client WebSocket connection driven frame by frame.
pub struct Conn {
    stream: TcpStream,
    /// Incoming frames.
    pub reader: FrameReader,
    out: Outbox,
    masker: Masker,
    mode: WriteMode,
}

impl Conn {
    /// Connects to `room` on a loopback server and performs the upgrade; `rcvbuf` shrinks the
    /// socket's receive buffer. Frames are written as `target.writes` says.
    pub async fn connect(target: &Target, room: &str, rcvbuf: Option<u32>) -> anyhow::Result<Self> {
        let stream = open_tcp(target, rcvbuf).await?;
        let path = target.path_for(room);
        let key = generate_key();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n\r\n",
            target.addr
        );
        let mut conn = Self {
            stream,
            reader: FrameReader::default(),
            out: Outbox::default(),
            masker: Masker::new(),
            mode: target.writes,
        };
        conn.out.raw(request.as_bytes());
        conn.flush().await.context("sending the upgrade request")?;
        let mut head = Vec::with_capacity(1024);
        let end = loop {
            if let Some(i) = find(&head, b"\r\n\r\n") {
                break i + 4;
            }
            if head.len() > 16 * 1024 {
                bail!("upgrade response headers over 16 KiB");
            }
            conn.stream.readable().await?;
            let mut chunk = [0u8; 4096];
            match conn.stream.try_read(&mut chunk) {
                Ok(0) => bail!("connection closed during the upgrade"),
                Ok(n) => head.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e).context("reading the upgrade response"),
            }
        };
        check_upgrade(&head[..end], &key).with_context(|| format!("WebSocket handshake with {path}"))?;
        conn.reader.push(&head[end..]);
        Ok(conn)
    }

    /// Queues a text frame; written by [`Self::flush`].
    pub fn queue_text(&mut self, payload: &[u8]) {
        let mask = self.masker.next();
        self.out.frame(OP_TEXT, payload, mask);
    }

    /// Bytes queued and not yet written.
    pub fn queued(&self) -> usize {
        self.out.len() + self.reader.replies.len()
    }

    /// How this connection writes its frames.
    pub fn mode(&self) -> WriteMode {
        self.mode
    }

    /// Writes the queued replies, then the queued frames: the replies with one `write` and the
    /// frames with another when batched, every frame with its own `write` when per frame.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.reader.replies.write_to(&self.stream, self.mode).await?;
        self.out.write_to(&self.stream, self.mode).await
    }

    /// Waits until the socket is readable and reads what is there; `Ok(false)` at end of stream.
    pub async fn fill(&mut self) -> io::Result<bool> {
        loop {
            self.stream.readable().await?;
            match self.try_fill() {
                Ok(Some(open)) => return Ok(open),
                Ok(None) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads what is there without waiting: `Some(false)` at end of stream, `None` when nothing was
    /// available.
    pub fn try_fill(&mut self) -> io::Result<Option<bool>> {
        match self.stream.try_read(self.reader.spare()) {
            Ok(0) => Ok(Some(false)),
            Ok(n) => {
                self.reader.filled(n);
                Ok(Some(true))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a ping and waits for the pong (other frames are skipped).
    pub async fn ping_pong(&mut self, timeout: Duration) -> anyhow::Result<()> {
        tokio::time::timeout(timeout, async {
            self.queue_text(PING.as_bytes());
            self.flush().await?;
            loop {
                while let Some(frame) = self.reader.next_frame()? {
                    match frame {
                        Frame::Text(t) if std::str::from_utf8(t).is_ok_and(is_pong) => return Ok(()),
                        Frame::Close(code, _) => bail!("closed by the server ({code:?}) before the pong"),
                        _ => {}
                    }
                }
                self.flush().await?;
                if !self.fill().await? {
                    bail!("connection closed before the pong");
                }
            }
        })
        .await
        .context("waiting for the pong")?
    }

    /// Sends a close frame (unless one was received) and gives the server `timeout` to close.
    pub async fn close(mut self, timeout: Duration) {
        if !self.reader.is_closed() {
            let mask = self.masker.next();
            self.out.frame(OP_CLOSE, &1000u16.to_be_bytes(), mask);
        }
        let _ = tokio::time::timeout(timeout, async {
            self.flush().await?;
            while self.fill().await? {
                while self.reader.next_frame().map_err(io::Error::other)?.is_some() {}
            }
            io::Result::Ok(())
        })
        .await;
    }
}

async fn write_all(stream: &impl Socket, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => stream.writable().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// Checks an upgrade response head (up to and including the blank line) against the request key.
pub fn check_upgrade(head: &[u8], key: &str) -> anyhow::Result<()> {
    let text = std::str::from_utf8(head).context("upgrade response is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let mut parts = status.split(' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) || parts.next() != Some("101") {
        bail!("expected 101 Switching Protocols, got {status:?}");
    }
    let expected = derive_accept_key(key.as_bytes());
    let accept = lines.filter_map(|l| l.split_once(':')).find_map(|(name, value)| {
        name.trim().eq_ignore_ascii_case("sec-websocket-accept").then(|| value.trim())
    });
    match accept {
        Some(a) if a == expected => Ok(()),
        Some(a) => bail!("Sec-WebSocket-Accept {a:?} does not match the key"),
        None => bail!("no Sec-WebSocket-Accept in the upgrade response"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unmasked server frame.
    fn server_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        let len = payload.len();
        if len < 126 {
            out.push(len as u8);
        } else if len <= 0xFFFF {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(payload);
        out
    }

    fn unmask(frame: &[u8]) -> (u8, Vec<u8>) {
        assert_eq!(frame[1] & 0x80, 0x80, "client frames are masked");
        let (len, at) = match frame[1] & 0x7F {
            126 => (u16::from_be_bytes([frame[2], frame[3]]) as usize, 4),
            127 => (u64::from_be_bytes(frame[2..10].try_into().expect("8")) as usize, 10),
            n => (n as usize, 2),
        };
        let mask = &frame[at..at + 4];
        let payload = frame[at + 4..at + 4 + len].iter().enumerate().map(|(i, b)| b ^ mask[i & 3]).collect();
        (frame[0], payload)
    }

    fn texts(r: &mut FrameReader) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().expect("valid") {
            if let Frame::Text(t) = f {
                out.push(String::from_utf8(t.to_vec()).expect("utf8"));
            }
        }
        out
    }

    #[test]
    fn client_frames_are_masked_and_round_trip() {
        let mut m = Masker::new();
        for len in [0usize, 17, 125, 126, 300, 65_535, 65_536, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut out = Vec::new();
            encode_frame(&mut out, OP_TEXT, &payload, m.next());
            let (b0, got) = unmask(&out);
            assert_eq!(b0, 0x81);
            assert_eq!(got, payload, "{len}");
        }
    }

    #[test]
    fn frames_split_at_every_byte() {
        let mut stream = Vec::new();
        stream.extend(server_frame(true, OP_TEXT, b"{\"action\":\"pong\",\"payload\":null}"));
        stream.extend(server_frame(true, OP_TEXT, &vec![b'a'; 300]));
        stream.extend(server_frame(true, OP_TEXT, &vec![b'b'; 70_000]));
        stream.extend(server_frame(true, OP_TEXT, b"end"));
        for split in [1usize, 2, 3, 5, 7, 64, 4096, 100_000] {
            let mut r = FrameReader::default();
            let mut got = Vec::new();
            for chunk in stream.chunks(split) {
                r.push(chunk);
                got.extend(texts(&mut r));
            }
            assert_eq!(got.len(), 4, "split {split}");
            assert_eq!(got[0], r#"{"action":"pong","payload":null}"#);
            assert_eq!(got[1].len(), 300);
            assert_eq!(got[2].len(), 70_000);
            assert_eq!(got[3], "end");
        }
    }

    #[test]
    fn fragmented_message_with_interleaved_ping() {
        let mut stream = Vec::new();
        stream.extend(server_frame(false, OP_TEXT, b"hel"));
        stream.extend(server_frame(true, OP_PING, b"hb"));
        stream.extend(server_frame(false, OP_CONT, b"lo "));
        stream.extend(server_frame(true, OP_CONT, b"world"));
        stream.extend(server_frame(true, OP_TEXT, b"next"));
        for split in [1usize, 4, 1000] {
            let mut r = FrameReader::default();
            let mut got = Vec::new();
            for chunk in stream.chunks(split) {
                r.push(chunk);
                got.extend(texts(&mut r));
            }
            assert_eq!(got, ["hello world", "next"], "split {split}");
            let (b0, payload) = unmask(r.replies.bytes());
            assert_eq!((b0, payload.as_slice()), (0x80 | OP_PONG, &b"hb"[..]), "ping answered");
        }
    }

    #[test]
    fn close_is_reported_and_echoed() {
        let mut r = FrameReader::default();
        let mut payload = 1008u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"slow consumer");
        r.push(&server_frame(true, OP_CLOSE, &payload));
        r.push(&server_frame(true, OP_PING, b"late"));
        assert_eq!(r.next_frame().expect("ok"), Some(Frame::Close(Some(1008), &b"slow consumer"[..])));
        assert!(r.is_closed());
        assert_eq!(r.next_frame().expect("ok"), None);
        let (b0, echo) = unmask(r.replies.bytes());
        assert_eq!((b0, echo), (0x80 | OP_CLOSE, 1008u16.to_be_bytes().to_vec()));
        let mut r = FrameReader::default();
        r.push(&server_frame(true, OP_CLOSE, b""));
        assert_eq!(r.next_frame().expect("ok"), Some(Frame::Close(None, &b""[..])));
    }

    #[test]
    fn protocol_errors() {
        let masked = [0x81u8, 0x81, 1, 2, 3, 4, b'x'];
        let reserved = [0xC1u8, 0x01, b'x'];
        let bad_opcode = [0x83u8, 0x00];
        let lone_cont = [0x80u8, 0x00];
        let long_ping = server_frame(true, OP_PING, &[0u8; 126]);
        let frag_ping = server_frame(false, OP_PING, b"x");
        let mut two_starts = server_frame(false, OP_TEXT, b"a");
        two_starts.extend(server_frame(true, OP_TEXT, b"b"));
        let huge = [0x81u8, 127, 0, 0, 0, 0, 0x10, 0, 0, 0];
        for bytes in
            [&masked[..], &reserved, &bad_opcode, &lone_cont, &long_ping, &frag_ping, &two_starts, &huge]
        {
            let mut r = FrameReader::default();
            r.push(bytes);
            assert!(r.next_frame().is_err(), "{bytes:?}");
        }
    }

    /// Records every `try_write` call; takes at most `max` bytes per call and refuses every
    /// `block_every`-th call with `WouldBlock` (0 = never).
    struct CountingSocket {
        writes: std::cell::RefCell<Vec<Vec<u8>>>,
        calls: std::cell::Cell<usize>,
        max: usize,
        block_every: usize,
    }

    impl CountingSocket {
        fn new(max: usize, block_every: usize) -> Self {
            Self { writes: Default::default(), calls: Default::default(), max, block_every }
        }
    }

    impl Socket for CountingSocket {
        fn try_write(&self, bytes: &[u8]) -> io::Result<usize> {
            self.calls.set(self.calls.get() + 1);
            if self.block_every > 0 && self.calls.get() % self.block_every == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = bytes.len().min(self.max);
            self.writes.borrow_mut().push(bytes[..n].to_vec());
            Ok(n)
        }

        async fn writable(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(f)
    }

    /// Five frames of different sizes (7-byte to 8-byte-length headers) and their payloads.
    fn queued_frames() -> (Outbox, Vec<Vec<u8>>) {
        let mut m = Masker::new();
        let mut out = Outbox::default();
        let payloads: Vec<Vec<u8>> =
            [17usize, 0, 125, 300, 70_000].iter().map(|&len| vec![b'p'; len]).collect();
        for p in &payloads {
            out.frame(OP_TEXT, p, m.next());
        }
        (out, payloads)
    }

    #[test]
    fn per_frame_mode_writes_each_frame_with_its_own_write() {
        let (mut out, payloads) = queued_frames();
        assert_eq!(out.frames(), 5);
        let socket = CountingSocket::new(usize::MAX, 0);
        block_on(out.write_to(&socket, WriteMode::PerFrame)).expect("written");
        let writes = socket.writes.into_inner();
        assert_eq!(writes.len(), payloads.len(), "one write per frame");
        for (write, payload) in writes.iter().zip(&payloads) {
            let (b0, got) = unmask(write);
            assert_eq!(b0, 0x80 | OP_TEXT);
            assert_eq!(&got, payload);
            let header = if payload.len() < 126 {
                6
            } else if payload.len() <= 0xFFFF {
                8
            } else {
                14
            };
            assert_eq!(write.len(), header + payload.len(), "exactly one frame, nothing more");
        }
        assert!(out.is_empty() && out.frames() == 0, "queue emptied");
    }

    #[test]
    fn batched_mode_writes_everything_at_once() {
        let (mut out, _) = queued_frames();
        let all = out.bytes().to_vec();
        let socket = CountingSocket::new(usize::MAX, 0);
        block_on(out.write_to(&socket, WriteMode::Batched)).expect("written");
        assert_eq!(socket.writes.into_inner(), vec![all]);
        // Nothing queued: no write at all, in either mode.
        for mode in [WriteMode::Batched, WriteMode::PerFrame] {
            let socket = CountingSocket::new(usize::MAX, 0);
            block_on(Outbox::default().write_to(&socket, mode)).expect("nothing to write");
            assert_eq!(socket.calls.get(), 0);
        }
    }

    #[test]
    fn per_frame_writes_never_span_frames_when_the_kernel_takes_part() {
        let (mut out, payloads) = queued_frames();
        let all = out.bytes().to_vec();
        let ends: Vec<usize> = payloads
            .iter()
            .scan(0, |at, p| {
                let header = if p.len() < 126 {
                    6
                } else if p.len() <= 0xFFFF {
                    8
                } else {
                    14
                };
                *at += header + p.len();
                Some(*at)
            })
            .collect();
        let socket = CountingSocket::new(1000, 3);
        block_on(out.write_to(&socket, WriteMode::PerFrame)).expect("written");
        let writes = socket.writes.into_inner();
        assert_eq!(writes.concat(), all, "every byte once, in order");
        let mut at = 0;
        for w in &writes {
            let next_end = ends.iter().find(|&&e| e > at).expect("inside a frame");
            assert!(at + w.len() <= *next_end, "a write from {at} of {} crosses a frame end", w.len());
            at += w.len();
        }
    }

    #[test]
    fn upgrade_response_is_checked() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ok = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\
                  sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        check_upgrade(ok.as_bytes(), key).expect("valid");
        let wrong = ok.replace("s3pP", "AAAA");
        assert!(check_upgrade(wrong.as_bytes(), key).is_err());
        assert!(check_upgrade(b"HTTP/1.1 404 Not Found\r\n\r\n", key).is_err());
        assert!(check_upgrade(b"HTTP/1.1 101 Switching Protocols\r\n\r\n", key).is_err());
    }
}
