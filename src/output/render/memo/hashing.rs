//! Hashes a template variable straight from its `Serialize` form, without making the Tera
//! value a template would read: a rebuild hashes every file's variables to learn that nearly
//! all of them are as before, and building the values first was most of that work.
//!
//! Everything the serializer is told goes into the hash, each part behind a tag of its own,
//! and every text, list and map is closed, so two different values never feed the hasher the
//! same stream: struct and field names, variant names, numbers with their type. Whether Tera
//! would print a text unescaped is not told by serde; it is decided by the program's code,
//! which the memo's key holds, never by content.
//!
//! It tells values it is not human-readable: a value that takes long to make and is a pure
//! function of a few others (a handout chapter's re-homed body) serializes those instead, and
//! one that many files show (a page's list summary) its digest, made once per render.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::ser::{self, Serialize};

/// Hashes `value` as serde describes it into `h`.
pub(super) fn hash_serialized<T: Serialize + ?Sized>(h: &mut impl Hasher, value: &T) {
    // A hasher cannot fail, and neither do our `Serialize` types; a custom one that does
    // fails the same way every time, and its tag goes in the hash.
    if value.serialize(&mut Hashing(h)).is_err() {
        Tag::Failed.hash(h);
    }
}

#[derive(Hash)]
enum Tag {
    Bool,
    I64,
    I128,
    U64,
    U128,
    F64,
    Char,
    Str,
    Bytes,
    None,
    Some,
    Unit,
    UnitStruct,
    UnitVariant,
    NewtypeStruct,
    NewtypeVariant,
    Seq,
    Tuple,
    TupleStruct,
    TupleVariant,
    Map,
    Struct,
    StructVariant,
    Element,
    Key,
    Value,
    Field,
    Skipped,
    End,
    Failed,
}

struct Hashing<'h, H: Hasher>(&'h mut H);

/// Never made: hashing cannot fail, but serde asks for an error type.
#[derive(Debug)]
struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("serialization failed")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Never
    }
}

impl<H: Hasher> Hashing<'_, H> {
    fn put(&mut self, tag: Tag, value: impl Hash) {
        tag.hash(self.0);
        value.hash(self.0);
    }
}

