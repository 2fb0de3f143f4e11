//! The resume record's bytes, as include/ota_ext.h lays them out: written from a download's
//! values, read back only when every length, the version and the CRC agree.

use crate::sys;

const MAGIC: [u8; 4] = *b"OTAR";
const HEADER: usize = 28;
const CRC_LEN: usize = 4;

/// What a record says about one download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub job: &'a [u8],
    pub stream: &'a [u8],
    pub file_size: u32,
    pub block_size: u32,
    pub file_id: u32,
    pub path_crc: u32,
    pub bitmap: &'a [u8],
}

impl Record<'_> {
    /// Whether `other` is the same download, whatever its bitmap.
    pub fn same_file(&self, other: &Record<'_>) -> bool {
        self.job == other.job
            && self.stream == other.stream
            && self.file_size == other.file_size
            && self.block_size == other.block_size
            && self.file_id == other.file_id
            && self.path_crc == other.path_crc
            && self.bitmap.len() == other.bitmap.len()
    }
}

/// CRC-32 (IEEE 802.3, zlib's): bit by bit, as a table would cost 1 KiB of flash for a few
/// hundred bytes checked per save.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Writes `record` into `out`; its length, or None when it does not fit (or a length does not
/// fit its field).
pub(crate) fn encode(out: &mut [u8], record: &Record<'_>) -> Option<usize> {
    let job = u8::try_from(record.job.len()).ok()?;
    let stream = u8::try_from(record.stream.len()).ok()?;
    let bitmap = u16::try_from(record.bitmap.len()).ok()?;
    let body = HEADER
        .checked_add(record.job.len())?
        .checked_add(record.stream.len())?
        .checked_add(record.bitmap.len())?;
    let total = body.checked_add(CRC_LEN)?;
    let out = out.get_mut(..total)?;
    let (head, rest) = out.split_at_mut(HEADER);
    head.fill(0);
    head.get_mut(..4)?.copy_from_slice(&MAGIC);
    *head.get_mut(4)? = sys::OTA_EXT_RESUME_RECORD_VERSION as u8;
    *head.get_mut(5)? = job;
    *head.get_mut(6)? = stream;
    let numbers = [
        record.file_size,
        record.block_size,
        record.file_id,
        record.path_crc,
    ];
    for (slot, n) in head.get_mut(8..24)?.chunks_exact_mut(4).zip(numbers) {
        slot.copy_from_slice(&n.to_le_bytes());
    }
    head.get_mut(24..26)?.copy_from_slice(&bitmap.to_le_bytes());
    let mut at = 0usize;
    for part in [record.job, record.stream, record.bitmap] {
        let end = at.checked_add(part.len())?;
        rest.get_mut(at..end)?.copy_from_slice(part);
        at = end;
    }
    let crc = crc32(out.get(..body)?);
    out.get_mut(body..)?.copy_from_slice(&crc.to_le_bytes());
    Some(total)
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    Some(u32::from_le_bytes(bytes.get(at..end)?.try_into().ok()?))
}

/// Reads a record; None unless it is exactly one well-formed record of this version.
pub(crate) fn decode(bytes: &[u8]) -> Option<Record<'_>> {
    let body_len = bytes.len().checked_sub(CRC_LEN)?;
    let (body, crc) = bytes.split_at(body_len);
    if body.get(..4)? != MAGIC
        || *body.get(4)? != sys::OTA_EXT_RESUME_RECORD_VERSION as u8
        || le32(crc, 0)? != crc32(body)
    {
        return None;
    }
    let job = usize::from(*body.get(5)?);
    let stream = usize::from(*body.get(6)?);
    let bitmap = usize::from(u16::from_le_bytes(body.get(24..26)?.try_into().ok()?));
    let stream_at = HEADER.checked_add(job)?;
    let bitmap_at = stream_at.checked_add(stream)?;
    if bitmap_at.checked_add(bitmap)? != body.len() {
        return None;
    }
    Some(Record {
        job: body.get(HEADER..stream_at)?,
        stream: body.get(stream_at..bitmap_at)?,
        file_size: le32(body, 8)?,
        block_size: le32(body, 12)?,
        file_id: le32(body, 16)?,
        path_crc: le32(body, 20)?,
        bitmap: body.get(bitmap_at..)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record<'static> {
        Record {
            job: b"job-42",
            stream: b"AFR_OTA-stream",
            file_size: 300_000,
            block_size: 4096,
            file_id: 7,
            path_crc: crc32(b"firmware/app.bin"),
            bitmap: &[0xf0, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
        }
    }

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn a_record_reads_back_as_written_in_the_documented_layout() {
        let mut buf = [0u8; sys::OTA_EXT_RESUME_RECORD_MAX_SIZE as usize];
        let r = sample();
        let n = encode(&mut buf, &r).unwrap();
        assert_eq!(n, 32 + 6 + 14 + 10);
        assert_eq!(&buf[..4], b"OTAR");
        assert_eq!(buf[4..8], [1, 6, 14, 0]);
        assert_eq!(buf[8..12], 300_000u32.to_le_bytes());
        assert_eq!(buf[24..28], [10, 0, 0, 0]);
        assert_eq!(&buf[28..34], b"job-42");
        assert_eq!(buf[n - 4..n], crc32(&buf[..n - 4]).to_le_bytes());
        assert_eq!(decode(&buf[..n]), Some(r));
    }

    #[test]
    fn every_flipped_bit_and_every_cut_is_refused() {
        let mut buf = [0u8; 128];
        let n = encode(&mut buf, &sample()).unwrap();
        for i in 0..n * 8 {
            let mut bad = buf;
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(decode(&bad[..n]), None, "bit {i}");
        }
        for len in 0..n {
            assert_eq!(decode(&buf[..len]), None, "cut at {len}");
        }
        let mut longer = [0u8; 129];
        longer[..n].copy_from_slice(&buf[..n]);
        assert_eq!(decode(&longer[..n + 1]), None);
    }

    #[test]
    fn a_record_that_does_not_fit_is_not_written() {
        let r = sample();
        let mut small = [0u8; 61];
        assert_eq!(encode(&mut small, &r), None);
        let mut exact = [0u8; 62];
        assert_eq!(encode(&mut exact, &r), Some(62));
        let long = [b'j'; 256];
        let too_long = Record { job: &long, ..r };
        assert_eq!(encode(&mut [0u8; 600], &too_long), None);
    }

    #[test]
    fn same_file_compares_everything_but_the_bits() {
        let r = sample();
        let fewer = [0u8; 10];
        assert!(r.same_file(&Record {
            bitmap: &fewer,
            ..r
        }));
        assert!(!r.same_file(&Record {
            job: b"job-43",
            ..r
        }));
        assert!(!r.same_file(&Record { stream: b"", ..r }));
        assert!(!r.same_file(&Record {
            file_size: 300_001,
            ..r
        }));
        assert!(!r.same_file(&Record {
            block_size: 1024,
            ..r
        }));
        assert!(!r.same_file(&Record { file_id: 8, ..r }));
        assert!(!r.same_file(&Record { path_crc: 1, ..r }));
        assert!(!r.same_file(&Record {
            bitmap: &fewer[..9],
            ..r
        }));
    }
}
