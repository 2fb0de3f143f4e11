//! The model's key tree, derived from [`MODEL`] at compile time: a node per parameter with keys
//! below it, the root and the first entry of `files`; each key's last segment, and a hash of its
//! last four bytes that picks the one parameter a key of the document may be.

use crate::job::{param, MODEL, PARAM_COUNT};

/// Node of the key tree for the document's top-level object. Nodes below it are parameters up
/// to `files` (no key after it has one below it), so this id is free.
pub(super) const ROOT: usize = param::FILES + 1;
/// Node for the first entry of `files`: past the parameters, so [`Tree::up`] holds its parent
/// next to theirs.
pub(super) const FIRST_FILE: usize = PARAM_COUNT;
/// Node ids, parameters' included.
const NODES: usize = PARAM_COUNT + 1;
/// No node: the first parameter, which has no key below it.
pub(super) const NONE: usize = 0;

/// A bit per parameter that is a node of the key tree: `files`, and each with a key below it.
pub(super) const NODE_PARAMS: u32 = node_params();

// Only evaluated by the compiler: an index out of range or an overflow fails the build.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn node_params() -> u32 {
    let children = tree().1;
    let mut mask = 1 << param::FILES;
    let mut i = 0;
    while i < ROOT {
        if children[i] != 0 {
            mask |= 1 << i;
        }
        i += 1;
    }
    mask
}

/// The model's key tree, derived from [`MODEL`] at compile time.
pub(super) struct Tree {
    /// For each parameter, the node its key is one step below (a parameter after `files`:
    /// [`ROOT`], and [`FIRST_FILE`] too); for each node, the one above it. A parent per key
    /// instead of a child mask per node: 48 B less of flash.
    pub(super) up: [u8; NODES],
    /// Parameter `i`'s last key segment is `segments[at[i]..at[i + 1]]`.
    at: [u8; PARAM_COUNT + 1],
    /// The parameter whose last segment a key may be, by the key's [`slot`] ([`NO_PARAM`]:
    /// none): a key is compared with one segment, not with each of its node's.
    pub(super) slots: [u8; SLOTS],
    /// The parameters' last key segments, one after the other (beside the rest: one address).
    segments: [u8; segment_bytes()],
}

pub(super) static TREE: Tree = tree().0;
/// Multiplier of [`slot`]'s hash, the first from the golden ratio up that gives every model
/// segment its own slot.
pub(super) const MULTIPLIER: u32 = multiplier();

/// Where the last dotted segment of `key` starts.
const fn last_segment(key: &[u8]) -> usize {
    let mut rest = key;
    while let [head @ .., last] = rest {
        if *last == b'.' {
            return rest.len();
        }
        rest = head;
    }
    0
}

/// Slots of [`Tree::slots`], and the bits of the hash that picks one.
const SLOTS: usize = 32;
const SLOT_SHIFT: u32 = 27;
/// An empty slot: past every parameter with a segment.
pub(super) const NO_PARAM: u8 = 31;

/// The slot of a key whose last four bytes are `tail` (every model segment has four).
pub(super) const fn slot(tail: &[u8; 4], multiplier: u32) -> usize {
    (u32::from_le_bytes(*tail).wrapping_mul(multiplier) >> SLOT_SHIFT) as usize
}

/// Parameter `i`'s last segment's last four bytes.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn segment_tail(i: usize) -> [u8; 4] {
    let key = MODEL[i].key;
    let n = key.len();
    assert!(
        n - last_segment(key) >= 4,
        "a model key's last segment is shorter than 4 bytes"
    );
    [key[n - 4], key[n - 3], key[n - 2], key[n - 1]]
}

