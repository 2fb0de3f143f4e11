//! The one pass over a job document. [`json::walk`] validates the document and reports each
//! key and value a search could reach; [`Pass`] follows the model's key tree down the open
//! collections as they go by and captures every value v2.0.0 searched for, with its rules:
//!
//! - a key is looked for only at its own path, and the first equal raw key of an object wins;
//! - the parameters after `files` are looked for at the top level and, when `files` is an array,
//!   in its first entry, where they only fill what the top level leaves empty;
//! - the signature key is the application's query (dots and `[n]` included), run from the top
//!   and from the first entry of `files` by the same rules.

use super::json::{self, Part, QueryParts, Visit};
use super::{param, DocError, Found, MODEL, PARAM_COUNT};

/// Node of the key tree for the document's top-level object. Nodes below it are parameters up
/// to `files` (no key after it has one below it), so this id is free.
const ROOT: usize = param::FILES + 1;
/// Node for the first entry of `files`: past the parameters, so [`Tree::up`] holds its parent
/// next to theirs.
const FIRST_FILE: usize = PARAM_COUNT;
/// Node ids, parameters' included.
const NODES: usize = PARAM_COUNT + 1;
/// No node: the first parameter, which has no key below it.
const NONE: usize = 0;

/// A bit per parameter that is a node of the key tree: `files`, and each with a key below it.
const NODE_PARAMS: u32 = node_params();

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

/// The signature's slot bit.
const SIGNATURE: u32 = 1 << param::SIGNATURE;

/// Most captures open at once: the five model values on the path down to a file's key, and the
/// two signature searches.
const CAPTURES: usize = 8;

/// The model's key tree, derived from [`MODEL`] at compile time.
struct Tree {
    /// For each parameter, the node its key is one step below (a parameter after `files`:
    /// [`ROOT`], and [`FIRST_FILE`] too); for each node, the one above it. A parent per key
    /// instead of a child mask per node: 48 B less of flash.
    up: [u8; NODES],
    /// Parameter `i`'s last key segment is `SEGMENTS[at[i]..at[i + 1]]`.
    at: [u8; PARAM_COUNT + 1],
    /// The parameter whose last segment a key may be, by the key's [`slot`] ([`NO_PARAM`]:
    /// none): a key is compared with one segment, not with each of its node's.
    slots: [u8; SLOTS],
}

static TREE: Tree = tree().0;
/// Multiplier of [`slot`]'s hash, the first from the golden ratio up that gives every model
/// segment its own slot.
const MULTIPLIER: u32 = multiplier();
static SEGMENTS: [u8; segment_bytes()] = segments();

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
const NO_PARAM: u8 = 31;

/// The slot of a key whose last four bytes are `tail` (every model segment has four).
const fn slot(tail: &[u8; 4], multiplier: u32) -> usize {
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

/// Byte-wise equality: a loop over short texts (keys, IDs, a URL), where `==` on slices calls the
/// C library's memcmp (96 B of a Cortex-M4 firmware).
pub(crate) fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Four bytes at a time (one word compare), then the rest one by one.
    let (mut x, mut y) = (a, b);
    while let (Some((xw, xr)), Some((yw, yr))) =
        (x.split_first_chunk::<4>(), y.split_first_chunk::<4>())
    {
        if xw != yw {
            return false;
        }
        (x, y) = (xr, yr);
    }
    x.iter().zip(y).all(|(p, q)| p == q)
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
fn below(i: usize, node: usize) -> bool {
    // Every parameter after `files` is below the root, and below the first file too.
    TREE.up.get(i).is_some_and(|&up| usize::from(up) == node)
        || (node == FIRST_FILE && i > param::FILES)
}

/// Parameter `i`'s last key segment.
fn segment(i: usize) -> Option<&'static [u8]> {
    let from = usize::from(*TREE.at.get(i)?);
    let to = usize::from(*TREE.at.get(i.wrapping_add(1))?);
    SEGMENTS.get(from..to)
}

/// One run of the signature key's query: from the document's value, or from `files`' first entry.
#[derive(Clone, Copy)]
struct Search<'k> {
    /// The step being matched, and where the query goes on after it.
    part: Part<'k>,
    next: usize,
    /// Elements passed so far in the array at `depth`.
    count: u32,
    /// The collection the step is matched in; 0 when not searching.
    depth: u32,
    /// That collection is the next value, which ends the search unless it is of the step's kind.
    waiting: bool,
    /// Run in `files`' first entry, where it only fills an empty slot (the top level wins).
    in_files: bool,
}

