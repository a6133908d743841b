//! The emulated cloud as plain JSON objects.
//!
//! Every service keeps its objects as `serde_json::Value`s exactly as its API shows them, so
//! handlers can return them without a mapping layer and `/_sim/state` and the `--state` file
//! need no per-service code. Keys that start with `_` are the emulator's own bookkeeping
//! (owning workspace, deadlines of asynchronous transitions, secrets): they never leave the
//! process except in the state file, and [`public_view`] strips them from every answer.
//!
//! Ids come from a counter kept inside the world (mixed with the seed), so they are
//! reproducible for a given seed and request order and never repeat after a restart from
//! the state file.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Objects of one collection, by id, in creation order (lists come out in that order).
pub type Collection = IndexMap<String, Value>;

/// Upper bound on objects in one collection: keeps memory bounded when a client loops on
/// create. Creators check [`World::has_room`] and answer with their quota error.
pub const MAX_OBJECTS_PER_COLLECTION: usize = 10_000;

/// All cloud state: `services[service][collection][id] = object`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct World {
    pub services: BTreeMap<String, BTreeMap<String, Collection>>,
    /// Number of ids handed out so far; part of the persisted state.
    #[serde(default)]
    pub id_seq: u64,
    /// The seed ids are derived from.
    #[serde(default)]
    pub seed: u64,
    /// Test holds (`/_sim/holds`): in memory only, never in the state file.
    #[serde(skip)]
    pub holds: crate::holds::Holds,
}

impl World {
    /// An empty world whose ids derive from `seed`.
    pub fn new(seed: u64) -> Self {
        World {
            services: BTreeMap::new(),
            id_seq: 0,
            seed,
            holds: crate::holds::Holds::default(),
        }
    }

    /// A fresh uuid-v4-shaped id, deterministic for (seed, number of ids drawn so far).
    pub fn new_id(&mut self) -> String {
        self.id_seq += 1;
        let high = splitmix64(self.seed ^ self.id_seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let low = splitmix64(high ^ self.id_seq);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high.to_be_bytes());
        bytes[8..].copy_from_slice(&low.to_be_bytes());
        // Version 4, RFC 4122 variant, so the id passes any UUID validation a client does.
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        crate::util::uuid_layout(&hex)
    }

    /// The collection, if it has ever been written.
    pub fn collection(&self, service: &str, collection: &str) -> Option<&Collection> {
        self.services.get(service)?.get(collection)
    }

    /// The collection, created empty when missing.
    pub fn collection_mut(&mut self, service: &str, collection: &str) -> &mut Collection {
        self.services
            .entry(service.to_owned())
            .or_default()
            .entry(collection.to_owned())
            .or_default()
    }

    pub fn get(&self, service: &str, collection: &str, id: &str) -> Option<&Value> {
        self.collection(service, collection)?.get(id)
    }

    pub fn get_mut(&mut self, service: &str, collection: &str, id: &str) -> Option<&mut Value> {
        self.services
            .get_mut(service)?
            .get_mut(collection)?
            .get_mut(id)
    }

    /// Inserts or replaces; a new id goes to the end of the list order.
    pub fn insert(&mut self, service: &str, collection: &str, id: &str, object: Value) {
        self.collection_mut(service, collection)
            .insert(id.to_owned(), object);
    }

    /// Removes and returns the object, keeping the order of the others.
    pub fn remove(&mut self, service: &str, collection: &str, id: &str) -> Option<Value> {
        self.services
            .get_mut(service)?
            .get_mut(collection)?
            .shift_remove(id)
    }

    /// Objects of a collection in creation order (empty when the collection does not exist).
    pub fn list<'a>(
        &'a self,
        service: &str,
        collection: &str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.collection(service, collection)
            .into_iter()
            .flat_map(|c| c.values())
    }

    /// The first object of a collection that satisfies `predicate`.
    pub fn find(
        &self,
        service: &str,
        collection: &str,
        predicate: impl Fn(&Value) -> bool,
    ) -> Option<&Value> {
        self.list(service, collection).find(|v| predicate(v))
    }

    /// Ids of the objects that satisfy `predicate` (collect first, then mutate or remove).
    pub fn ids_where(
        &self,
        service: &str,
        collection: &str,
        predicate: impl Fn(&Value) -> bool,
    ) -> Vec<String> {
        self.collection(service, collection)
            .map(|c| {
                c.iter()
                    .filter(|(_, v)| predicate(v))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether one more object fits in the collection (see [`MAX_OBJECTS_PER_COLLECTION`]).
    pub fn has_room(&self, service: &str, collection: &str) -> bool {
        self.collection(service, collection)
            .is_none_or(|c| c.len() < MAX_OBJECTS_PER_COLLECTION)
    }

    /// `{"<service>": {"<collection>": [public object, ...]}}` as `/_sim/state` shows it.
    pub fn public_state(&self) -> Value {
        let mut services = serde_json::Map::new();
        for (service, collections) in &self.services {
            let mut by_collection = serde_json::Map::new();
            for (name, objects) in collections {
                by_collection.insert(
                    name.clone(),
                    Value::Array(objects.values().map(public_view).collect()),
                );
            }
            services.insert(service.clone(), Value::Object(by_collection));
        }
        Value::Object(services)
    }
}

/// The object as an API shows it: every key starting with `_` removed, at any depth.
pub fn public_view(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), public_view(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(public_view).collect()),
        other => other.clone(),
    }
}

/// Applies an RFC 7396 JSON merge patch (`null` deletes a key).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(patch_map) => {
            if !target.is_object() {
                *target = Value::Object(serde_json::Map::new());
            }
            if let Value::Object(target_map) = target {
                for (key, value) in patch_map {
                    if value.is_null() {
                        target_map.remove(key);
                    } else {
                        merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_uuid_shaped_deterministic_and_distinct() {
        let mut a = World::new(7);
        let mut b = World::new(7);
        let ids: Vec<String> = (0..100).map(|_| a.new_id()).collect();
        assert_eq!(ids[0], b.new_id());
        assert_eq!(ids[0].len(), 36);
        assert_eq!(&ids[0][14..15], "4");
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 100);
        assert_ne!(World::new(8).new_id(), ids[0]);
    }

    #[test]
    fn public_view_strips_internal_keys_at_any_depth() {
        let v = json!({"a": 1, "_d": 2, "n": {"_x": 1, "y": [{"_z": 0, "k": 1}]}});
        assert_eq!(public_view(&v), json!({"a": 1, "n": {"y": [{"k": 1}]}}));
    }

    #[test]
    fn merge_patch_follows_rfc7396() {
        let mut v = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut v, &json!({"a": null, "b": {"c": 9}, "e": [1]}));
        assert_eq!(v, json!({"b": {"c": 9, "d": 3}, "e": [1]}));
    }

    #[test]
    fn remove_keeps_order_of_the_rest() {
        let mut w = World::new(1);
        for id in ["x", "y", "z"] {
            w.insert("s", "c", id, json!({"id": id}));
        }
        w.remove("s", "c", "y");
        let ids: Vec<_> = w.list("s", "c").map(|v| v["id"].clone()).collect();
        assert_eq!(ids, vec![json!("x"), json!("z")]);
    }
}
