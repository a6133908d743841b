//! `provider::dr::cidr_overlaps(list(string))`: every pair of overlapping CIDR blocks.
//!
//! Overlapping prefixes behind one Transit Gateway are silently misrouted, and nothing at IBM
//! refuses them. This function lets a configuration check its own networks in a `precondition`
//! or an `output` with exactly the rule the provider applies to `dr_ha_standby`
//! ([`crate::validate::cidr`]). It needs no cloud and no configuration, so it also works in
//! `terraform console`, `terraform validate` and `terraform test`.

use async_trait::async_trait;
use serde::Serialize;
use tf_framework::function::{Arguments, Function, FunctionError, Parameter, Signature};
use tf_framework::value::{Type, Value};

use crate::validate::cidr::Cidr;

pub struct CidrOverlaps;

/// One overlapping pair, in the order the blocks were given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overlap {
    pub a: String,
    pub b: String,
}

fn return_type() -> Type {
    Type::list(Type::object([("a", Type::String), ("b", Type::String)]))
}

/// The overlapping pairs of `blocks` (pairs `(i, j)` with `i < j`, sorted by `i` then `j`),
/// or an error naming the first element that is not a canonical CIDR block.
pub fn overlapping(blocks: &[Option<String>]) -> Result<Vec<Overlap>, FunctionError> {
    let mut parsed = Vec::with_capacity(blocks.len());
    for (index, block) in blocks.iter().enumerate() {
        let Some(text) = block else {
            return Err(FunctionError::argument(
                0,
                format!(
                    "element [{index}] is null; every element must be a CIDR block such as \"10.51.0.0/24\""
                ),
            ));
        };
        let cidr = Cidr::parse(text)
            .map_err(|e| FunctionError::argument(0, format!("element [{index}]: {e}")))?;
        parsed.push((index, cidr));
    }
    Ok(crate::validate::cidr::overlapping_pairs(&parsed)
        .into_iter()
        .map(|(i, j)| Overlap {
            a: blocks[i].clone().unwrap_or_default().trim().to_string(),
            b: blocks[j].clone().unwrap_or_default().trim().to_string(),
        })
        .collect())
}

#[async_trait]
impl Function for CidrOverlaps {
    fn name(&self) -> &str {
        "cidr_overlaps"
    }

    fn signature(&self) -> Signature {
        Signature::new(return_type())
            .summary("Finds every pair of overlapping CIDR blocks")
            .description(
                "Returns one object `{a, b}` per pair of blocks in `cidrs` that share at least one address \
                 (equal blocks, or one inside the other), with `a` given before `b` in the list; an empty list \
                 when no two blocks overlap. IPv4 and IPv6 blocks may be mixed (blocks of different families \
                 never overlap). Each element must be a canonical CIDR block: `10.51.0.5/24` is refused with \
                 the suggestion `10.51.0.0/24`. Offline and deterministic.",
            )
            .parameter(
                Parameter::new("cidrs", Type::list(Type::String))
                    .description("The CIDR blocks to compare, such as `[\"10.51.0.0/24\", \"10.51.0.128/25\"]`."),
            )
    }

    async fn call(&self, args: Arguments) -> Result<Value, FunctionError> {
        let blocks: Vec<Option<String>> = args.get(0)?;
        args.result(&overlapping(&blocks)?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;

    fn blocks(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|s| Some(s.to_string())).collect()
    }

    fn call(items: &[&str]) -> Result<Value, FunctionError> {
        let value = Value::List(items.iter().map(|s| Value::String(s.to_string())).collect());
        let args = Arguments::for_tests(vec![value], return_type());
        futures::executor::block_on(CidrOverlaps.call(args))
    }

    #[test]
    fn reports_every_overlapping_pair_in_input_order() {
        let found = overlapping(&blocks(&[
            "10.51.0.0/24",
            "10.30.0.0/16",
            "10.0.0.0/8",
            "10.51.0.128/25",
            "fd00:51::/64",
            "fd00::/8",
            "192.168.0.0/24",
        ]))
        .unwrap();
        let pairs: Vec<(&str, &str)> = found.iter().map(|o| (o.a.as_str(), o.b.as_str())).collect();
        assert_eq!(
            pairs,
            vec![
                ("10.51.0.0/24", "10.0.0.0/8"),
                ("10.51.0.0/24", "10.51.0.128/25"),
                ("10.30.0.0/16", "10.0.0.0/8"),
                ("10.0.0.0/8", "10.51.0.128/25"),
                ("fd00:51::/64", "fd00::/8"),
            ]
        );
    }

    #[test]
    fn disjoint_and_empty_lists_have_no_pairs() {
        assert!(
            overlapping(&blocks(&["10.51.0.0/24", "10.52.0.0/24"]))
                .unwrap()
                .is_empty()
        );
        assert!(overlapping(&[]).unwrap().is_empty());
        assert!(
            overlapping(&blocks(&["0.0.0.0/0", "::/0"]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn bad_elements_blame_the_argument_and_name_the_element() {
        let err = overlapping(&blocks(&["10.51.0.0/24", "10.52.0.5/24"])).unwrap_err();
        assert_eq!(err.argument, Some(0));
        assert!(err.text.contains("element [1]"), "{}", err.text);
        assert!(
            err.text.contains("10.52.0.0/24"),
            "suggests the canonical form: {}",
            err.text
        );
        let err = overlapping(&[Some("10.0.0.0/8".into()), None]).unwrap_err();
        assert!(err.text.contains("element [1] is null"), "{}", err.text);
        let err = overlapping(&blocks(&["banana"])).unwrap_err();
        assert!(err.text.contains("element [0]"), "{}", err.text);
    }

    #[test]
    fn the_function_returns_a_typed_list_of_objects() {
        let result = call(&["10.51.0.0/24", "10.51.0.0/24"]).unwrap();
        let Value::List(items) = result else {
            panic!("expected a list, got {result:?}");
        };
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].attr("a").and_then(Value::as_str),
            Some("10.51.0.0/24")
        );
        assert_eq!(call(&["x"]).unwrap_err().argument, Some(0));
    }
}
