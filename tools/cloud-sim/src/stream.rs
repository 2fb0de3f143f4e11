//! MQTT-based file delivery messages: GetStream and DescribeStream requests, data blocks and
//! error documents, in CBOR and in JSON, with the keys AWS IoT uses ("c", "f", "l", "o", "b",
//! "n", "i", "p", ...).

use base64::Engine;
use ciborium::Value;

/// Block sizes AWS IoT allows in a GetStream request.
pub const MIN_BLOCK: u32 = 256;
pub const MAX_BLOCK: u32 = 128 * 1024;
/// Blocks the simulator sends for one request at most (bounds one answer's burst).
pub const MAX_BLOCKS_PER_REQUEST: u32 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Cbor,
    Json,
}

impl Format {
    pub fn suffix(self) -> &'static str {
        match self {
            Format::Cbor => "cbor",
            Format::Json => "json",
        }
    }
}

#[derive(Debug, Default, PartialEq)]
pub struct GetStream {
    pub client_token: Option<String>,
    pub stream_version: Option<u64>,
    pub file_id: u64,
    pub block_size: u64,
    pub block_offset: u64,
    pub bitmap: Option<Vec<u8>>,
    pub num_blocks: Option<u64>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Decodes a request into (key, value) pairs of the few types the protocol uses.
enum Field {
    Int(u64),
    Text(String),
    Bytes(Vec<u8>),
}

fn fields(payload: &[u8], format: Format) -> Result<Vec<(String, Field)>, &'static str> {
    let mut out = Vec::new();
    match format {
        Format::Cbor => {
            let value: Value = ciborium::from_reader(payload).map_err(|_| "InvalidCbor")?;
            let Value::Map(map) = value else {
                return Err("InvalidCbor");
            };
            for (k, v) in map {
                let Value::Text(k) = k else {
                    return Err("InvalidCbor");
                };
                let f = match v {
                    Value::Integer(i) => {
                        Field::Int(u64::try_from(i).map_err(|_| "InvalidRequest")?)
                    }
                    Value::Text(t) => Field::Text(t),
                    Value::Bytes(b) => Field::Bytes(b),
                    _ => return Err("InvalidRequest"),
                };
                out.push((k, f));
            }
        }
        Format::Json => {
            let value: serde_json::Value =
                serde_json::from_slice(payload).map_err(|_| "InvalidJson")?;
            let serde_json::Value::Object(map) = value else {
                return Err("InvalidJson");
            };
            for (k, v) in map {
                let f = match v {
                    serde_json::Value::Number(n) => Field::Int(n.as_u64().ok_or("InvalidRequest")?),
                    serde_json::Value::String(s) => Field::Text(s),
                    _ => return Err("InvalidRequest"),
                };
                out.push((k, f));
            }
        }
    }
    Ok(out)
}

/// Parses a GetStream request; the error is the AWS error code to answer with.
pub fn parse_get(payload: &[u8], format: Format) -> Result<GetStream, (&'static str, String)> {
    let fields =
        fields(payload, format).map_err(|c| (c, "the request cannot be decoded".to_string()))?;
    let mut req = GetStream::default();
    let (mut has_f, mut has_l) = (false, false);
    let bad = |m: &str| ("InvalidRequest", m.to_string());
    for (k, v) in fields {
        match (k.as_str(), v) {
            ("c", Field::Text(t)) => req.client_token = Some(t),
            ("s", Field::Int(i)) => req.stream_version = Some(i),
            ("f", Field::Int(i)) => (req.file_id, has_f) = (i, true),
            ("l", Field::Int(i)) => (req.block_size, has_l) = (i, true),
            ("o", Field::Int(i)) => req.block_offset = i,
            ("n", Field::Int(i)) => req.num_blocks = Some(i),
            ("b", Field::Bytes(b)) if format == Format::Cbor => req.bitmap = Some(b),
            ("b", Field::Text(t)) if format == Format::Json => {
                req.bitmap = Some(
                    b64()
                        .decode(t)
                        .map_err(|_| bad("the bitmap is not base64"))?,
                )
            }
            (k, _) => return Err(bad(&format!("unexpected or mistyped field {k:?}"))),
        }
    }
    if let Some(c) = &req.client_token {
        if c.len() > 64 {
            return Err(bad("the clientToken is longer than 64 bytes"));
        }
    }
    if !has_f || !has_l {
        return Err(bad("the fileId (f) and blockSize (l) are required"));
    }
    if !(u64::from(MIN_BLOCK)..=u64::from(MAX_BLOCK)).contains(&req.block_size) {
        return Err(bad("the block size must be 256 to 131072 bytes"));
    }
    if req.bitmap.is_none() && req.num_blocks.is_none() {
        return Err(bad(
            "either a bitmap (b) or a number of blocks (n) is required",
        ));
    }
    if req.num_blocks == Some(0) {
        return Err(bad("the number of blocks (n) must be at least 1"));
    }
    Ok(req)
}

/// The blocks a request asks for, in ascending order, at most `MAX_BLOCKS_PER_REQUEST` and
/// never past the file's last block.
pub fn wanted_blocks(req: &GetStream, total_blocks: u64) -> Vec<u64> {
    let limit = req
        .num_blocks
        .unwrap_or(u64::from(MAX_BLOCKS_PER_REQUEST))
        .min(u64::from(MAX_BLOCKS_PER_REQUEST));
    let mut out = Vec::new();
    match &req.bitmap {
        Some(bitmap) => {
            // Bit i of byte i/8, least significant first, stands for block offset + i.
            for (byte_index, byte) in bitmap.iter().enumerate() {
                for bit in 0..8u64 {
                    let block = req.block_offset + byte_index as u64 * 8 + bit;
                    if byte & (1 << bit) != 0 && block < total_blocks && (out.len() as u64) < limit
                    {
                        out.push(block);
                    }
                }
            }
        }
        None => out.extend((req.block_offset..total_blocks).take(limit as usize)),
    }
    out
}

