//! Decodes arbitrary bytes as msgpack of a fuzzer-chosen type. Besides "never panic, never
//! exhaust memory or stack", every accepted value must re-encode, and encoding must reach a
//! fixpoint (decode(encode(v)) encodes to the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tf_framework_fuzz::split_type;
use tf_framework_fuzz::value::msgpack;

fuzz_target!(|data: &[u8]| {
    let (ty, payload) = split_type(data);
    let Ok(value) = msgpack::decode(payload, &ty) else {
        return;
    };
    let first = match msgpack::encode(&value, &ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("decoded value does not re-encode: {e}\n{value:?}"),
    };
    let again = match msgpack::decode(&first, &ty) {
        Ok(v) => v,
        Err(e) => panic!("re-encoded bytes do not decode: {e}"),
    };
    let second = match msgpack::encode(&again, &ty) {
        Ok(bytes) => bytes,
        Err(e) => panic!("second encode failed: {e}"),
    };
    assert_eq!(first, second, "encoding is not a fixpoint");
});
