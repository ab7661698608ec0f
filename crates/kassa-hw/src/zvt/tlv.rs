//! The TLV container (BMP 06): BER-TLV objects inside it. A tag is one byte, or more when
//! its low five bits are all set (`1F 07`), continuing while a byte's top bit is set; a
//! tag whose first byte has bit 0x20 set is constructed and holds further objects. The
//! length is BER (one byte below 0x80, `81 nn`, `82 nn nn`).
//!
//! Terminals put in it what the BMPs have no room for; a till reads the print texts of
//! the Print Text Block (06 D3): tag 25 holding the receipt type (`1F 07`) and one tag 07
//! per line.

/// One TLV object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    /// The tag's bytes as one number (`0x1F07`).
    pub tag: u32,
    /// The value of a primitive object (empty for a constructed one).
    pub value: Vec<u8>,
    /// The objects inside a constructed one.
    pub children: Vec<Tlv>,
}

impl Tlv {
    /// The first object with `tag` among `objects`, searching constructed ones too.
    pub fn find(objects: &[Tlv], tag: u32) -> Option<&Tlv> {
        objects.iter().find_map(|o| {
            if o.tag == tag {
                Some(o)
            } else {
                Tlv::find(&o.children, tag)
            }
        })
    }
}

/// Why TLV data cannot be read. Offsets are from the start of the container's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlvError {
    #[error("TLV data ends inside a tag at offset {offset}")]
    TagPastEnd { offset: usize },
    #[error("TLV tag at offset {offset} is longer than 4 bytes")]
    TagTooLong { offset: usize },
    #[error("TLV object {tag:X} at offset {offset} has a length that runs past the data")]
    PastEnd { tag: u32, offset: usize },
    #[error("TLV object {tag:X} at offset {offset} has a length form Kassa does not read ({byte:02X})")]
    BadLength { tag: u32, offset: usize, byte: u8 },
    #[error("TLV objects nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Constructed objects nest at most this deep; more is not a real terminal's data.
pub const MAX_DEPTH: usize = 8;

/// Reads the objects in `data`, the value of a TLV container.
pub fn parse(data: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    parse_at(data, 0, 0)
}

fn parse_at(data: &[u8], base: usize, depth: usize) -> Result<Vec<Tlv>, TlvError> {
    if depth > MAX_DEPTH {
        return Err(TlvError::TooDeep);
    }
    let mut objects = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let offset = base + at;
        let first = data[at];
        let mut tag = u32::from(first);
        let mut tag_len = 1;
        if first & 0x1F == 0x1F {
            loop {
                let byte = *data.get(at + tag_len).ok_or(TlvError::TagPastEnd { offset })?;
                tag = (tag << 8) | u32::from(byte);
                tag_len += 1;
                if byte & 0x80 == 0 {
                    break;
                }
                if tag_len == 4 {
                    return Err(TlvError::TagTooLong { offset });
                }
            }
        }
        let rest = &data[at + tag_len..];
        let (len_len, len) = match rest {
            [n, ..] if *n < 0x80 => (1, usize::from(*n)),
            [0x81, n, ..] => (2, usize::from(*n)),
            [0x82, hi, lo, ..] => (3, usize::from(u16::from_be_bytes([*hi, *lo]))),
            [] | [0x81] | [0x82] | [0x82, _] => return Err(TlvError::PastEnd { tag, offset }),
            [byte, ..] => {
                return Err(TlvError::BadLength {
                    tag,
                    offset,
                    byte: *byte,
                });
            }
        };
        let start = at + tag_len + len_len;
        let value = data
            .get(start..start + len)
            .ok_or(TlvError::PastEnd { tag, offset })?;
        let constructed = first & 0x20 != 0;
        objects.push(if constructed {
            Tlv {
                tag,
                value: Vec::new(),
                children: parse_at(value, base + start, depth + 1)?,
            }
        } else {
            Tlv {
                tag,
                value: value.to_vec(),
                children: Vec::new(),
            }
        });
        at = start + len;
    }
    Ok(objects)
}

/// Encodes one primitive object (`tag` of one or two bytes), for the till's own containers.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 5);
    if tag > 0xFF {
        out.push((tag >> 8) as u8);
    }
    out.push(tag as u8);
    push_length(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// A BER length.
pub fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend([0x81, len as u8]);
    } else {
        out.push(0x82);
        out.extend((len.min(0xFFFF) as u16).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_texts_nest_in_tag_25() {
        // 25 { 1F07 01, 07 "AB", 07 "" }
        let data = [
            0x25, 0x0A, 0x1F, 0x07, 0x01, 0x01, 0x07, 0x02, b'A', b'B', 0x07, 0x00,
        ];
        let objects = parse(&data).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].tag, 0x25);
        let children = &objects[0].children;
        assert_eq!(children[0].tag, 0x1F07);
        assert_eq!(children[0].value, [0x01]);
        assert_eq!(children[1].value, b"AB");
        assert_eq!(children[2].value, b"");
        assert_eq!(Tlv::find(&objects, 0x1F07).unwrap().value, [0x01]);
    }

    #[test]
    fn long_lengths_and_bad_data() {
        let mut data = vec![0x07, 0x81, 0x90];
        data.extend([b'x'; 0x90]);
        assert_eq!(parse(&data).unwrap()[0].value.len(), 0x90);
        assert!(matches!(
            parse(&[0x07, 0x05, 1]),
            Err(TlvError::PastEnd { tag: 7, .. })
        ));
        assert!(matches!(parse(&[0x1F]), Err(TlvError::TagPastEnd { .. })));
        assert!(matches!(
            parse(&[0x1F, 0x81, 0x82, 0x83, 0x04]),
            Err(TlvError::TagTooLong { .. })
        ));
        assert!(matches!(
            parse(&[0x07, 0x84, 0, 0, 0, 1]),
            Err(TlvError::BadLength { .. })
        ));
        let mut deep = Vec::new();
        for _ in 0..20 {
            let mut outer = vec![0x25];
            push_length(&mut outer, deep.len());
            outer.extend(deep);
            deep = outer;
        }
        assert_eq!(parse(&deep), Err(TlvError::TooDeep));
        assert_eq!(encode(0x1F07, &[2]), [0x1F, 0x07, 0x01, 0x02]);
    }
}
