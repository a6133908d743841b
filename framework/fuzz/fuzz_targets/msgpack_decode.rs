//! Decodes arbitrary bytes as msgpack of a fuzzer-chosen type. Besides "never panic, never
//! exhaust memory or stack", every accepted value must re-encode, and encoding must reach a
//! fixpoint (decode(encode(v)) encodes to the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_framework_fuzz::value::msgpack;
use tf_framework_fuzz::{assert_encoding_fixpoint, split_type};

fuzz_target!(|data: &[u8]| {
    let (ty, payload) = split_type(data);
    let Ok(value) = msgpack::decode(payload, &ty) else {
        return;
    };
    assert_encoding_fixpoint(
        &value,
        &ty,
        msgpack::encode,
        msgpack::decode,
        "re-encoded bytes do not decode",
    );
});
