//! Byte strings framed as one: a tag, then each part as its length (8 bytes, little endian)
//! and its bytes. For adapters whose [`Backend::serialize`](crate::Backend::serialize) writes
//! several things (a module's bytes beside its code of each kind).

/// `parts` after `tag`, each with its length.
///
/// ```
/// use wasiport::framed::{frame, unframe};
/// let bytes = frame(b"tag", &[b"module", b"", b"code"]);
/// assert_eq!(unframe(b"tag", &bytes, 3), Some(vec![&b"module"[..], b"", b"code"]));
/// assert_eq!(unframe(b"other", &bytes, 3), None);
/// ```
pub fn frame(tag: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let len = tag.len() + parts.iter().map(|p| 8 + p.len()).sum::<usize>();
    let mut bytes = Vec::with_capacity(len);
    bytes.extend_from_slice(tag);
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part);
    }
    bytes
}

/// The `count` parts [`frame`] wrote after `tag`, or `None` when `bytes` are not that (another
/// tag, cut short, or more than the parts).
pub fn unframe<'a>(tag: &[u8], bytes: &'a [u8], count: usize) -> Option<Vec<&'a [u8]>> {
    let mut rest = bytes.strip_prefix(tag)?;
    let mut parts = Vec::with_capacity(count);
    for _ in 0..count {
        let (len, after) = rest.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if after.len() < len {
            return None;
        }
        let (part, after) = after.split_at(len);
        parts.push(part);
        rest = after;
    }
    rest.is_empty().then_some(parts)
}
