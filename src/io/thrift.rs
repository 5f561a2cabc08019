//! A checker for Thrift compact-protocol structures (Parquet's footer and page headers),
//! run before the parquet library decodes them.
//!
//! The library decodes the fields it knows by their type in Parquet's schema, not by the type
//! written on the wire, and skips a `list<bool>` as if its elements took no bytes. A footer
//! that lies about either sends the library into a reading nothing else has checked: a 48-byte
//! footer declaring lists of 2^31 booleans kept it busy for minutes, and a known field written
//! with another wire type led it to such a list by another way (the parquet fuzz target found
//! both). So this checker walks the structures with Parquet's schema: a known field must carry
//! its schema's wire type (then the library and this walk read the same bytes the same way),
//! a collection of booleans is refused (Parquet's metadata holds none), every collection is
//! refused when it declares more elements than the bytes left could hold, nesting is bounded,
//! and every length is checked.

/// How deep structures may nest (Parquet's own schema is a handful of levels).
const MAX_DEPTH: usize = 64;

/// What a field or list element holds in Parquet's schema, as the library decodes it.
#[derive(Clone, Copy)]
enum Ty {
    /// A scalar of this compact type (1 for a boolean, which is also written 2).
    Scalar(u8),
    List(&'static Ty),
    /// A struct (or a union) by name, with the fields the library reads.
    Struct(&'static str, &'static [(i16, Ty)]),
}

impl Ty {
    fn wire(self) -> u8 {
        match self {
            Ty::Scalar(t) => t,
            Ty::List(_) => 9,
            Ty::Struct(..) => 12,
        }
    }

