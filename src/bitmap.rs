//! The block bitmap: bit `i % 8` (LSB first) of byte `i / 8` is set while block `i` is still
//! needed — the layout v2.0.0 sends in its GetStream requests.

/// Bytes needed for `blocks` bits.
pub const fn len_for(blocks: u32) -> usize {
    blocks.div_ceil(8) as usize
}

/// Marks blocks `0..blocks` as needed and clears the unused high bits of the last byte.
// Inlined: a firmware without resume has one caller, and an outlined copy costs it 54 B.
#[inline(always)]
pub fn fill(bitmap: &mut [u8], blocks: u32) {
    bitmap.fill(0xff);
    let used_in_last = blocks % 8;
    if used_in_last != 0 {
        if let Some(last) = bitmap.last_mut() {
            *last = (1u8 << used_in_last).wrapping_sub(1);
        }
    }
}

fn locate(block: u32) -> (usize, u8) {
    ((block / 8) as usize, 1u8 << (block % 8))
}

/// Whether block `block` is still needed (false when out of range).
pub fn is_needed(bitmap: &[u8], block: u32) -> bool {
    let (byte, mask) = locate(block);
    bitmap.get(byte).is_some_and(|b| b & mask != 0)
}

/// Marks block `block` as received.
pub fn mark_received(bitmap: &mut [u8], block: u32) {
    let (byte, mask) = locate(block);
    if let Some(b) = bitmap.get_mut(byte) {
        *b &= !mask;
    }
}

/// The lowest block still needed at or after block `from`'s byte: a download only clears bits,
/// so a caller that remembers the last answer scans each byte about once per file, and its
/// first look usually finds the block.
#[inline]
pub fn first_needed(bitmap: &[u8], from: u32) -> Option<u32> {
    let mut at = (from / 8) as usize;
    loop {
        let bits = *bitmap.get(at)?;
        if bits != 0 {
            // A bitmap index times 8 fits in u32 (at most 2^20 blocks), so nothing wraps.
            return Some(
                (at as u32)
                    .wrapping_mul(8)
                    .wrapping_add(bits.trailing_zeros()),
            );
        }
        // Below the bitmap's length here, so the add cannot wrap.
        at = at.wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_sets_exactly_the_blocks_of_the_file() {
        let mut b = [0u8; 2];
        fill(&mut b, 11);
        assert_eq!(b, [0xff, 0x07]);
        fill(&mut b, 16);
        assert_eq!(b, [0xff, 0xff]);
    }

    #[test]
    fn received_blocks_are_no_longer_needed() {
        let mut b = [0u8; 2];
        fill(&mut b, 11);
        mark_received(&mut b, 0);
        mark_received(&mut b, 9);
        assert!(!is_needed(&b, 0) && !is_needed(&b, 9) && is_needed(&b, 10));
        assert!(!is_needed(&b, 11 + 8));
        assert_eq!(first_needed(&b, 0), Some(1));
        // From a later byte: what is needed there, never a block before that byte.
        assert_eq!(first_needed(&b, 9), Some(8));
        mark_received(&mut b, 8);
        assert_eq!(first_needed(&b, 8), Some(10));
        for i in 0..11 {
            mark_received(&mut b, i);
        }
        assert_eq!(first_needed(&b, 0), None);
        assert_eq!(first_needed(&b, u32::MAX), None);
    }
}