// Only evaluated by the compiler: no multiplier found, an overflow or a panic fails the build.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
const fn multiplier() -> u32 {
    let mut multiplier: u32 = 0x9E37_79B1;
    let mut tries = 0;
    while tries < 100_000 {
        let mut taken = 0u32;
        let mut i = 0;
        while i < PARAM_COUNT {
            if !MODEL[i].key.is_empty() {
                let bit = 1 << slot(&segment_tail(i), multiplier);
                if taken & bit != 0 {
                    break;
                }
                taken |= bit;
            }
            i += 1;
        }
        if i == PARAM_COUNT {
            return multiplier;
        }
        multiplier = multiplier.wrapping_add(2);
        tries += 1;
    }
    panic!("no multiplier gives each model segment its own slot");
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    let (mut a, mut b) = (a, b);
    loop {
        match (a, b) {
            ([], []) => return true,
            ([x, a_rest @ ..], [y, b_rest @ ..]) if *x == *y => {
                a = a_rest;
                b = b_rest;
            }
            _ => return false,
        }
    }
}

// Only evaluated by the compiler: an index out of range, an overflow or a panic fails the build.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
const fn parent_of(key: &[u8]) -> usize {
    let start = last_segment(key);
    if start == 0 {
        return ROOT;
    }
    let (prefix, _) = key.split_at(start - 1);
    let mut i = 0;
    while i < PARAM_COUNT {
        if same(MODEL[i].key, prefix) {
            return i;
        }
        i += 1;
    }
    panic!("a model key continues a key the model does not have");
}

#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn segment_bytes() -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < PARAM_COUNT {
        total += MODEL[i].key.len() - last_segment(MODEL[i].key);
        i += 1;
    }
    total
}

#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn segments() -> [u8; segment_bytes()] {
    let mut out = [0u8; segment_bytes()];
    let mut n = 0;
    let mut i = 0;
    while i < PARAM_COUNT {
        let key = MODEL[i].key;
        let mut j = last_segment(key);
        while j < key.len() {
            out[n] = key[j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// The tree, and for each node a bit per parameter whose key is one step below it (for the
/// build's checks and [`NODE_PARAMS`]).
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn tree() -> (Tree, [u32; NODES]) {
    let mut t = Tree {
        up: [ROOT as u8; NODES],
        at: [0; PARAM_COUNT + 1],
        slots: [NO_PARAM; SLOTS],
        segments: segments(),
    };
    let mut children = [0u32; NODES];
    assert!(
        PARAM_COUNT <= NO_PARAM as usize,
        "`NO_PARAM` is a parameter"
    );
    let mut i = 0;
    while i < PARAM_COUNT {
        let key = MODEL[i].key;
        let segment = key.len() - last_segment(key);
        t.at[i + 1] = t.at[i] + segment as u8;
        // The signature's key is the application's, matched by its own search.
        if !key.is_empty() {
            t.slots[slot(&segment_tail(i), MULTIPLIER)] = i as u8;
            let up = parent_of(key);
            assert!(
                up <= param::FILES || up == ROOT,
                "a key continues a key after `files`"
            );
            children[up] |= 1 << i;
            t.up[i] = up as u8;
            if i > param::FILES {
                assert!(
                    up == ROOT,
                    "a key after `files` has a dot: its search in files would need a path"
                );
                children[FIRST_FILE] |= 1 << i;
            }
        }
        i += 1;
    }
    t.up[FIRST_FILE] = param::FILES as u8;
    // `close` takes the root's parent as the root's.
    assert!(
        t.up[ROOT] == ROOT as u8,
        "the parameter numbered as the root is below a node"
    );
    assert!(
        children[NONE] == 0 && NONE != param::FILES,
        "`NONE` is a node"
    );
    (t, children)
}

/// Whether parameter `i` (any number) has its key one step below `node`.
pub(super) fn below(i: usize, node: usize) -> bool {
    // Every parameter after `files` is below the root, and below the first file too.
    TREE.up
        .get(i)
        .is_some_and(|&up| usize::from(up) == node || (node == FIRST_FILE && i > param::FILES))
}

/// Parameter `i`'s last key segment.
pub(super) fn segment(i: usize) -> Option<&'static [u8]> {
    let from = usize::from(*TREE.at.get(i)?);
    let to = usize::from(*TREE.at.get(i.wrapping_add(1))?);
    TREE.segments.get(from..to)
}
