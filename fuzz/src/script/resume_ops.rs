//! The resume part of a script: steps that attack the stored record, reboot the device or
//! change the registration.

use super::*;
use crate::record::{self, Rec};
use crate::resume;

/// Steps of the resume script beyond [`agent_step`]'s.
const RESUME_OPS: u8 = 7;

/// One step of the resume script: an agent step, or one that attacks the stored record,
/// reboots the device, changes the registration or answers the job request with a document;
/// false once the script is over.
pub fn resume_step(d: &mut Driver, c: &mut Cursor) -> bool {
    if c.is_empty() {
        return false;
    }
    let op = c.byte() % (21 + RESUME_OPS);
    match op {
        0..=20 => agent_op(d, c, op),
        21 => {
            // Any bytes replace the record (none at all when the length is 0).
            let n = usize::from(c.u16()) % (sys::OTA_EXT_RESUME_RECORD_MAX_SIZE as usize + 16);
            resume::store((n > 0).then(|| c.take(n)));
        }
        22 => resume::store(Some(forge(c).bytes())),
        23 => mutate(c),
        24 => {
            let how = c.byte();
            let doc = match how % 4 {
                0 | 1 => None,
                2 => Some(job(c).json().into_bytes()),
                _ => Some(world::clean_job().into_bytes()),
            };
            world::reboot(doc, how & 4 == 0);
        }
        25 => match c.byte() % 4 {
            0 => resume::unregister(),
            1 => resume::register(),
            2 => resume::register_flawed(c.byte()),
            _ => resume::set_every(u32::from(c.byte() % 6)),
        },
        26 => {
            // The cloud answers the agent's job request with a document of the input.
            if matches!(d.peek_pending(), Some(world::Pending::JobDocument)) {
                let _ = d.take_pending();
            }
            let n = usize::from(c.u16()) % 1500;
            let text = c.take(n);
            let _ = d.send(sys::OtaAgentEventReceivedJobDocument, &text);
        }
        _ => {
            // A valid record of the last download, with a bitmap from the input.
            if let Some(mut rec) = resume::last_download() {
                let keep = c.take(rec.bitmap.len());
                for (b, k) in rec.bitmap.iter_mut().zip(keep) {
                    *b &= k;
                }
                resume::store(Some(rec.bytes()));
            }
        }
    }
    true
}

/// A record with a valid CRC whose fields come from the input or from the last download.
pub(super) fn forge(c: &mut Cursor) -> Rec {
    let how = c.byte();
    let mut rec = resume::last_download().unwrap_or_else(|| Rec {
        job: b"job-0".to_vec(),
        stream: b"s1".to_vec(),
        file_size: BLOCK + 1,
        block_size: BLOCK,
        file_id: 0,
        path_crc: record::crc32(b"/fw/image.bin"),
        bitmap: vec![3],
    });
    if how & 1 != 0 {
        rec.job = format!("job-{}", c.byte() % 4).into_bytes();
    }
    if how & 2 != 0 {
        rec.stream = match c.byte() % 4 {
            0 => b"s1".to_vec(),
            1 => b"s2".to_vec(),
            2 => Vec::new(),
            _ => {
                let n = usize::from(c.byte());
                c.take(n)
            }
        };
    }
    if how & 4 != 0 {
        rec.file_size = match c.byte() {
            n if usize::from(n) < SIZES.len() * 16 => SIZES[usize::from(n) % SIZES.len()],
            _ => c.u32(),
        };
        let n = rec.file_size.div_ceil(BLOCK).div_ceil(8) as usize;
        rec.bitmap
            .resize(n.min(sys::OTA_MAX_BLOCK_BITMAP_SIZE as usize + 2), 0xff);
    }
    if how & 8 != 0 {
        rec.file_id = u32::from(c.byte());
    }
    if how & 16 != 0 {
        rec.block_size = c.u32();
    }
    if how & 32 != 0 {
        rec.path_crc = c.u32();
    }
    if how & 64 != 0 {
        // A bitmap of any length and bits.
        let n = usize::from(c.byte());
        rec.bitmap = c.take(n);
    } else {
        let bits = c.take(rec.bitmap.len());
        for (b, k) in rec.bitmap.iter_mut().zip(bits) {
            *b = k;
        }
    }
    rec
}

/// Flips, cuts, extends or overwrites bytes of the stored record, then maybe fixes its CRC.
pub(super) fn mutate(c: &mut Cursor) {
    let how = c.byte();
    let Some(mut rec) = resume::stored() else {
        return;
    };
    let len = rec.len().max(1);
    match how & 3 {
        0 => {
            let bit = usize::from(c.u16()) % (len * 8);
            if let Some(b) = rec.get_mut(bit / 8) {
                *b ^= 1 << (bit % 8);
            }
        }
        1 => rec.truncate(usize::from(c.u16()) % len),
        2 => {
            let n = usize::from(c.byte() % 16) + 1;
            rec.extend(c.take(n));
        }
        _ => {
            let at = usize::from(c.u16()) % len;
            let v = c.byte();
            if let Some(b) = rec.get_mut(at) {
                *b = v;
            }
        }
    }
    if how & 4 != 0 {
        record::reseal(&mut rec);
    }
    resume::store(Some(rec));
}
