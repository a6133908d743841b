//! Decodes arbitrary bytes as JSON of a fuzzer-chosen type (strict and lenient). Accepted
//! values must re-encode, and encoding must reach a fixpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_framework_fuzz::value::json;
use tf_framework_fuzz::{assert_encoding_fixpoint, split_type};

fuzz_target!(|data: &[u8]| {
    let (ty, payload) = split_type(data);
    let lenient = json::decode_object_lenient(payload, &ty);
    let Ok(value) = json::decode(payload, &ty) else {
        return;
    };
    assert!(
        lenient.is_ok(),
        "lenient decoding refused what strict decoding accepted"
    );
    assert_encoding_fixpoint(
        &value,
        &ty,
        json::encode,
        json::decode,
        "re-encoded JSON does not decode",
    );
});
