//! A checker for Thrift compact-protocol structures (Parquet's footer and page headers),
//! run before the parquet library decodes them. The library skips the elements of a
//! `list<bool>` as if they took no bytes, so a 48-byte footer declaring lists of 2^31
//! booleans kept it busy for minutes (the parquet fuzz target found it). Here every list, set
//! and map is refused when it declares more elements than the bytes left could hold (each
//! element takes at least one byte), nesting is bounded, and every length is checked.

/// How deep structures may nest (Parquet's own schema is a handful of levels).
const MAX_DEPTH: usize = 64;

/// Why a structure was refused, or `Short` when it needs more bytes than were given.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The structure goes on past the bytes given: give more, or it is truncated.
    Short,
    /// Malformed, with the reason and the byte where it was found.
    Bad(String),
}

/// A compact-protocol reader over a byte slice.
struct Walk<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Walk<'_> {
    fn left(&self) -> usize {
        self.buf.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, Problem> {
        let b = *self.buf.get(self.at).ok_or(Problem::Short)?;
        self.at += 1;
        Ok(b)
    }

    fn skip(&mut self, n: u64) -> Result<(), Problem> {
        if n > self.left() as u64 {
            return Err(Problem::Short);
        }
        self.at += n as usize;
        Ok(())
    }

    /// An unsigned LEB128 varint of at most 10 bytes.
    fn varint(&mut self) -> Result<u64, Problem> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad("a varint longer than 10 bytes"))
    }

    /// A zigzag-encoded signed varint.
    fn int(&mut self) -> Result<i64, Problem> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn bad(&self, what: &str) -> Problem {
        Problem::Bad(format!("{what} at byte {} of the structure", self.at))
    }

    /// Skips one value of compact type `t` (list/set/map element types included).
    fn value(&mut self, t: u8, depth: usize, in_collection: bool) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(self.bad("structures nested more than 64 deep"));
        }
        match t {
            // A boolean field carries its value in its type; a boolean element is one byte.
            1 | 2 if in_collection => self.skip(1),
            1 | 2 => Ok(()),
            3 => self.skip(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let head = self.byte()?;
                let element = head & 0x0f;
                let n = match head >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                self.elements(n, 1)?;
                for _ in 0..n {
                    self.value(element, depth + 1, true)?;
                }
                Ok(())
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                self.elements(n, 2)?;
                for _ in 0..n {
                    self.value(kv >> 4, depth + 1, true)?;
                    self.value(kv & 0x0f, depth + 1, true)?;
                }
                Ok(())
            }
            12 => self.fields(depth + 1, |_, _, _| Ok(())),
            13 => self.skip(16),
            t => Err(self.bad(&format!("unknown value type {t}"))),
        }
    }

    /// Refuses a collection of `n` elements of at least `min` bytes each that the bytes left
    /// cannot hold: it is corrupt (or, read in a window, `Short`).
    fn elements(&self, n: u64, min: u64) -> Result<(), Problem> {
        match n.checked_mul(min) {
            Some(need) if need <= self.left() as u64 => Ok(()),
            _ => Err(Problem::Short),
        }
    }

    /// The fields of a struct up to its stop byte; `seen` gets each field's id, type and
    /// (for an integer field) value.
    fn fields(
        &mut self,
        depth: usize,
        mut seen: impl FnMut(i16, u8, Option<i64>) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(self.bad("structures nested more than 64 deep"));
        }
        let mut id: i16 = 0;
        loop {
            let head = self.byte()?;
            if head == 0 {
                return Ok(());
            }
            let t = head & 0x0f;
            id = match head >> 4 {
                0 => i16::try_from(self.int()?).map_err(|_| self.bad("a field id out of range"))?,
                delta => id.wrapping_add(i16::from(delta)),
            };
            if (4..=6).contains(&t) {
                let v = self.int()?;
                seen(id, t, Some(v))?;
            } else {
                seen(id, t, None)?;
                self.value(t, depth, false)?;
            }
        }
    }
}

/// Checks a whole structure (Parquet's `FileMetaData`) that must fill `buf`.
pub(crate) fn check_struct(buf: &[u8]) -> Result<(), String> {
    let mut w = Walk { buf, at: 0 };
    match w.fields(0, |_, _, _| Ok(())) {
        Ok(()) => Ok(()),
        Err(Problem::Short) => Err(format!(
            "its metadata ({} bytes) ends inside a structure or declares more elements than it holds",
            buf.len()
        )),
        Err(Problem::Bad(why)) => Err(format!("its metadata is malformed: {why}")),
    }
}

/// Checks one Parquet page header at the start of `buf`: how many bytes it takes and its
/// `compressed_page_size` (field 3).
pub(crate) fn page_header(buf: &[u8]) -> Result<(usize, i64), Problem> {
    let mut w = Walk { buf, at: 0 };
    let mut size = None;
    w.fields(0, |id, _, v| {
        if id == 3 {
            size = v;
        }
        Ok(())
    })?;
    let size = size.ok_or_else(|| Problem::Bad("a page header without its page size".into()))?;
    Ok((w.at, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_more_booleans_than_bytes_is_refused_at_once() {
        // struct { 1: list<bool> of 2^31 elements } in 8 bytes.
        let mut footer = vec![0x19, 0xf1];
        footer.extend([0x80, 0x80, 0x80, 0x80, 0x08]);
        footer.push(0);
        let started = std::time::Instant::now();
        assert!(check_struct(&footer).is_err());
        assert!(started.elapsed().as_secs() < 1);
    }

    #[test]
    fn well_formed_structures_pass_and_give_the_page_size() {
        // struct { 1: i32 = 0 (DATA_PAGE), 2: i32 = 100, 3: i32 = 90, 5: struct {} }
        let header = [
            0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0xb4, 0x01, 0x2c, 0x00, 0x00,
        ];
        assert_eq!(page_header(&header), Ok((header.len(), 90)));
        assert!(check_struct(&header).is_ok());
        // A list of three booleans takes three bytes.
        assert!(check_struct(&[0x19, 0x31, 1, 2, 1, 0]).is_ok());
        assert!(check_struct(&[0x19, 0x31, 1, 2, 0]).is_err());
    }

    #[test]
    fn deep_nesting_and_cut_structures_are_refused() {
        let deep: Vec<u8> = std::iter::repeat_n(0x1c, 100).collect();
        assert!(
            matches!(check_struct(&deep), Err(why) if why.contains("ends") || why.contains("64"))
        );
        assert_eq!(page_header(&[0x15, 0x00, 0x15]), Err(Problem::Short));
    }
}