impl<'k> Search<'k> {
    const OFF: Search<'static> = Search {
        part: Part::Index(0),
        next: 0,
        count: 0,
        depth: 0,
        waiting: false,
        in_files: false,
    };

    /// The current step matched the next value in the collection at `depth`: the following
    /// step of `query` applies inside it or, with none left, that value is the result (true).
    fn step(&mut self, query: &'k [u8], depth: u32) -> bool {
        let mut parts = QueryParts::new(query);
        parts.seek(self.next);
        let part = parts.next_part();
        self.next = parts.position();
        self.depth = 0;
        if let Some(Some(part)) = part {
            self.part = part;
            self.depth = depth.wrapping_add(1);
            self.waiting = true;
            self.count = 0;
        }
        part.is_none()
    }

    /// Whether the step is matched against the items of the open collection at `depth`.
    fn at(&self, depth: u32) -> bool {
        self.depth == depth && !self.waiting
    }

    /// The destination bit of a result found now, given the parameters `received` so far.
    fn result(&self, received: u32) -> u32 {
        // In `files`, only if the top level's search has not found one: the top level wins.
        if self.in_files && received & SIGNATURE != 0 {
            0
        } else {
            SIGNATURE
        }
    }
}

/// The pass's state: where in the model's key tree the open collections are, and what the next
/// value is to become.
struct Pass<'a, 'f, 'k> {
    doc: &'a [u8],
    found: &'f mut Found<'a>,
    /// The application's signature key.
    query: &'k [u8],
    /// Destination bits of the next value.
    pending: u32,
    /// Parameters already taken at their own path (the first equal key wins).
    claimed: u32,
    /// The deepest open collection that is a node of the key tree, and its depth (0: none).
    node: usize,
    node_depth: u32,
    /// The node the next value becomes when it is a collection of the node's kind.
    next_node: usize,
    /// The next value is nobody's: no destination, node or search step waits for it.
    quiet: bool,
    /// Open collection values, innermost last: destination, and depth in the high byte.
    open: usize,
    captures: [u16; CAPTURES],
    /// The signature searched from the top, then from the first entry of `files`.
    sig: [Search<'k>; 2],
}

impl<'a> Pass<'a, '_, '_> {
    /// Parameter `i` matched a key of the current node's object.
    fn claim(&mut self, i: usize) {
        let bit = 1u32.wrapping_shl(i as u32);
        let in_files = self.node == FIRST_FILE;
        // At its own path the first key wins; in `files` a key only fills an empty slot.
        let taken = if in_files {
            self.found.received
        } else {
            self.claimed
        };
        if taken & bit != 0 {
            return;
        }
        if !in_files {
            self.claimed |= bit;
        }
        self.pending |= bit;
        self.quiet = false;
        if NODE_PARAMS & bit != 0 {
            self.next_node = i;
        }
    }