    /// Whether a value written with compact type `t` is read the same way as this type.
    fn accepts(self, t: u8) -> bool {
        t == self.wire() || (self.wire() == 1 && t == 2)
    }
}

const BOOL: Ty = Ty::Scalar(1);
const I8: Ty = Ty::Scalar(3);
const I16: Ty = Ty::Scalar(4);
const I32: Ty = Ty::Scalar(5);
const I64: Ty = Ty::Scalar(6);
const DOUBLE: Ty = Ty::Scalar(7);
const BINARY: Ty = Ty::Scalar(8);
const fn empty(name: &'static str) -> Ty {
    Ty::Struct(name, &[])
}

// Parquet's thrift schema (parquet-format's parquet.thrift), limited to the fields the
// parquet library decodes by their type; the others it skips by wire type, as this walk does.
const KEY_VALUE: Ty = Ty::Struct("KeyValue", &[(1, BINARY), (2, BINARY)]);
const STATISTICS: Ty = Ty::Struct(
    "Statistics",
    &[
        (1, BINARY),
        (2, BINARY),
        (3, I64),
        (4, I64),
        (5, BINARY),
        (6, BINARY),
        (7, BOOL),
        (8, BOOL),
        (9, I64),
    ],
);
const TIME_UNIT: Ty = Ty::Struct(
    "TimeUnit",
    &[
        (1, empty("MilliSeconds")),
        (2, empty("MicroSeconds")),
        (3, empty("NanoSeconds")),
    ],
);
const TIME: &[(i16, Ty)] = &[(1, BOOL), (2, TIME_UNIT)];
const LOGICAL_TYPE: Ty = Ty::Struct(
    "LogicalType",
    &[
        (1, empty("StringType")),
        (2, empty("MapType")),
        (3, empty("ListType")),
        (4, empty("EnumType")),
        (5, Ty::Struct("DecimalType", &[(1, I32), (2, I32)])),
        (6, empty("DateType")),
        (7, Ty::Struct("TimeType", TIME)),
        (8, Ty::Struct("TimestampType", TIME)),
        (10, Ty::Struct("IntType", &[(1, I8), (2, BOOL)])),
        (11, empty("NullType")),
        (12, empty("JsonType")),
        (13, empty("BsonType")),
        (14, empty("UUIDType")),
        (15, empty("Float16Type")),
        (16, Ty::Struct("VariantType", &[(1, I8)])),
        (17, Ty::Struct("GeometryType", &[(1, BINARY)])),
        (18, Ty::Struct("GeographyType", &[(1, BINARY), (2, I32)])),
        (19, empty("FileType")),
    ],
);
const SCHEMA_ELEMENT: Ty = Ty::Struct(
    "SchemaElement",
    &[
        (1, I32),
        (2, I32),
        (3, I32),
        (4, BINARY),
        (5, I32),
        (6, I32),
        (7, I32),
        (8, I32),
        (9, I32),
        (10, LOGICAL_TYPE),
    ],
);
const BOUNDING_BOX: Ty = Ty::Struct(
    "BoundingBox",
    &[
        (1, DOUBLE),
        (2, DOUBLE),
        (3, DOUBLE),
        (4, DOUBLE),
        (5, DOUBLE),
        (6, DOUBLE),
        (7, DOUBLE),
        (8, DOUBLE),
    ],
);
const COLUMN_META_DATA: Ty = Ty::Struct(
    "ColumnMetaData",
    &[
        (1, I32),
        (2, Ty::List(&I32)),
        (3, Ty::List(&BINARY)),
        (4, I32),
        (5, I64),
        (6, I64),
        (7, I64),
        (8, Ty::List(&KEY_VALUE)),
        (9, I64),
        (10, I64),
        (11, I64),
        (12, STATISTICS),
        (
            13,
            Ty::List(&Ty::Struct(
                "PageEncodingStats",
                &[(1, I32), (2, I32), (3, I32)],
            )),
        ),
        (14, I64),
        (15, I32),
        (
            16,
            Ty::Struct(
                "SizeStatistics",
                &[(1, I64), (2, Ty::List(&I64)), (3, Ty::List(&I64))],
            ),
        ),
        (
            17,
            Ty::Struct(
                "GeospatialStatistics",
                &[(1, BOUNDING_BOX), (2, Ty::List(&I32))],
            ),
        ),
    ],
);
const COLUMN_CHUNK: Ty = Ty::Struct(
    "ColumnChunk",
    &[
        (1, BINARY),
        (2, I64),
        (3, COLUMN_META_DATA),
        (4, I64),
        (5, I32),
        (6, I64),
        (7, I32),
    ],
);
const ROW_GROUP: Ty = Ty::Struct(
    "RowGroup",
    &[
        (1, Ty::List(&COLUMN_CHUNK)),
        (2, I64),
        (3, I64),
        (
            4,
            Ty::List(&Ty::Struct(
                "SortingColumn",
                &[(1, I32), (2, BOOL), (3, BOOL)],
            )),
        ),
        (5, I64),
        (6, I64),
        (7, I16),
    ],
);
const COLUMN_ORDER: Ty = Ty::Struct(
    "ColumnOrder",
    &[
        (1, empty("TypeDefinedOrder")),
        (2, empty("IEEE754TotalOrder")),
        (3, empty("Int96TimestampOrder")),
    ],
);
const FILE_META_DATA: &[(i16, Ty)] = &[
    (1, I32),
    (2, Ty::List(&SCHEMA_ELEMENT)),
    (3, I64),
    (4, Ty::List(&ROW_GROUP)),
    (5, Ty::List(&KEY_VALUE)),
    (6, BINARY),
    (7, Ty::List(&COLUMN_ORDER)),
];
const PAGE_HEADER: &[(i16, Ty)] = &[
    (1, I32),
    (2, I32),
    (3, I32),
    (4, I32),
    (
        5,
        Ty::Struct(
            "DataPageHeader",
            &[(1, I32), (2, I32), (3, I32), (4, I32), (5, STATISTICS)],
        ),
    ),
    (6, empty("IndexPageHeader")),
    (
        7,
        Ty::Struct("DictionaryPageHeader", &[(1, I32), (2, I32), (3, BOOL)]),
    ),
    (
        8,
        Ty::Struct(
            "DataPageHeaderV2",
            &[
                (1, I32),
                (2, I32),
                (3, I32),
                (4, I32),
                (5, I32),
                (6, I32),
                (7, BOOL),
                (8, STATISTICS),
            ],
        ),
    ),
];

/// A compact type's name, for messages.
fn wire_name(t: u8) -> &'static str {
    match t {
        1 | 2 => "a boolean",
        3 => "a byte",
        4 => "an i16",
        5 => "an i32",
        6 => "an i64",
        7 => "a double",
        8 => "a binary",
        9 => "a list",
        10 => "a set",
        11 => "a map",
        12 => "a struct",
        13 => "a UUID",
        _ => "an unknown type",
    }
}

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

    /// A list or set header: the element type and how many elements, checked against the
    /// bytes left (each element takes at least one byte).
    fn collection(&mut self) -> Result<(u8, u64), Problem> {
        let head = self.byte()?;
        let n = match head >> 4 {
            15 => self.varint()?,
            n => u64::from(n),
        };
        self.elements(n, 1)?;
        Ok((head & 0x0f, n))
    }

    /// Refuses booleans as collection elements: Parquet's metadata holds none, and the parquet
    /// library skips them as if they took no bytes (see the module's documentation).
    fn no_booleans(&self, element: u8) -> Result<(), Problem> {
        if matches!(element, 1 | 2) {
            return Err(self.bad("a collection of booleans, which Parquet's metadata never holds,"));
        }
        Ok(())
    }

    /// Refuses a collection of `n` elements of at least `min` bytes each that the bytes left
    /// cannot hold: it is corrupt (or, read in a window, `Short`).
    fn elements(&self, n: u64, min: u64) -> Result<(), Problem> {
        match n.checked_mul(min) {
            Some(need) if need <= self.left() as u64 => Ok(()),
            _ => Err(Problem::Short),
        }
    }

    /// Skips one value of compact type `t` that Parquet's schema does not describe.
    fn value(&mut self, t: u8, depth: usize) -> Result<(), Problem> {
        if depth > MAX_DEPTH {
            return Err(self.bad("structures nested more than 64 deep"));
        }
        match t {
            // A boolean field carries its value in its type.
            1 | 2 => Ok(()),
            3 => self.skip(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let (element, n) = self.collection()?;
                if n > 0 {
                    self.no_booleans(element)?;
                }
                for _ in 0..n {
                    self.value(element, depth + 1)?;
                }
                Ok(())
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                self.no_booleans(kv >> 4)?;
                self.no_booleans(kv & 0x0f)?;
                self.elements(n, 2)?;
                for _ in 0..n {
                    self.value(kv >> 4, depth + 1)?;
                    self.value(kv & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            12 => self.fields("a struct", &[], depth + 1, &mut |_, _| Ok(())),
            13 => self.skip(16),
            t => Err(self.bad(&format!("unknown value type {t}"))),
        }
    }

    /// Reads one value that Parquet's schema types as `ty`, written with compact type `t`
    /// (already checked to agree); gives an integer's value.
    fn typed(&mut self, ty: Ty, t: u8, depth: usize) -> Result<Option<i64>, Problem> {
        match ty {
            Ty::Scalar(4..=6) => self.int().map(Some),
            Ty::Scalar(_) => self.value(t, depth).map(|()| None),
            Ty::List(element) => {
                let (wire, n) = self.collection()?;
                // The library reads an empty list whatever element type it names.
                if n == 0 {
                    return Ok(None);
                }
                if !element.accepts(wire) {
                    return Err(self.bad(&format!(
                        "a list of {} where Parquet has a list of {}",
                        wire_name(wire),
                        wire_name(element.wire())
                    )));
                }
                for _ in 0..n {
                    self.typed(*element, wire, depth + 1)?;
                }
                Ok(None)
            }
            Ty::Struct(name, fields) => self
                .fields(name, fields, depth + 1, &mut |_, _| Ok(()))
                .map(|()| None),
        }
    }

    /// The fields of struct `name` up to its stop byte, each known one read as `schema` types
    /// it (and refused when written with another wire type), the others skipped; `seen` gets
    /// each field's id and, for an integer, its value.
    fn fields(
        &mut self,
        name: &str,
        schema: &[(i16, Ty)],
        depth: usize,
        seen: &mut dyn FnMut(i16, Option<i64>) -> Result<(), Problem>,
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
                delta => id
                    .checked_add(i16::from(delta))
                    .ok_or_else(|| self.bad("a field id out of range"))?,
            };
            let value = match schema.iter().find(|(known, _)| *known == id) {
                Some(&(_, ty)) if ty.accepts(t) => self.typed(ty, t, depth)?,
                Some(&(_, ty)) => {
                    return Err(self.bad(&format!(
                        "field {id} of {name} written as {}, where Parquet has {}",
                        wire_name(t),
                        wire_name(ty.wire())
                    )))
                }
                None if (4..=6).contains(&t) => Some(self.int()?),
                None => {
                    self.value(t, depth)?;
                    None
                }
            };
            seen(id, value)?;
        }
    }
}

