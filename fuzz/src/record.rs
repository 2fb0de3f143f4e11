//! The resume record of include/ota_ext.h, written and read here independently of the library
//! (its own CRC-32, table-driven, where the library's goes bit by bit), so the world can tell a
//! valid record from a forged one without asking the code under test.

/// The header's magic and version (bytes 0..5).
pub const MAGIC: &[u8; 4] = b"OTAR";
pub const VERSION: u8 = 1;
/// Header plus CRC: a record is this plus its job ID, stream name and bitmap.
pub const FIXED: usize = 32;

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// CRC-32 as zlib's crc32(0, data, len).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

/// A record's fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rec {
    pub job: Vec<u8>,
    pub stream: Vec<u8>,
    pub file_size: u32,
    pub block_size: u32,
    pub file_id: u32,
    pub path_crc: u32,
    /// Bit i % 8 of byte i / 8 set while block i is still needed.
    pub bitmap: Vec<u8>,
}

impl Rec {
    /// The record's bytes (lengths truncated to their fields: a forged record may lie).
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED + self.job.len() + self.stream.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.job.len() as u8);
        out.push(self.stream.len() as u8);
        out.push(0);
        for n in [self.file_size, self.block_size, self.file_id, self.path_crc] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&(self.bitmap.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.job);
        out.extend_from_slice(&self.stream);
        out.extend_from_slice(&self.bitmap);
        seal(&mut out);
        out
    }

    /// Whether block `i` is still needed.
    pub fn needed(&self, i: u32) -> bool {
        self.bitmap
            .get((i / 8) as usize)
            .is_some_and(|b| b & (1 << (i % 8)) != 0)
    }
}

/// Appends the CRC of everything in `out`.
pub fn seal(out: &mut Vec<u8>) {
    let crc = crc32(out);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Replaces the last four bytes with the CRC of the ones before (a forger who knows the CRC).
pub fn reseal(out: &mut Vec<u8>) {
    if out.len() >= 4 {
        out.truncate(out.len() - 4);
        seal(out);
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads a record: Some only when magic, version, every length and the CRC agree and the bytes
/// hold exactly one record. The reserved bytes (7, 26, 27) are not looked at, as the library
/// does not look at them either.
pub fn decode(b: &[u8]) -> Option<Rec> {
    if b.len() < FIXED || &b[..4] != MAGIC || b[4] != VERSION {
        return None;
    }
    let body = b.len() - 4;
    if le32(b, body) != crc32(&b[..body]) {
        return None;
    }
    let j = usize::from(b[5]);
    let s = usize::from(b[6]);
    let bits = usize::from(u16::from_le_bytes([b[24], b[25]]));
    if 28 + j + s + bits != body {
        return None;
    }
    Some(Rec {
        job: b[28..28 + j].to_vec(),
        stream: b[28 + j..28 + j + s].to_vec(),
        file_size: le32(b, 8),
        block_size: le32(b, 12),
        file_id: le32(b, 16),
        path_crc: le32(b, 20),
        bitmap: b[28 + j + s..body].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_zlibs() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn round_trip() {
        let r = Rec {
            job: b"job-1".to_vec(),
            stream: b"stream-A".to_vec(),
            file_size: 28772,
            block_size: 4096,
            file_id: 3,
            path_crc: crc32(b"/fw/image.bin"),
            bitmap: vec![0xf0],
        };
        let b = r.bytes();
        assert_eq!(b.len(), 46);
        assert_eq!(decode(&b), Some(r));
    }
}
