//! Decoding: the items skipped before the keys, with tinycbor's verdicts, and their nesting.

use super::decode::one_two_three;
use super::*;

#[test]
fn malformed_items_before_the_keys_are_refused() {
    let tail = "6166 01 6169 02 616c 03 6170 42 0102";
    for (entry, error) in [
        ("617a 1c", CborError::IllegalNumber), // reserved additional information
        ("617a 1f", CborError::IllegalNumber), // indefinite-length integer
        ("617a df", CborError::IllegalNumber), // indefinite-length tag
        ("617a f810", CborError::IllegalSimpleType), // simple value below 32, two-byte form
        ("617a fc", CborError::UnknownType),   // reserved major-7 encoding
        ("617a ff", CborError::UnexpectedBreak), // break in a definite map
        ("617a bf 01 ff", CborError::UnexpectedBreak), // odd indefinite map
        ("617a 9f c0 ff", CborError::UnexpectedBreak), // tag then break
        ("617a c0 ff", CborError::UnexpectedBreak), // a skipped value's tag then break
        ("617a c0 c1 1c", CborError::IllegalNumber), // a malformed item after two tags
        ("617a 81 c0 5f 01 ff", CborError::ChunkTypeMismatch), // a tagged chunked string
        ("617a 9f 01", CborError::UnexpectedEof), // unterminated array swallows the rest
    ] {
        assert_eq!(refuses(&format!("a5 {entry} {tail}")), error, "{entry}");
    }
    assert_eq!(refuses("bf 6166 ff"), CborError::UnexpectedBreak);
    assert_eq!(refuses("bf c0 ff"), CborError::UnexpectedBreak);
    assert_eq!(refuses("a4 6166 1c"), CborError::IllegalNumber);
}

#[test]
fn skipped_mixes_of_definite_and_indefinite_containers_keep_their_verdicts() {
    let tail = "6166 01 6169 02 616c 03 6170 42 0102";
    for value in [
        "bf 01 9f ff 02 a1 03 bf ff ff", // {1: [], 2: {3: {}}}
        "82 9f ff bf ff",                // [[], {}]
        "a1 bf ff 9f ff",                // {{}: []}
        "bf 9f 01 ff 02 ff",             // {[1]: 2}
        "9f 9f 9f ff ff 81 80 ff",       // [[[]], [[]]]
        "bf 5f 41 00 ff 7f ff ff",       // {chunked h'00': chunked ""}
    ] {
        assert_eq!(
            accepts(&format!("a5 617a {value} {tail}")),
            one_two_three(),
            "{value}"
        );
    }
    for (value, error) in [
        ("bf 01 ff", CborError::UnexpectedBreak), // break where a value is due
        ("bf bf ff ff", CborError::UnexpectedBreak), // the same after a container key
        ("9f 81 ff ff", CborError::UnexpectedBreak), // break in a definite array
        ("a1 9f ff ff", CborError::UnexpectedBreak), // break as a definite map's value
        ("82 bf ff", CborError::UnexpectedEof),   // the array swallows the tail
        ("9f bf 01 02 ff", CborError::UnexpectedEof), // unterminated array swallows the rest
    ] {
        assert_eq!(
            refuses(&format!("a5 617a {value} {tail}")),
            error,
            "{value}"
        );
    }
    for value in [
        "bf 01 ff",
        "9f 81 ff ff",
        "a1 9f ff ff",
        "bf 5f 41 00 ff 7f ff ff",
    ] {
        agrees_with_the_oracle(&h(&format!("a5 617a {value} {tail}"))).unwrap();
    }
    // Container keys are skipped with their values.
    assert_eq!(
        accepts(&format!("a5 bf 01 9f ff ff 00 {tail}")),
        one_two_three()
    );
    assert_eq!(
        refuses(&format!("a5 bf 01 ff 00 {tail}")),
        CborError::UnexpectedBreak
    );
}

/// {"x": <depth nested arrays around 0>, "f":1, "i":2, "l":3, "p":h''}
fn nested(depth: usize, indefinite: bool) -> Vec<u8> {
    let mut msg = h("a5 6178");
    msg.resize(msg.len() + depth, if indefinite { 0x9f } else { 0x81 });
    msg.push(0);
    if indefinite {
        msg.resize(msg.len() + depth, 0xff);
    }
    msg.extend(h("6166 01 6169 02 616c 03 6170 40"));
    msg
}

#[test]
fn nested_containers_up_to_the_limit_are_skipped() {
    for depth in [0, 1, 2, MAX_SKIP_NESTING - 1, MAX_SKIP_NESTING] {
        for indefinite in [false, true] {
            assert!(
                decode_get_stream_response(&nested(depth, indefinite)).is_ok(),
                "{depth}"
            );
        }
    }
}

#[test]
fn nesting_beyond_the_fixed_skip_stack_is_refused_unlike_tinycbor_recursion() {
    // C: tinycbor 0.5.4 recursion accepts up to 1024 levels (and refuses 1025) at the cost of a
    // C stack frame per level; this decoder refuses past MAX_SKIP_NESTING instead.
    for depth in [MAX_SKIP_NESTING + 1, 1024, 1025] {
        assert_eq!(
            decode_get_stream_response(&nested(depth, false)).map(|_| ()),
            Err(CborError::NestingTooDeep)
        );
    }
}
