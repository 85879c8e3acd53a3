//! A minimal reader and writer of the safetensors format (what Python's `safetensors`
//! loads): an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
//! shape and byte range, an optional `__metadata__` map of strings, then the raw data.
//! The reader checks every range, so a truncated or garbled file is refused, not misread.

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One stored tensor: dtype name (`F32`, `F64`), shape and little-endian bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTensor {
    /// Safetensors dtype name.
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Little-endian element bytes.
    pub bytes: Vec<u8>,
}

/// Serialises tensors (in the given order) and string metadata.
pub fn serialize(tensors: &[(String, RawTensor)], metadata: &BTreeMap<String, String>) -> Vec<u8> {
    let mut header = Map::new();
    header.insert("__metadata__".into(), json!(metadata));
    let mut offset = 0usize;
    for (name, t) in tensors {
        let end = offset + t.bytes.len();
        header.insert(
            name.clone(),
            json!({"dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut head = serde_json::to_vec(&Value::Object(header)).expect("json");
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + head.len() + offset);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    for (_, t) in tensors {
        out.extend_from_slice(&t.bytes);
    }
    out
}

/// Parses a safetensors file into its tensors and metadata, checking every byte range.
pub fn deserialize(
    bytes: &[u8],
) -> Result<(BTreeMap<String, RawTensor>, BTreeMap<String, String>)> {
    ensure!(
        bytes.len() >= 8,
        "file too short ({} bytes) for a safetensors header",
        bytes.len()
    );
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    ensure!(
        n <= bytes.len() - 8,
        "header length {n} exceeds the file size {} (truncated file?)",
        bytes.len()
    );
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes[8..8 + n]).context("the header is not valid JSON")?;
    let data = &bytes[8 + n..];
    let mut tensors = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    let mut covered = 0usize;
    for (name, v) in header {
        if name == "__metadata__" {
            metadata = serde_json::from_value(v).context("__metadata__ is not a map of strings")?;
            continue;
        }
        let dtype = v["dtype"]
            .as_str()
            .context("tensor without dtype")?
            .to_string();
        let shape: Vec<usize> =
            serde_json::from_value(v["shape"].clone()).context("tensor without shape")?;
        let offs: [usize; 2] =
            serde_json::from_value(v["data_offsets"].clone()).context("tensor without offsets")?;
        let elem = match dtype.as_str() {
            "F32" => 4,
            "F64" => 8,
            other => bail!("tensor {name}: unsupported dtype {other}"),
        };
        let len = shape.iter().product::<usize>() * elem;
        ensure!(
            offs[0] <= offs[1] && offs[1] <= data.len() && offs[1] - offs[0] == len,
            "tensor {name}: byte range {:?} does not fit its shape or the file (truncated file?)",
            offs
        );
        covered += len;
        let bytes = data[offs[0]..offs[1]].to_vec();
        tensors.insert(
            name,
            RawTensor {
                dtype,
                shape,
                bytes,
            },
        );
    }
    ensure!(
        covered == data.len(),
        "the data section has {} bytes but the tensors cover {covered}",
        data.len()
    );
    Ok((tensors, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout_are_the_standard_format() {
        let t = RawTensor {
            dtype: "F32".into(),
            shape: vec![2],
            bytes: [1.5f32.to_le_bytes(), (-2f32).to_le_bytes()].concat(),
        };
        let meta = BTreeMap::from([("k".to_string(), "v".to_string())]);
        let bytes = serialize(&[("w".into(), t.clone())], &meta);
        // Header length, then JSON starting with '{', header padded to 8 bytes.
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        assert_eq!(bytes[8], b'{');
        assert_eq!((8 + n) % 8, 0);
        assert_eq!(&bytes[8 + n..], &t.bytes[..]);
        let (ts, m) = deserialize(&bytes).unwrap();
        assert_eq!(ts["w"], t);
        assert_eq!(m, meta);
        // Every truncation is refused.
        for cut in [0, 4, 8, 20, bytes.len() - 1] {
            assert!(deserialize(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }
}
