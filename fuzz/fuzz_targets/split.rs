//! Shared by both fuzz targets: one fuzz input becomes a byte stream and
//! the places where TCP cut it into `recv`s.
//!
//! Layout of an input: the first byte says how many cuts (0 to 15); each
//! cut is the next two bytes (little endian, taken modulo the stream's
//! length + 1); the rest is the stream. Short inputs simply have no cuts.

/// The stream, and where it is cut (sorted offsets into it).
pub fn stream_and_cuts(data: &[u8]) -> (&[u8], Vec<usize>) {
    let Some((&count, rest)) = data.split_first() else {
        return (data, Vec::new());
    };
    let header = (usize::from(count % 16) * 2).min(rest.len());
    let (cut_bytes, stream) = rest.split_at(header);
    let mut cuts: Vec<usize> = cut_bytes
        .chunks_exact(2)
        .map(|pair| usize::from(u16::from_le_bytes([pair[0], pair[1]])) % (stream.len() + 1))
        .collect();
    cuts.sort_unstable();
    (stream, cuts)
}

/// `stream` cut at `cuts` (sorted): the pieces in order, some maybe empty.
pub fn split<'a>(stream: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &at in cuts {
        pieces.push(&stream[start..at]);
        start = at;
    }
    pieces.push(&stream[start..]);
    pieces
}
