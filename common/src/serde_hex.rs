//! `0x…` hex for byte fields in JSON (vectors, CLI output), as Solidity's `vm.parseJson` reads it.

use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn encode(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

pub(crate) fn decode(s: &str) -> Result<Vec<u8>, String> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("hex string {s:?} lacks its 0x prefix"))?;
    hex::decode(digits).map_err(|e| format!("bad hex {s:?}: {e}"))
}

/// `Vec<u8>` as one hex string.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        decode(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `[u8; 32]` as one hex string.
pub(crate) mod hash {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let v = decode(&String::deserialize(d)?).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|v: Vec<u8>| serde::de::Error::custom(format!("{} bytes, not 32", v.len())))
    }
}

/// `Vec<[u8; 32]>` as a list of hex strings.
pub(crate) mod hashes {
    use super::*;
    use serde::ser::SerializeSeq;

    pub(crate) fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&encode(h))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                let v = decode(s).map_err(serde::de::Error::custom)?;
                v.try_into().map_err(|v: Vec<u8>| {
                    serde::de::Error::custom(format!("{} bytes, not 32", v.len()))
                })
            })
            .collect()
    }
}
