//! How a shape sits in a database column, the same in every store: a ring or polyline as
//! packed little-endian (lon, lat) f64 pairs, an outline's holes and parts as JSON.

use crate::domain::{ExtraRings, LonLat};

/// A ring or polyline as little-endian (lon, lat) f64 pairs: compact and fast to load.
pub fn encode_path(points: &[LonLat]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 16);
    for p in points {
        out.extend_from_slice(&p[0].to_le_bytes());
        out.extend_from_slice(&p[1].to_le_bytes());
    }
    out
}

pub fn decode_path(bytes: &[u8]) -> Option<Vec<LonLat>> {
    if !bytes.len().is_multiple_of(16) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(16)
            .map(|c| {
                let mut lon = [0u8; 8];
                let mut lat = [0u8; 8];
                lon.copy_from_slice(&c[..8]);
                lat.copy_from_slice(&c[8..]);
                [f64::from_le_bytes(lon), f64::from_le_bytes(lat)]
            })
            .collect(),
    )
}

/// An outline's holes and further parts as JSON (None for the usual single ring).
pub fn encode_rings(extra: &ExtraRings) -> Option<String> {
    (!extra.is_empty()).then(|| serde_json::to_string(extra).expect("numbers and arrays"))
}

/// Holes and parts back from their JSON (None: none).
pub fn decode_rings(text: Option<&str>) -> Result<ExtraRings, serde_json::Error> {
    match text {
        None => Ok(ExtraRings::default()),
        Some(t) => serde_json::from_str(t),
    }
}
