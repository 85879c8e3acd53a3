//! Reading corpus text: encodings, line endings, BOM, invalid bytes, `.gz`.