impl<H: Hasher> ser::Serializer for &mut Hashing<'_, H> {
    /// Not human-readable: a value that is costly to make may serialize what it is made
    /// from instead (a handout's chapters: `training_pages::Chapters`).
    fn is_human_readable(&self) -> bool {
        false
    }

    type Ok = ();
    type Error = Never;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), Never> {
        self.put(Tag::Bool, v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Never> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Never> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Never> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Never> {
        self.put(Tag::I64, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Never> {
        self.put(Tag::I128, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Never> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Never> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Never> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Never> {
        self.put(Tag::U64, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Never> {
        self.put(Tag::U128, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Never> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Never> {
        self.put(Tag::F64, v.to_bits());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Never> {
        self.put(Tag::Char, v);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Never> {
        // `str`'s hash ends with a byte no UTF-8 text holds: a text is closed.
        self.put(Tag::Str, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Never> {
        // A slice's hash starts with its length.
        self.put(Tag::Bytes, v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        Tag::None.hash(self.0);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Never> {
        Tag::Some.hash(self.0);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Tag::Unit.hash(self.0);
        Ok(())
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Never> {
        self.put(Tag::UnitStruct, name);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), Never> {
        self.put(Tag::UnitVariant, (name, index, variant));
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        self.put(Tag::NewtypeStruct, name);
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Never> {
        self.put(Tag::NewtypeVariant, (name, index, variant));
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, Never> {
        self.put(Tag::Seq, len);
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, Never> {
        self.put(Tag::Tuple, len);
        Ok(self)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self, Never> {
        self.put(Tag::TupleStruct, (name, len));
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Never> {
        self.put(Tag::TupleVariant, (name, index, variant, len));
        Ok(self)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, Never> {
        self.put(Tag::Map, len);
        Ok(self)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self, Never> {
        self.put(Tag::Struct, (name, len));
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self, Never> {
        self.put(Tag::StructVariant, (name, index, variant, len));
        Ok(self)
    }
}

/// An element of a list or tuple; `End` closes it.
impl<H: Hasher> Hashing<'_, H> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        Tag::Element.hash(self.0);
        value.serialize(&mut *self)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Never> {
        self.put(Tag::Field, key);
        value.serialize(&mut *self)
    }

    fn end(&mut self) -> Result<(), Never> {
        Tag::End.hash(self.0);
        Ok(())
    }
}

/// serde's four kinds of list, each with its own trait and method name, all hashed alike.
macro_rules! list_of_elements {
    ($($kind:ident :: $method:ident),*) => {$(
        impl<H: Hasher> ser::$kind for &mut Hashing<'_, H> {
            type Ok = ();
            type Error = Never;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
                self.element(value)
            }
            fn end(self) -> Result<(), Never> {
                Hashing::end(self)
            }
        }
    )*};
}

list_of_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl<H: Hasher> ser::SerializeMap for &mut Hashing<'_, H> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Never> {
        Tag::Key.hash(self.0);
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Never> {
        Tag::Value.hash(self.0);
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        Hashing::end(self)
    }
}

/// serde's two kinds of struct, hashed alike.
macro_rules! struct_of_fields {
    ($($kind:ident),*) => {$(
        impl<H: Hasher> ser::$kind for &mut Hashing<'_, H> {
            type Ok = ();
            type Error = Never;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Never> {
                self.field(key, value)
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), Never> {
                self.put(Tag::Skipped, key);
                Ok(())
            }
            fn end(self) -> Result<(), Never> {
                Hashing::end(self)
            }
        }
    )*};
}

struct_of_fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use siphasher::sip128::{Hasher128, SipHasher13};

    use super::hash_serialized;

    fn hash<T: Serialize + ?Sized>(value: &T) -> u128 {
        let mut h = SipHasher13::new_with_keys(1, 2);
        hash_serialized(&mut h, value);
        h.finish128().as_u128()
    }

    #[derive(Serialize)]
    struct Link<'a> {
        title: &'a str,
        url: Option<&'a str>,
    }

    #[derive(Serialize)]
    struct Named<'a> {
        name: &'a str,
        url: Option<&'a str>,
    }

    #[test]
    fn values_that_differ_anywhere_hash_apart() {
        let link = |title, url| Link { title, url };
        assert_eq!(hash(&link("a", Some("b"))), hash(&link("a", Some("b"))));
        assert_ne!(hash(&link("a", Some("b"))), hash(&link("a", None)));
        assert_ne!(hash(&link("ab", None)), hash(&link("a", Some("b"))));
        // Same values under other field names.
        let named = Named {
            name: "a",
            url: Some("b"),
        };
        assert_ne!(hash(&link("a", Some("b"))), hash(&named));
        // Texts and lists are closed: where one ends is part of the hash.
        assert_ne!(hash(&["a", "b"]), hash(&["ab"]));
        assert_ne!(
            hash(&(vec!["a"], vec!["b"])),
            hash(&(vec!["a", "b"], Vec::<&str>::new()))
        );
        assert_ne!(hash(&1u64), hash(&"1"));
        assert_ne!(hash(&1u64), hash(&1i64));
        assert_ne!(hash(&1u64), hash(&2u64));
        let map = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert_ne!(hash(&map("a", "b")), hash(&map("b", "a")));
        assert_eq!(hash(&map("a", "b")), hash(&map("a", "b")));
    }

    #[test]
    fn a_tera_value_hashes_as_what_it_holds() {
        let value = tera::Value::from_serializable(&Link {
            title: "标题",
            url: Some("a.html"),
        });
        let other = tera::Value::from_serializable(&Link {
            title: "标题",
            url: Some("b.html"),
        });
        assert_eq!(hash(&value), hash(&value.clone()));
        assert_ne!(hash(&value), hash(&other));
    }
}
