//! The vocabulary as a Hugging Face `tokenizer.json`.
//!
//! Shape: a `BPE` model whose vocabulary is `{"<pad>": 0, "<unk>": 1, c: 2, …}` with no
//! merges, `unk_token = "<unk>"`, `fuse_unk = false`, no normalizer, no pre-tokenizer and no
//! added or special tokens. With no merges BPE splits a string into Unicode scalar values and
//! looks each one up, so encoding a line gives exactly the ids `prepare` stores; a literal
//! `<pad>` in the text is five ordinary characters.

use super::vocab::{Vocab, RESERVED};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// The token string of PAD (id 0) in `tokenizer.json`.
pub const PAD_TOKEN: &str = "<pad>";
/// The token string of UNK (id 1) in `tokenizer.json`.
pub const UNK_TOKEN: &str = "<unk>";

impl Vocab {
    /// The vocabulary as the text of a Hugging Face `tokenizer.json` (see the module docs).
    pub fn to_tokenizer_json(&self) -> Result<String> {
        use tokenizers::models::bpe::{Vocab as BpeVocab, BPE};
        let mut vocab: BpeVocab = BpeVocab::default();
        vocab.insert(PAD_TOKEN.to_string(), 0);
        vocab.insert(UNK_TOKEN.to_string(), 1);
        for (i, c) in self.symbols().iter().enumerate() {
            vocab.insert(c.to_string(), (i + RESERVED) as u32);
        }
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, Vec::new())
            .unk_token(UNK_TOKEN.to_string())
            .fuse_unk(false)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the BPE tokenizer: {e}"))?;
        tokenizers::Tokenizer::new(bpe)
            .to_string(true)
            .map_err(|e| anyhow::anyhow!("cannot serialise the tokenizer: {e}"))
    }

    /// Reads a vocabulary back from `tokenizer.json` text written by
    /// [`Vocab::to_tokenizer_json`]; refuses any other shape with a message saying what differs.
    pub fn from_tokenizer_json(json: &str) -> Result<Vocab> {
        let v: serde_json::Value =
            serde_json::from_str(json).context("tokenizer.json is not valid JSON")?;
        let model = &v["model"];
        let what = "it was not written by `textwgan prepare`; re-run prepare";
        if model["type"] != "BPE" {
            bail!(
                "tokenizer.json: model type is {}, not BPE; {what}",
                model["type"]
            );
        }
        if model["merges"].as_array().is_none_or(|m| !m.is_empty()) {
            bail!("tokenizer.json: the BPE model has merges (expected none); {what}");
        }
        if model["unk_token"] != UNK_TOKEN || model["fuse_unk"] != false {
            bail!("tokenizer.json: unk_token must be \"<unk>\" with fuse_unk false; {what}");
        }
        for key in ["normalizer", "pre_tokenizer", "post_processor"] {
            if !v[key].is_null() {
                bail!("tokenizer.json: has a {key} (expected none); {what}");
            }
        }
        if v["added_tokens"].as_array().is_some_and(|a| !a.is_empty()) {
            bail!("tokenizer.json: has added tokens (expected none); {what}");
        }
        let Some(map) = model["vocab"].as_object() else {
            bail!("tokenizer.json: the model has no vocabulary object; {what}");
        };
        let mut slots: Vec<Option<&str>> = vec![None; map.len()];
        for (tok, id) in map {
            let id = id.as_u64().filter(|&i| (i as usize) < map.len());
            let Some(id) = id else {
                bail!(
                    "tokenizer.json: token {tok:?} has an id outside 0..{}; {what}",
                    map.len()
                );
            };
            slots[id as usize] = Some(tok);
        }
        if slots[..RESERVED.min(slots.len())] != [Some(PAD_TOKEN), Some(UNK_TOKEN)] {
            bail!("tokenizer.json: ids 0 and 1 must be \"<pad>\" and \"<unk>\"; {what}");
        }
        if map.len() > u16::MAX as usize {
            bail!(
                "tokenizer.json: {} tokens do not fit 16-bit ids; {what}",
                map.len()
            );
        }
        let mut symbols = Vec::with_capacity(map.len() - RESERVED);
        for (id, tok) in slots.iter().enumerate().skip(RESERVED) {
            let mut chars = tok.unwrap_or_default().chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => symbols.push(c),
                _ => bail!("tokenizer.json: id {id} is not one character ({tok:?}); {what}"),
            }
        }
        Ok(Vocab::from_symbols(symbols))
    }

    /// Reads `path` (a `tokenizer.json`) with [`Vocab::from_tokenizer_json`].
    pub fn load(path: &Path) -> Result<Vocab> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Vocab::from_tokenizer_json(&text).with_context(|| format!("in {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_hf_encoding_match_our_ids() {
        let v = Vocab::from_symbols(vec!['a', '`', '\t', '<', 'p', 'd', '>', '"', '\\']);
        let json = v.to_tokenizer_json().unwrap();
        assert_eq!(Vocab::from_tokenizer_json(&json).unwrap(), v);
        let tok: tokenizers::Tokenizer = json.parse().unwrap();
        for line in ["a`\tq<pad>", "\"\\\\ä", ""] {
            let enc = tok.encode(line, true).unwrap();
            let ids: Vec<u16> = enc.get_ids().iter().map(|&i| i as u16).collect();
            assert_eq!(ids, v.encode(line), "{line:?}");
        }
    }

    #[test]
    fn other_shapes_are_refused() {
        let json = Vocab::from_symbols(vec!['a', 'b'])
            .to_tokenizer_json()
            .unwrap();
        let bad = [
            json.replace("\"<pad>\"", "\"[PAD]\""),
            json.replace("\"b\": 3", "\"bb\": 3"),
            json.replace("\"b\": 3", "\"b\": 7"),
            json.replace("\"merges\": []", "\"merges\": [\"a b\"]"),
            json.replace(
                "\"normalizer\": null",
                "\"normalizer\": {\"type\": \"NFC\"}",
            ),
            "{".to_string(),
        ];
        for b in &bad {
            assert_ne!(b, &json);
            assert!(Vocab::from_tokenizer_json(b).is_err(), "{b}");
        }
    }
}
