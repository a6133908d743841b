//! Decodes arbitrary bytes as JSON of a fuzzer-chosen type (strict and lenient). Accepted
//! values must re-encode, and encoding must reach a fixpoint.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_framework_fuzz::split_type;
use tf_framework_fuzz::value::json;

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
    let first = match json::encode(&value, &ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("decoded value does not re-encode: {e}\n{value:?}"),
    };
    let again = match json::decode(&first, &ty) {
        Ok(v) => v,
        Err(e) => panic!("re-encoded JSON does not decode: {e}"),
    };
    let second = match json::encode(&again, &ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("second encode failed: {e}"),
    };
    assert_eq!(first, second, "encoding is not a fixpoint");
});