    /// A value something waits for: a model node, a search step or a capture.
    // Inlined: the walk reports values from one place.
    #[inline(always)]
    fn watched_value(&mut self, depth: u32, element: bool, start: usize, text: Option<&'a [u8]>) {
        self.quiet = true;
        let query = self.query;
        if element {
            for s in &mut self.sig {
                if let (true, Part::Index(index)) = (s.at(depth), s.part) {
                    if s.count != index {
                        s.count = s.count.wrapping_add(1);
                    } else if s.step(query, depth) {
                        self.pending |= s.result(self.found.received);
                    }
                }
            }
        }
        // A node or a search step goes on inside the value only if it opens the right kind.
        let opens = match text {
            None => self.doc.get(start).copied(),
            Some(_) => None,
        };
        let inner = depth.wrapping_add(1);
        let node = match depth {
            0 => ROOT,
            _ => core::mem::replace(&mut self.next_node, NONE),
        };
        let want = if node == param::FILES { b'[' } else { b'{' };
        if node != NONE && opens == Some(want) {
            self.node = node;
            self.node_depth = inner;
            if node == param::FILES {
                // Its first entry is the next value in it, if it has one (see `close`).
                self.next_node = FIRST_FILE;
                self.quiet = false;
                // Started once (`files` is taken once), from the query's first step, which the
                // top search parsed for both: it applies in the entry, one level deeper.
                if let Some(files) = self.sig.get_mut(1) {
                    files.in_files = true;
                    if files.waiting {
                        files.depth = inner.wrapping_add(1);
                    }
                }
            }
        }
        let [top, files] = &self.sig;
        if top.depth == inner || files.depth == inner {
            for s in &mut self.sig {
                if s.depth == inner && s.waiting {
                    let want = match s.part {
                        Part::Key(_) => b'{',
                        Part::Index(_) => b'[',
                    };
                    s.waiting = false;
                    if opens != Some(want) {
                        s.depth = 0;
                    }
                }
            }
        }
        if self.pending == 0 {
            return;
        }
        let doc = self.doc;
        let value = match text {
            Some(text) => Some(text),
            // Cut to its length when it closes.
            None => doc.get(start..),
        };
        let mut bits = core::mem::take(&mut self.pending);
        // Every destination bit is a parameter's.
        self.found.received |= bits;
        while bits != 0 {
            let dest = bits.trailing_zeros();
            bits &= bits.wrapping_sub(1);
            if let Some(slot) = self.found.values.get_mut(dest as usize) {
                *slot = value;
            }
            if text.is_none() {
                if let Some(open) = self.captures.get_mut(self.open) {
                    *open = (dest | inner.wrapping_shl(8)) as u16;
                    self.open = self.open.wrapping_add(1);
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Pass<'a, '_, '_> {
    fn key(&mut self, depth: u32, key: &'a [u8]) {
        if depth == self.node_depth {
            if let Some(tail) = key.last_chunk::<4>() {
                let i = TREE
                    .slots
                    .get(slot(tail, MULTIPLIER))
                    .copied()
                    .unwrap_or(NO_PARAM);
                let i = usize::from(i);
                // NO_PARAM is after `files`, but has no segment.
                if below(i, self.node) && segment(i).is_some_and(|seg| eq_bytes(seg, key)) {
                    self.claim(i);
                }
            }
        }
        // Most keys are where neither search is.
        let [top, files] = &self.sig;
        if top.depth != depth && files.depth != depth {
            return;
        }
        let query = self.query;
        for s in &mut self.sig {
            if s.at(depth) && matches!(s.part, Part::Key(k) if eq_bytes(k, key)) {
                if s.step(query, depth) {
                    self.pending |= s.result(self.found.received);
                }
                self.quiet = false;
            }
        }
    }

    // Inlined: most values are nobody's, and this test is all they cost.
    #[inline(always)]
    fn value(&mut self, depth: u32, element: bool, start: usize, text: Option<&'a [u8]>) {
        if !self.quiet || element {
            self.watched_value(depth, element, start, text);
        }
    }

    fn close(&mut self, depth: u32, end: usize) {
        // `end` is inside the document: no wrap.
        let cut = self.doc.len().wrapping_sub(end);
        while let Some(&open) = self.captures.get(self.open.wrapping_sub(1)) {
            if u32::from(open.wrapping_shr(8)) != depth {
                break;
            }
            self.open = self.open.wrapping_sub(1);
            if let Some(slot) = self.found.values.get_mut(usize::from(open & 0xFF)) {
                *slot = slot.and_then(|v| v.get(..v.len().saturating_sub(cut)));
            }
        }
        if depth == self.node_depth {
            self.node = TREE.up.get(self.node).map_or(ROOT, |&p| usize::from(p));
            self.node_depth = depth.wrapping_sub(1);
            // An empty `files` had no first entry to become a node.
            self.next_node = NONE;
        }
        for s in &mut self.sig {
            if s.depth >= depth {
                s.depth = 0;
            }
        }
    }
}

/// [`super::find_values_into`]'s work.
// Out of line: the pass's state is on the stack only while it runs.
#[inline(never)]
pub(super) fn run<'a>(
    doc: &'a [u8],
    signature_key: &[u8],
    found: &mut Found<'a>,
) -> Result<(), DocError> {
    let mut pass = Pass {
        doc,
        found,
        query: signature_key,
        pending: 0,
        claimed: 0,
        node: NONE,
        node_depth: 0,
        next_node: NONE,
        quiet: false,
        open: 0,
        captures: [0; CAPTURES],
        sig: [Search::OFF, Search::OFF],
    };
    // The top-level search's first step applies to the document's value; the search from
    // `files` waits with the same first step, not searching (depth 0).
    let [top, files] = &mut pass.sig;
    let _ = top.step(signature_key, 0);
    *files = *top;
    files.depth = 0;
    let valid = json::walk(doc, &mut pass);
    if !valid {
        reset(found);
        return Err(DocError::InvalidJson);
    }
    Ok(())
}

/// Empties `found` in a loop, smaller than the unrolled stores of `Found::default()`.
fn reset(found: &mut Found<'_>) {
    found.values.iter_mut().for_each(|v| *v = None);
    found.received = 0;
}
