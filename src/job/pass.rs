//! The one pass over a job document. [`json::walk`] validates the document and reports each
//! key and value a search could reach; [`Pass`] follows the model's key tree down the open
//! collections as they go by and captures every value v2.0.0 searched for, with its rules:
//!
//! - a key is looked for only at its own path, and the first equal raw key of an object wins;
//! - the parameters after `files` are looked for at the top level and, when `files` is an array,
//!   in its first entry, where they only fill what the top level leaves empty;
//! - the signature key is the application's query (dots and `[n]` included), run from the top
//!   and from the first entry of `files` by the same rules.

mod tree;

use super::json::{self, Part, QueryParts, Visit};
use super::{param, DocError, Found};
use tree::{below, segment, slot, FIRST_FILE, MULTIPLIER, NODE_PARAMS, NONE, NO_PARAM, ROOT, TREE};

/// The signature's slot bit.
const SIGNATURE: u32 = 1 << param::SIGNATURE;

/// A search's depth flag: its collection is yet to open (no depth has this bit).
const WAITING: u32 = 1 << 31;

/// Most captures open at once: the five model values on the path down to a file's key, and the
/// two signature searches.
const CAPTURES: usize = 8;

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

/// One run of the signature key's query: from the document's value, or from `files`' first entry.
#[derive(Clone, Copy)]
struct Search<'k> {
    /// The step being matched, and where the query goes on after it.
    part: Part<'k>,
    next: usize,
    /// Elements passed so far in the array at `depth`.
    count: u32,
    /// The collection the step is matched in; 0 when not searching. With [`WAITING`]: that
    /// collection is the next value, which ends the search unless it is of the step's kind.
    depth: u32,
    /// Run in `files`' first entry, where it only fills an empty slot (the top level wins).
    in_files: bool,
}

impl<'k> Search<'k> {
    const OFF: Search<'static> = Search {
        part: Part::Index(0),
        next: 0,
        count: 0,
        depth: 0,
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
            self.depth = depth.wrapping_add(1) | WAITING;
            self.count = 0;
        }
        part.is_none()
    }

    /// Whether the step is matched against the items of the open collection at `depth`.
    fn at(&self, depth: u32) -> bool {
        self.depth == depth
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
                // A first step that parsed moved the query's position on.
                if let Some(files) = self.sig.get_mut(1) {
                    if files.next != 0 {
                        files.depth = inner.wrapping_add(1) | WAITING;
                    }
                }
            }
        }
        let waiting = inner | WAITING;
        let [top, files] = &self.sig;
        if top.depth == waiting || files.depth == waiting {
            for s in &mut self.sig {
                if s.depth == waiting {
                    let want = match s.part {
                        Part::Key(_) => b'{',
                        Part::Index(_) => b'[',
                    };
                    s.depth = if opens == Some(want) { inner } else { 0 };
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
        let [top, files] = &mut self.sig;
        if top.depth >= depth {
            top.depth = 0;
        }
        if files.depth >= depth {
            files.depth = 0;
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
    files.in_files = true;
    let valid = json::walk(doc, &mut pass);
    if !valid {
        // One memset of the constant: less flash than a loop, or the unrolled stores of
        // `Found::default()`.
        *found = Found::EMPTY;
        return Err(DocError::InvalidJson);
    }
    Ok(())
}