/// One data block message.
pub fn encode_block(format: Format, file_id: u64, block: u64, payload: &[u8]) -> Vec<u8> {
    match format {
        Format::Cbor => {
            let map = Value::Map(vec![
                (Value::Text("f".into()), Value::Integer(file_id.into())),
                (Value::Text("i".into()), Value::Integer(block.into())),
                (
                    Value::Text("l".into()),
                    Value::Integer((payload.len() as u64).into()),
                ),
                (Value::Text("p".into()), Value::Bytes(payload.to_vec())),
            ]);
            let mut out = Vec::with_capacity(payload.len() + 32);
            // Writing into a Vec cannot fail.
            let _ = ciborium::into_writer(&map, &mut out);
            out
        }
        Format::Json => serde_json::json!({
            "f": file_id, "i": block, "l": payload.len(), "p": b64().encode(payload)
        })
        .to_string()
        .into_bytes(),
    }
}

/// The error document of the `rejected` topic.
pub fn encode_error(format: Format, code: &str, message: &str, token: Option<&str>) -> Vec<u8> {
    match format {
        Format::Cbor => {
            let mut map = vec![
                (Value::Text("o".into()), Value::Text(code.into())),
                (Value::Text("m".into()), Value::Text(message.into())),
            ];
            if let Some(t) = token {
                map.push((Value::Text("c".into()), Value::Text(t.into())));
            }
            let mut out = Vec::new();
            let _ = ciborium::into_writer(&Value::Map(map), &mut out);
            out
        }
        Format::Json => {
            let mut v = serde_json::json!({ "o": code, "m": message });
            if let Some(t) = token {
                v["c"] = t.into();
            }
            v.to_string().into_bytes()
        }
    }
}

/// DescribeStream's answer: stream version, description and files (id, size).
pub fn encode_description(
    format: Format,
    token: Option<&str>,
    version: u64,
    description: &str,
    file_id: u64,
    file_size: u64,
) -> Vec<u8> {
    match format {
        Format::Cbor => {
            let mut map = vec![
                (Value::Text("s".into()), Value::Integer(version.into())),
                (Value::Text("d".into()), Value::Text(description.into())),
                (
                    Value::Text("r".into()),
                    Value::Array(vec![Value::Map(vec![
                        (Value::Text("f".into()), Value::Integer(file_id.into())),
                        (Value::Text("z".into()), Value::Integer(file_size.into())),
                    ])]),
                ),
            ];
            if let Some(t) = token {
                map.push((Value::Text("c".into()), Value::Text(t.into())));
            }
            let mut out = Vec::new();
            let _ = ciborium::into_writer(&Value::Map(map), &mut out);
            out
        }
        Format::Json => {
            let mut v = serde_json::json!({
                "s": version, "d": description, "r": [{ "f": file_id, "z": file_size }]
            });
            if let Some(t) = token {
                v["c"] = t.into();
            }
            v.to_string().into_bytes()
        }
    }
}

/// A DescribeStream request carries at most a client token.
pub fn parse_describe(payload: &[u8], format: Format) -> Result<Option<String>, &'static str> {
    if payload.is_empty() {
        return Ok(None);
    }
    let mut token = None;
    for (k, v) in fields(payload, format)? {
        if let ("c", Field::Text(t)) = (k.as_str(), v) {
            token = Some(t);
        }
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cbor(map: Vec<(&str, Value)>) -> Vec<u8> {
        let v = Value::Map(
            map.into_iter()
                .map(|(k, v)| (Value::Text(k.into()), v))
                .collect(),
        );
        let mut out = Vec::new();
        ciborium::into_writer(&v, &mut out).unwrap();
        out
    }

    #[test]
    fn bitmap_request_selects_set_blocks_up_to_n() {
        let req = parse_get(
            &cbor(vec![
                ("c", Value::Text("rdy".into())),
                ("f", Value::Integer(0.into())),
                ("l", Value::Integer(4096.into())),
                ("o", Value::Integer(0.into())),
                ("b", Value::Bytes(vec![0b1010_0101, 0xff])),
                ("n", Value::Integer(3.into())),
            ]),
            Format::Cbor,
        )
        .unwrap();
        assert_eq!(wanted_blocks(&req, 100), vec![0, 2, 5]);
        assert_eq!(wanted_blocks(&req, 3), vec![0, 2]);
    }

    #[test]
    fn block_size_outside_aws_limits_is_invalid_request() {
        let bad = cbor(vec![
            ("f", Value::Integer(0.into())),
            ("l", Value::Integer(128.into())),
            ("n", Value::Integer(1.into())),
        ]);
        assert_eq!(
            parse_get(&bad, Format::Cbor).unwrap_err().0,
            "InvalidRequest"
        );
        assert_eq!(
            parse_get(b"\xff\x00", Format::Cbor).unwrap_err().0,
            "InvalidCbor"
        );
        assert_eq!(parse_get(b"{", Format::Json).unwrap_err().0, "InvalidJson");
    }

    #[test]
    fn json_request_without_bitmap_takes_n_blocks_from_offset() {
        let req = parse_get(br#"{"c":"t","f":0,"l":1024,"o":4,"n":2}"#, Format::Json).unwrap();
        assert_eq!(wanted_blocks(&req, 10), vec![4, 5]);
        let block = encode_block(Format::Json, 0, 4, b"ab");
        let v: serde_json::Value = serde_json::from_slice(&block).unwrap();
        assert_eq!(v["p"], "YWI=");
    }
}