/// Checks Parquet's `FileMetaData`, which must fill `buf`.
pub(crate) fn file_metadata(buf: &[u8]) -> Result<(), String> {
    let mut w = Walk { buf, at: 0 };
    match w.fields("FileMetaData", FILE_META_DATA, 0, &mut |_, _| Ok(())) {
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
    w.fields("PageHeader", PAGE_HEADER, 0, &mut |id, v| {
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

    /// A well-formed `FileMetaData`: version 2, one schema element named "s", no rows, no
    /// row groups.
    const SMALL_FOOTER: [u8; 13] = [
        0x15, 0x04, 0x19, 0x1c, 0x48, 0x01, b's', 0x00, 0x16, 0x00, 0x19, 0x0c, 0x00,
    ];

    #[test]
    fn a_list_of_more_booleans_than_bytes_is_refused_at_once() {
        // struct { 20: list<bool> of 2^31 elements } (a field Parquet does not know).
        let mut footer = vec![0x09, 0x28, 0xf1];
        footer.extend([0x80, 0x80, 0x80, 0x80, 0x08]);
        footer.push(0);
        let started = std::time::Instant::now();
        assert!(file_metadata(&footer).is_err());
        assert!(started.elapsed().as_secs() < 1);
    }

    #[test]
    fn well_formed_structures_pass_and_give_the_page_size() {
        // struct { 1: i32 = 0 (DATA_PAGE), 2: i32 = 100, 3: i32 = 90, 5: struct {} }
        let header = [
            0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0xb4, 0x01, 0x2c, 0x00, 0x00,
        ];
        assert_eq!(page_header(&header), Ok((header.len(), 90)));
        assert_eq!(file_metadata(&SMALL_FOOTER), Ok(()));
        // Fields Parquet does not know are skipped by their wire type.
        let mut unknown = SMALL_FOOTER[..12].to_vec();
        unknown.extend([0x08, 0x28, 0x02, b'h', b'i', 0x00]);
        assert_eq!(file_metadata(&unknown), Ok(()));
    }

    #[test]
    fn collections_of_booleans_are_refused_even_when_short() {
        // struct { 20: list<bool> [true, false, true] }: the library would skip no bytes.
        let why = file_metadata(&[0x09, 0x28, 0x31, 1, 2, 1, 0]).unwrap_err();
        assert!(why.contains("booleans"), "{why}");
        // struct { 20: map<bool, i32> { true: 1 } }
        let why = file_metadata(&[0x0b, 0x28, 0x01, 0x15, 1, 2, 0]).unwrap_err();
        assert!(why.contains("booleans"), "{why}");
    }

    #[test]
    fn a_known_field_with_another_wire_type_is_refused() {
        // FileMetaData { 6: i32 = 5 }: created_by is a binary; the library would read the
        // varint as a length and go on from there.
        let why = file_metadata(&[0x65, 0x0a, 0x00]).unwrap_err();
        assert!(
            why.contains("field 6 of FileMetaData written as an i32, where Parquet has a binary"),
            "{why}"
        );
        // A list whose elements are not what Parquet's schema has: row groups of i32.
        let why = file_metadata(&[0x49, 0x15, 0x02, 0x00]).unwrap_err();
        assert!(
            why.contains("a list of an i32 where Parquet has a list of a struct"),
            "{why}"
        );
        // Inside a page header: the data page header written as a binary.
        let header = [0x15, 0x00, 0x15, 0x02, 0x15, 0x02, 0x28, 0x00, 0x00];
        assert!(
            matches!(page_header(&header), Err(Problem::Bad(why)) if why.contains("field 5 of PageHeader"))
        );
    }

    #[test]
    fn deep_nesting_and_cut_structures_are_refused() {
        let mut deep = vec![0x0c, 0x28];
        deep.extend(std::iter::repeat_n(0x1c, 100));
        assert!(
            matches!(file_metadata(&deep), Err(why) if why.contains("ends") || why.contains("64"))
        );
        assert_eq!(page_header(&[0x15, 0x00, 0x15]), Err(Problem::Short));
        assert!(file_metadata(&SMALL_FOOTER[..10]).is_err());
    }
}
