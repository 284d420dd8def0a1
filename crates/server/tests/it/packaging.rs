//! `packaging/gatehouse.toml.example` lists every configuration key with
//! its default (SPEC §8.1), checked against the configuration struct itself
//! so that the file cannot drift when a key is added.

use figment::Figment;
use figment::providers::{Format as _, Toml};
use gatehouse_server::Config;
use serde::Deserialize as _;
use serde::de::{self, Visitor};

/// A deserializer that only records the field names serde asks a struct for.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Every key of [`Config`], read from its `Deserialize` implementation.
fn config_keys() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = Config::deserialize(FieldNames(&mut fields));
    fields
}

fn example() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../packaging/gatehouse.toml.example");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_example_configuration_lists_every_key() {
    let keys = config_keys();
    assert!(keys.len() >= 20, "the struct's keys were read: {keys:?}");
    let text = example();
    for key in keys {
        let set = text.lines().any(|l| l.starts_with(&format!("{key} = ")));
        let shown = text.lines().any(|l| l.starts_with(&format!("# {key} = ")));
        assert!(set || shown, "packaging/gatehouse.toml.example does not list `{key}`");
    }
}

#[test]
fn the_example_configuration_holds_the_defaults() {
    // Every key it sets is a key (unknown keys are refused) with its
    // default value; the commented-out ones have no default.
    let loaded = Config::load(&Figment::from(Toml::string(&example()))).unwrap();
    assert_eq!(loaded, Config::default(), "a value in the example is not the default");
}
