//! The CBOR the cloud and the agent exchange, written and read independently of the library:
//! stream data blocks `{"f","i","l","p"}` (what AWS IoT streams send) and the GetStream request
//! `{"c","f","l","o","b","n"}` (what v2.0.0 publishes), both in shortest form.

/// Appends a shortest-form head of `major` with argument `arg`.
pub fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

/// A signed integer: major 0 for n >= 0, major 1 with -1 - n below.
pub fn int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        head(out, 0, n as u64);
    } else {
        head(out, 1, (-1 - n) as u64);
    }
}

/// A one-letter text key.
pub fn key(out: &mut Vec<u8>, k: u8) {
    out.push(0x61);
    out.push(k);
}

/// A stream data block as AWS sends it; `chunks` > 1 sends the payload as an indefinite-length
/// byte string of that many pieces.
pub fn block(file_id: i64, block_id: i64, declared: i64, payload: &[u8], chunks: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 32);
    head(&mut out, 5, 4);
    key(&mut out, b'f');
    int(&mut out, file_id);
    key(&mut out, b'i');
    int(&mut out, block_id);
    key(&mut out, b'l');
    int(&mut out, declared);
    key(&mut out, b'p');
    if chunks <= 1 {
        head(&mut out, 2, payload.len() as u64);
        out.extend_from_slice(payload);
    } else {
        out.push(0x5f);
        let step = payload.len().div_ceil(chunks).max(1);
        for piece in payload.chunks(step) {
            head(&mut out, 2, piece.len() as u64);
            out.extend_from_slice(piece);
        }
        out.push(0xff);
    }
    out
}

/// The GetStream request exactly as v2.0.0 encodes it.
pub fn request(
    token: &[u8],
    file_id: i32,
    block_size: i32,
    offset: i32,
    bitmap: &[u8],
    n: i32,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len() + bitmap.len() + 40);
    head(&mut out, 5, 6);
    key(&mut out, b'c');
    head(&mut out, 3, token.len() as u64);
    out.extend_from_slice(token);
    key(&mut out, b'f');
    int(&mut out, file_id.into());
    key(&mut out, b'l');
    int(&mut out, block_size.into());
    key(&mut out, b'o');
    int(&mut out, offset.into());
    key(&mut out, b'b');
    head(&mut out, 2, bitmap.len() as u64);
    out.extend_from_slice(bitmap);
    key(&mut out, b'n');
    int(&mut out, n.into());
    out
}

/// A decoded GetStream request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub token: Vec<u8>,
    pub file_id: i32,
    pub block_size: i32,
    pub offset: i32,
    pub bitmap: Vec<u8>,
    pub blocks: i32,
}

/// Reads a request; `None` unless the message is exactly v2.0.0's six-pair map in shortest form.
pub fn parse_request(msg: &[u8]) -> Option<Request> {
    let mut r = Reader { rest: msg };
    if r.head()? != (5, 6) {
        return None;
    }
    let text = |r: &mut Reader<'_>, major: u8| -> Option<Vec<u8>> {
        let (m, len) = r.head()?;
        (m == major).then_some(())?;
        r.take(usize::try_from(len).ok()?).map(<[u8]>::to_vec)
    };
    let number = |r: &mut Reader<'_>| -> Option<i32> {
        match r.head()? {
            (0, v) => i32::try_from(v).ok(),
            (1, v) => i32::try_from(-1 - i64::try_from(v).ok()?).ok(),
            _ => None,
        }
    };
    r.key(b'c')?;
    let token = text(&mut r, 3)?;
    r.key(b'f')?;
    let file_id = number(&mut r)?;
    r.key(b'l')?;
    let block_size = number(&mut r)?;
    r.key(b'o')?;
    let offset = number(&mut r)?;
    r.key(b'b')?;
    let bitmap = text(&mut r, 2)?;
    r.key(b'n')?;
    let blocks = number(&mut r)?;
    let req = Request {
        token,
        file_id,
        block_size,
        offset,
        bitmap,
        blocks,
    };
    // Shortest form throughout: the canonical encoding of what was read is the message.
    (r.rest.is_empty()
        && request(&req.token, file_id, block_size, offset, &req.bitmap, blocks) == msg)
        .then_some(req)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = self.rest.split_at_checked(n)?;
        self.rest = b;
        Some(a)
    }

    fn head(&mut self) -> Option<(u8, u64)> {
        let first = *self.take(1)?.first()?;
        let info = first & 0x1f;
        let arg = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.take(1)?[0]),
            25 => u64::from(u16::from_be_bytes(self.take(2)?.try_into().ok()?)),
            26 => u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?)),
            27 => u64::from_be_bytes(self.take(8)?.try_into().ok()?),
            _ => return None,
        };
        Some((first >> 5, arg))
    }

    fn key(&mut self, k: u8) -> Option<()> {
        (self.take(2)? == [0x61, k]).then_some(())
    }
}
